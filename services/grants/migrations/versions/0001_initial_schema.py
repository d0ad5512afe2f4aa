"""initial schema

Revision ID: 0001
Revises: -
"""
from alembic import op
import sqlalchemy as sa
import shared.persistence.schema
from shared.migrations import create_infrastructure_tables, drop_infrastructure_tables


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_infrastructure_tables()
    op.create_table('funding_calls',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('eligible_applicant_types', sa.JSON(), nullable=False),
    sa.Column('eligible_regions', sa.JSON(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=True),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('min_grant_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('max_grant_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('max_funding_rate', sa.Numeric(precision=5, scale=4), nullable=True),
    sa.Column('foreign_partner_required', sa.Boolean(), nullable=False),
    sa.Column('partner_countries', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_calls')),
    sa.UniqueConstraint('code', name=op.f('uq_funding_calls_code'))
    )


def downgrade() -> None:
    op.drop_table('funding_calls')
    drop_infrastructure_tables()
