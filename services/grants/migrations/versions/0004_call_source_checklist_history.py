"""calls take their funder and source kind from their programme; checklist changes kept

Adds funding_calls.source_kind: a call of a programme gets the programme's (and its funder, where a
call had been given another), any other call 'other'. Adds checklist_changes, the history of every
checklist item (who changed it from which status to which, when, and why: a waiver's reason).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import BigId, UtcDateTime


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_kind', sa.String(length=30), server_default='other', nullable=False))
    calls = sa.table('funding_calls', sa.column('programme_id', sa.Uuid()), sa.column('funder', sa.String),
                     sa.column('source_kind', sa.String))
    programmes = sa.table('programmes', sa.column('id', sa.Uuid()), sa.column('funder', sa.String),
                          sa.column('source_kind', sa.String))
    of_programme = sa.select(programmes.c.funder, programmes.c.source_kind).where(
        programmes.c.id == calls.c.programme_id)
    op.execute(calls.update().where(calls.c.programme_id.is_not(None)).values(
        funder=of_programme.with_only_columns(programmes.c.funder).scalar_subquery(),
        source_kind=of_programme.with_only_columns(programmes.c.source_kind).scalar_subquery()))
    op.create_table('checklist_changes',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_at', UtcDateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_checklist_changes_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_changes'))
    )
    op.create_index('ix_checklist_changes_item', 'checklist_changes', ['application_id', 'code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_checklist_changes_item', table_name='checklist_changes')
    op.drop_table('checklist_changes')
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.drop_column('source_kind')
