"""joint applications: the parts of a group's application

Adds joint_parts: for an application a group of municipalities makes together, the lead's part and
each partner municipality's (budget share, own contribution) and the partner's answer to it.
Nothing existing is rewritten: an application without parts is a single municipality's, as before.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('joint_parts',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('budget_share_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('own_contribution_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('answer', sa.String(length=10), nullable=True),
    sa.Column('answered_at', UtcDateTime(), nullable=True),
    sa.Column('answered_by', sa.String(length=200), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_joint_parts_application_id_applications')),
    sa.PrimaryKeyConstraint('application_id', 'municipality_code', name=op.f('pk_joint_parts'))
    )
    op.create_index('ix_joint_parts_municipality_code', 'joint_parts', ['municipality_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_joint_parts_municipality_code', table_name='joint_parts')
    op.drop_table('joint_parts')
