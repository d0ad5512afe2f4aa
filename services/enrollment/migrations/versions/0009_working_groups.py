"""working groups: standing groups of officials from several municipalities

Adds working_groups (name and purpose in lt/en, themes), working_group_members (person, municipality,
role member/chair, joined/left; one current seat per person and group by a partial unique index),
working_group_meetings (date and time, venue or link, agenda, minutes), working_group_attendance
(per meeting and member) and working_group_proposals (title, text, adopted on, status).

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
    op.create_table(
        'working_groups',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.JSON(), nullable=False),
        sa.Column('purpose', sa.JSON(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_working_groups')),
    )
    op.create_table(
        'working_group_members',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('group_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_key', sa.String(length=254), nullable=False),
        sa.Column('position', sa.String(length=200), nullable=True),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('municipality_code', sa.String(length=2), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('joined_on', sa.Date(), nullable=False),
        sa.Column('left_on', sa.Date(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('erased_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['working_groups.id'],
                                name=op.f('fk_working_group_members_group_id_working_groups')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group_members')),
    )
    op.create_index(op.f('ix_working_group_members_group_id'), 'working_group_members', ['group_id'])
    op.create_index(op.f('ix_working_group_members_email_key'), 'working_group_members', ['email_key'])
    op.create_index(op.f('ix_working_group_members_municipality_code'), 'working_group_members',
                    ['municipality_code'])
    op.create_index('uq_working_group_members_current', 'working_group_members', ['group_id', 'email_key'],
                    unique=True, sqlite_where=sa.text('left_on IS NULL'),
                    postgresql_where=sa.text('left_on IS NULL'))
    op.create_table(
        'working_group_meetings',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('group_id', sa.Uuid(), nullable=False),
        sa.Column('starts_at', UtcDateTime(), nullable=False),
        sa.Column('ends_at', UtcDateTime(), nullable=False),
        sa.Column('venue', sa.String(length=300), nullable=True),
        sa.Column('online_url', sa.String(length=500), nullable=True),
        sa.Column('agenda', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=True),
        sa.Column('minutes_published_at', UtcDateTime(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['working_groups.id'],
                                name=op.f('fk_working_group_meetings_group_id_working_groups')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group_meetings')),
    )
    op.create_index(op.f('ix_working_group_meetings_group_id'), 'working_group_meetings', ['group_id'])
    op.create_table(
        'working_group_attendance',
        sa.Column('meeting_id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('present', sa.Boolean(), nullable=False),
        sa.Column('recorded_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['working_group_meetings.id'],
                                name=op.f('fk_working_group_attendance_meeting_id_working_group_meetings')),
        sa.ForeignKeyConstraint(['member_id'], ['working_group_members.id'],
                                name=op.f('fk_working_group_attendance_member_id_working_group_members')),
        sa.PrimaryKeyConstraint('meeting_id', 'member_id', name=op.f('pk_working_group_attendance')),
    )
    op.create_index(op.f('ix_working_group_attendance_member_id'), 'working_group_attendance', ['member_id'])
    op.create_table(
        'working_group_proposals',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('group_id', sa.Uuid(), nullable=False),
        sa.Column('meeting_id', sa.Uuid(), nullable=True),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('adopted_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['working_groups.id'],
                                name=op.f('fk_working_group_proposals_group_id_working_groups')),
        sa.ForeignKeyConstraint(['meeting_id'], ['working_group_meetings.id'],
                                name=op.f('fk_working_group_proposals_meeting_id_working_group_meetings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group_proposals')),
    )
    op.create_index(op.f('ix_working_group_proposals_group_id'), 'working_group_proposals', ['group_id'])


def downgrade() -> None:
    op.drop_table('working_group_proposals')
    op.drop_table('working_group_attendance')
    op.drop_table('working_group_meetings')
    op.drop_table('working_group_members')
    op.drop_table('working_groups')
