"""training programmes of funded projects; sessions abroad and conferences; LT10 training history

Schema: funded_projects (enrollment's copy of the grants service's project references, kept up to
date by grants.funded_project_recorded), training_programmes (a project's training strand),
programme_courses, programme_history (training a programme held, as the project reported it), and
on sessions: country (LT unless abroad), city, kind (training or conference), programme_id.

Data: the Norway Grants LT10 projects' training, as their promoters reported it to the funder
(EEA and Norway Grants archive; ../seeds 002 and 004), so the per-project report starts with
their history:
- LT10-0006 (Lithuanian University of Educational Sciences): social cluster competences, 12
  training events for 301 persons (6 in Lithuania, 6 in Norway); administrative and public
  capacities, 6 events (3 and 3) for 248; innovative anti-corruption measures, 6 events (3 and 3)
  for 262. The report does not split the participants by country (12 events in Norway had 240
  participants over the three strands).
- LT10-0002 (Lithuanian College of Democracy): 7 courses, training and conferences with 653
  participants, carried out in Lithuania.
The project references use the grants service's stable ids (its migration 0003), so the events
grants publishes about the same projects update these rows. Running twice adds nothing.

Revision ID: 0007
Revises: 0006
"""
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

import shared.persistence.schema

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://savivalda.example/{name}")


SOURCE = "EEA and Norway Grants archive, project {number}: summary of project results"
PROJECTS = [
    {"id": _id("grants/funded_projects/LT10-0006"), "project_number": "LT10-0006", "programme_code": "LT10",
     "funder": "Norway Grants", "promoter": "Lithuanian University of Educational Sciences", "status": "completed",
     "title": "Promotion of sustainable development by strengthening the social clustering in public sector"},
    {"id": _id("grants/funded_projects/LT10-0002"), "project_number": "LT10-0002", "programme_code": "LT10",
     "funder": "Norway Grants", "promoter": "Lithuanian College of Democracy", "status": "completed",
     "title": "The smart management in the public sector through the sustainable regional development"},
]
PROGRAMMES = [
    ("LT10-0006", "social-clusters", {"lt": "Socialinio klasterio kompetencijos",
                                      "en": "Social cluster competences"},
     dict(kind="training", events_in_lithuania=6, events_abroad=6, abroad_countries=["NO"], participants=301)),
    ("LT10-0006", "capacities", {"lt": "Vietos ir regionų institucijų administraciniai ir viešieji gebėjimai",
                                 "en": "Administrative and public capacities of local and regional institutions"},
     dict(kind="training", events_in_lithuania=3, events_abroad=3, abroad_countries=["NO"], participants=248)),
    ("LT10-0006", "anti-corruption", {"lt": "Inovatyvios korupcijos prevencijos priemonės vietos ir regionų lygmeniu",
                                      "en": "Innovative anti-corruption measures at local and regional level"},
     dict(kind="training", events_in_lithuania=3, events_abroad=3, abroad_countries=["NO"], participants=262)),
    ("LT10-0002", "smart-management", {"lt": "Išmanusis valdymas viešajame sektoriuje",
                                       "en": "Smart management in the public sector"},
     dict(kind="training_and_conferences", events_in_lithuania=7, events_abroad=0, abroad_countries=[],
          participants=653)),
]


def upgrade() -> None:
    op.create_table('funded_projects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_number', sa.String(length=60), nullable=False),
    sa.Column('programme_code', sa.String(length=40), nullable=True),
    sa.Column('funder', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('promoter', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('updated_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funded_projects')),
    sa.UniqueConstraint('project_number', name=op.f('uq_funded_projects_project_number'))
    )
    op.create_table('training_programmes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['funded_projects.id'],
                            name=op.f('fk_training_programmes_project_id_funded_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_programmes')),
    sa.UniqueConstraint('project_id', 'code', name=op.f('uq_training_programmes_project_id_code'))
    )
    with op.batch_alter_table('training_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_programmes_project_id'), ['project_id'], unique=False)
    op.create_table('programme_courses',
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_programme_courses_course_id_courses')),
    sa.ForeignKeyConstraint(['programme_id'], ['training_programmes.id'],
                            name=op.f('fk_programme_courses_programme_id_training_programmes')),
    sa.PrimaryKeyConstraint('programme_id', 'course_id', name=op.f('pk_programme_courses'))
    )
    op.create_table('programme_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('events_in_lithuania', sa.Integer(), nullable=False),
    sa.Column('events_abroad', sa.Integer(), nullable=False),
    sa.Column('abroad_countries', sa.JSON(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('participants_abroad', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=40), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['training_programmes.id'],
                            name=op.f('fk_programme_history_programme_id_training_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_history'))
    )
    with op.batch_alter_table('programme_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_history_programme_id'), ['programme_id'], unique=False)
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), server_default='LT', nullable=False))
        batch_op.add_column(sa.Column('city', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='training', nullable=False))
        batch_op.add_column(sa.Column('programme_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sessions_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sessions_programme_id_training_programmes'),
                                    'training_programmes', ['programme_id'], ['id'])
    _seed()


def _seed() -> None:
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # UtcDateTime reads SQLite's naive values back as UTC
    def col(name):
        if name == "id" or name.endswith("_id"):
            return sa.column(name, sa.Uuid())
        if name in ("title", "description", "abroad_countries"):
            return sa.column(name, sa.JSON())
        if name.endswith("_at"):
            return sa.column(name, sa.DateTime(timezone=True))
        return sa.column(name)

    projects = sa.table("funded_projects", sa.column("title", sa.String()), *[col(c) for c in (
        "id", "project_number", "programme_code", "funder", "promoter", "status", "updated_at")])
    programmes = sa.table("training_programmes", *[col(c) for c in (
        "id", "project_id", "code", "title", "description", "created_at")])
    history = sa.table("programme_history", *[col(c) for c in (
        "id", "programme_id", "kind", "events_in_lithuania", "events_abroad", "abroad_countries", "participants",
        "participants_abroad", "period", "source", "created_at")])
    known = set(bind.execute(sa.select(projects.c.project_number)).scalars())
    op.bulk_insert(projects, [dict(p, updated_at=now) for p in PROJECTS if p["project_number"] not in known])
    ids = {p["project_number"]: p["id"] for p in PROJECTS}
    for n, (number, code, title, figures) in enumerate(PROGRAMMES):
        programme_id = _id(f"enrollment/programmes/{number}/{code}")
        # a second apart: programmes are listed (and reported) in the order the project reported them
        op.bulk_insert(programmes, [dict(id=programme_id, project_id=ids[number], code=code, title=title,
                                         description=None, created_at=now + timedelta(seconds=n))])
        op.bulk_insert(history, [dict(id=_id(f"enrollment/programme_history/{number}/{code}"),
                                      programme_id=programme_id, participants_abroad=None, period="2014-2016",
                                      source=SOURCE.format(number=number), created_at=now, **figures)])


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sessions_programme_id_training_programmes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sessions_programme_id'))
        batch_op.drop_column('programme_id')
        batch_op.drop_column('kind')
        batch_op.drop_column('city')
        batch_op.drop_column('country')
    with op.batch_alter_table('programme_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_history_programme_id'))
    op.drop_table('programme_history')
    op.drop_table('programme_courses')
    with op.batch_alter_table('training_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_programmes_project_id'))
    op.drop_table('training_programmes')
    op.drop_table('funded_projects')
