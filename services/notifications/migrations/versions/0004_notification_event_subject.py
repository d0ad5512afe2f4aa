"""notification event subject: the event's subject (e.g. the enrolment), to keep its news in order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 20:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows told before this version have none and are never superseded (they were told
    # in the order they arrived, as before).
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_subject', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_notifications_event_subject_recipient', ['event_subject', 'recipient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_event_subject_recipient')
        batch_op.drop_column('event_subject')
