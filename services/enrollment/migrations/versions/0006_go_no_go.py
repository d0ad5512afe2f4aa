"""go/no-go: a minimum number of participants checked at a date, the session's coordinator

Adds sessions.go_no_go_at (indexed), auto_cancel_below_minimum (false for existing sessions),
go_no_go_checked_at, go_decision and the coordinator's name, e-mail and language. Existing
sessions have no go/no-go date: nothing changes for them.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch): SQLite adds them in place, without recreating sessions, which
    # the enrolments referencing its rows would forbid.
    op.add_column('sessions', sa.Column('go_no_go_at', UtcDateTime(), nullable=True))
    op.add_column('sessions', sa.Column('auto_cancel_below_minimum', sa.Boolean(), server_default=sa.false(),
                                        nullable=False))
    op.add_column('sessions', sa.Column('go_no_go_checked_at', UtcDateTime(), nullable=True))
    op.add_column('sessions', sa.Column('go_decision', sa.String(length=20), nullable=True))
    op.add_column('sessions', sa.Column('coordinator_name', sa.String(length=200), nullable=True))
    op.add_column('sessions', sa.Column('coordinator_email', sa.String(length=254), nullable=True))
    op.add_column('sessions', sa.Column('coordinator_language', sa.String(length=2), nullable=True))
    op.create_index('ix_sessions_go_no_go_at', 'sessions', ['go_no_go_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_go_no_go_at')
        for column in ('coordinator_language', 'coordinator_email', 'coordinator_name', 'go_decision',
                       'go_no_go_checked_at', 'auto_cancel_below_minimum', 'go_no_go_at'):
            batch_op.drop_column(column)
