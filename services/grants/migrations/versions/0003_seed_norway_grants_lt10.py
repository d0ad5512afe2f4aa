"""Seed catalogue: Norway Grants programme LT10 (Norwegian Financial Mechanism 2009-2014) and three
projects it funded, as the funder reports them (initial vs final cost, grant, Norwegian partners).

A data migration runs once per database, so every new installation (embedded or PostgreSQL) shows
real data, two replicas never race to seed, and rows an operator later edits or deletes are not
brought back at the next start. Sources: the EEA and Norway Grants archive (programme LT10 and
projects LT10-0002, LT10-0006, LT10-0019).

Revision ID: 0003
Revises: 0002
"""
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _id(name: str) -> uuid.UUID:
    # Stable ids: the same programme has the same id in every installation (handy in docs and links).
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://savivalda.example/grants/{name}")


PROGRAMME_ID = _id("programmes/LT10")
CIVIL_SERVANTS = "Civil servants/Public administration staff"

PROGRAMME = {
    "id": PROGRAMME_ID,
    "code": "LT10",
    "funder": "Norway Grants",
    "source_kind": "eea_norway_grants",
    "title": {
        "lt": "Paramą gaunančios valstybės ir Norvegijos viešųjų institucijų, vietos ir regionų valdžios institucijų "
              "gebėjimų stiprinimas ir institucinis bendradarbiavimas",
        "en": "Capacity-building and institutional cooperation between beneficiary state and Norwegian public "
              "institutions, local and regional authorities",
    },
    "summary": {
        "lt": "Norvegijos finansinio mechanizmo 2009–2014 m. programa. Norvegijos institucijų patirties ir gerosios "
              "praktikos perdavimas Lietuvos viešosioms įstaigoms, vietos ir regionų valdžios institucijoms: "
              "administraciniai gebėjimai, viešosios paslaugos, mokymasis visą gyvenimą ir korupcijos prevencija "
              "vietos ir regionų lygmeniu; atviri kvietimai (ir mažųjų projektų schema) bei dvišalės partnerystės.",
        "en": "Norwegian Financial Mechanism 2009–2014 programme. Transfers the know-how and good practice of "
              "Norwegian institutions to Lithuanian public institutions and local and regional authorities: "
              "administrative capacity, public services, lifelong learning and anti-corruption at local and regional "
              "level, through open calls (including a small grant scheme) and bilateral partnerships.",
    },
    "period": "2009–2014",
    "operator": "Ministry of the Interior of the Republic of Lithuania",
    "budget_eur": Decimal("8000000.00"),
    "donor_countries": ["NO"],
    "themes": ["public_service_quality", "regional_development", "education", "anti_corruption",
               "international_cooperation"],
    "url": "https://eeagrants.org/archive/2009-2014/programmes/LT10",
}

PROJECTS = [
    {
        "project_number": "LT10-0019",
        "title": "Municipal institutions employees' capacity-building in the area of management of public services "
                 "processes and increasing the efficiency",
        "promoter": "Public Institution Lithuanian Regional Research Institute",
        "region": None,
        "themes": ["public_service_quality", "health_care", "social_services", "anti_corruption"],
        "initial_cost_eur": Decimal("304833"), "final_cost_eur": Decimal("253718"), "grant_eur": Decimal("183304"),
        "partners": [{"name": "Hordaland County Council", "country": "NO"},
                     {"name": "Western Norway Research Institute", "country": "NO"}],
        "summary": "Training for municipal institutions on managing public-service processes and performance "
                   "indicators, Norwegian good practice, recommendations on efficient, quality public services and "
                   "strategic recommendations on access to health care and social services at home.",
    },
    {
        "project_number": "LT10-0002",
        "title": "The smart management in the public sector through the sustainable regional development",
        "promoter": "Lithuanian College of Democracy",
        "region": None,
        "themes": ["regional_development", "education", "anti_corruption"],
        "initial_cost_eur": Decimal("147365"), "final_cost_eur": Decimal("144836"), "grant_eur": Decimal("98365"),
        "partners": [{"name": "Flexible Education Norway", "country": "NO"}],
        "summary": "Four study visits (two each way), a virtual learning environment, 2 programmes and 7 courses, "
                   "training and conferences with 653 participants, and an anti-corruption system.",
    },
    {
        "project_number": "LT10-0006",
        "title": "Promotion of sustainable development by strengthening the social clustering in public sector",
        "promoter": "Lithuanian University of Educational Sciences",
        "region": "AL",
        "themes": ["regional_development", "social_services", "education", "anti_corruption"],
        "initial_cost_eur": Decimal("591163"), "final_cost_eur": Decimal("576994"), "grant_eur": Decimal("391915"),
        "partners": [{"name": "Flexible Education Norway", "country": "NO"}],
        "summary": "A social-cluster competence model and virtual learning platform with 11 Lithuanian partner "
                   "institutions; training in Lithuania and Norway (301, 248 and 262 participants in its three "
                   "strands), a guide to transparency and a social cluster network.",
    },
]


def _tables():
    programmes = sa.table(
        "programmes", sa.column("id", sa.Uuid()), sa.column("code", sa.String), sa.column("funder", sa.String),
        sa.column("source_kind", sa.String), sa.column("title", sa.JSON), sa.column("summary", sa.JSON),
        sa.column("period", sa.String), sa.column("operator", sa.String), sa.column("budget_eur", sa.Numeric(14, 2)),
        sa.column("donor_countries", sa.JSON), sa.column("themes", sa.JSON), sa.column("url", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)))
    projects = sa.table(
        "funded_projects", sa.column("id", sa.Uuid()), sa.column("programme_id", sa.Uuid()),
        sa.column("project_number", sa.String), sa.column("title", sa.String), sa.column("promoter", sa.String),
        sa.column("region", sa.String), sa.column("target_groups", sa.JSON), sa.column("themes", sa.JSON),
        sa.column("status", sa.String), sa.column("initial_cost_eur", sa.Numeric(14, 2)),
        sa.column("final_cost_eur", sa.Numeric(14, 2)), sa.column("grant_eur", sa.Numeric(14, 2)),
        sa.column("partners", sa.JSON), sa.column("summary", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)))
    return programmes, projects


def upgrade() -> None:
    programmes, projects = _tables()
    bind = op.get_bind()
    # SQLite keeps datetimes naive; shared.persistence.schema.UtcDateTime reads them back as UTC.
    now = datetime.now(timezone.utc)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    # Idempotent even if someone entered LT10 or one of its projects by hand first.
    programme_id = bind.execute(sa.select(programmes.c.id).where(programmes.c.code == PROGRAMME["code"])).scalar()
    if programme_id is None:
        op.bulk_insert(programmes, [dict(PROGRAMME, created_at=now)])
        programme_id = PROGRAMME_ID
    known = set(bind.execute(sa.select(projects.c.project_number)).scalars())
    op.bulk_insert(projects, [
        dict(project, id=_id(f"funded_projects/{project['project_number']}"), programme_id=programme_id,
             target_groups=[CIVIL_SERVANTS], status="completed", created_at=now)
        for project in PROJECTS if project["project_number"] not in known
    ])


def downgrade() -> None:
    programmes, projects = _tables()
    calls = sa.table("funding_calls", sa.column("programme_id", sa.Uuid()))
    op.execute(calls.update().where(calls.c.programme_id == PROGRAMME_ID).values(programme_id=None))
    op.execute(projects.delete().where(projects.c.programme_id == PROGRAMME_ID))
    op.execute(programmes.delete().where(programmes.c.id == PROGRAMME_ID))
