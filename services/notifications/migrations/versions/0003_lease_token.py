"""lease token: the lease id of the sender holding a notification's claim

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:06:27.632137
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: rows being sent by a sender of the previous version have none; their
    # lease (lease_until) expires as before and the next claim gives them a token.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
