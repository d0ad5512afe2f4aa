"""session changes: trainer, calendar SEQUENCE; courses edited and retired

Adds sessions.trainer, sessions.sequence (0 for every existing session: their calendar entries
had no SEQUENCE, which means 0), sessions.schedule_changed_at, courses.updated_at and
courses.retired_at. Nothing existing is rewritten.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trainer', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('schedule_changed_at', UtcDateTime(), nullable=True))
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('retired_at', UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('updated_at')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('schedule_changed_at')
        batch_op.drop_column('sequence')
        batch_op.drop_column('trainer')
