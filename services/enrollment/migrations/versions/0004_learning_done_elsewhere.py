"""learning done elsewhere: external completions, and certificates for them

Adds external_completions (a course completed in an external learning system, reported by a
learning.course_completed event; one row per source and external id) and lets a certificate
belong to one instead of an enrolment: certificates.enrollment_id and session_id become nullable
and certificates.external_completion_id is added. Existing certificates are unchanged.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import shared.persistence.schema


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('external_completions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('course_external_id', sa.String(length=200), nullable=False),
    sa.Column('course_title', sa.JSON(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('completed_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('erased_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_external_completions_course_id_courses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_completions')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_external_completions_source_external_id'))
    )
    with op.batch_alter_table('external_completions', schema=None) as batch_op:
        batch_op.create_index('ix_external_completions_completed_at', ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_completions_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_completions_municipality_code'), ['municipality_code'],
                              unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_completion_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('enrollment_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column('session_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_external_completion_id'),
                                          ['external_completion_id'])
        batch_op.create_foreign_key(batch_op.f('fk_certificates_external_completion_id_external_completions'),
                                    'external_completions', ['external_completion_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM certificates WHERE external_completion_id IS NOT NULL")
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_external_completion_id_external_completions'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_certificates_external_completion_id'), type_='unique')
        batch_op.alter_column('session_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('enrollment_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('external_completion_id')

    with op.batch_alter_table('external_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_completions_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_external_completions_email_key'))
        batch_op.drop_index('ix_external_completions_completed_at')
    op.drop_table('external_completions')
