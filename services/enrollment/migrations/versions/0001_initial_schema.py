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
    op.create_table('courses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('duration_hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    op.create_table('sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('region', sa.String(length=2), nullable=True),
    sa.Column('venue', sa.String(length=300), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('fee_eur', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('registration_opens_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('registration_closes_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_sessions_course_id_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_course_id'), ['course_id'], unique=False)

    op.create_table('enrollments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_enrollments_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('session_id', 'email_key', name=op.f('uq_enrollments_session_id_email_key'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollments_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index('ix_enrollments_session_status_created', ['session_id', 'status', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollments_session_status_created')
        batch_op.drop_index(batch_op.f('ix_enrollments_municipality_code'))

    op.drop_table('enrollments')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_course_id'))

    op.drop_table('sessions')
    op.drop_table('courses')
    drop_infrastructure_tables()
