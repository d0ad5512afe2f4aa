"""one partner request per application

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:15:00

partner_requests.application_id becomes unique: two grants.partner_requested handled at once (or
the API and grants both asking) could open two searches for one application. Where duplicates
already exist the newest request keeps the application and the older ones are detached from it
(application_id NULL); nothing is deleted.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE partner_requests SET application_id = NULL WHERE application_id IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM partner_requests AS newer WHERE newer.application_id = partner_requests.application_id"
        " AND (newer.created_at > partner_requests.created_at"
        " OR (newer.created_at = partner_requests.created_at AND newer.id > partner_requests.id)))"))
    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_requests_application_id'))
        batch_op.create_index(batch_op.f('ix_partner_requests_application_id'), ['application_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_requests_application_id'))
        batch_op.create_index(batch_op.f('ix_partner_requests_application_id'), ['application_id'], unique=False)
