"""feedback: a course's questions, each completed session's form, invitations, ballots and answers

Adds course_feedback_settings (a course's own questions in lt/en, open days, or no form),
feedback_forms (per completed session: the questions then, trainer, themes, open until),
feedback_invitations (per attendee invited), feedback_ballots (who answered: once per enrolment by
the primary key, with no time and no reference to the answer) and feedback_answers (what was
answered, with no person and no time).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'course_feedback_settings',
        sa.Column('course_id', sa.Uuid(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('open_days', sa.Integer(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=True),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_feedback_settings_course_id_courses')),
        sa.PrimaryKeyConstraint('course_id', name=op.f('pk_course_feedback_settings')),
    )
    op.create_table(
        'feedback_forms',
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('course_id', sa.Uuid(), nullable=False),
        sa.Column('trainer_id', sa.Uuid(), nullable=True),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('opened_at', UtcDateTime(), nullable=False),
        sa.Column('closes_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_feedback_forms_session_id_sessions')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_feedback_forms_course_id_courses')),
        sa.ForeignKeyConstraint(['trainer_id'], ['trainers.id'], name=op.f('fk_feedback_forms_trainer_id_trainers')),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_feedback_forms')),
    )
    op.create_index(op.f('ix_feedback_forms_course_id'), 'feedback_forms', ['course_id'])
    op.create_index(op.f('ix_feedback_forms_trainer_id'), 'feedback_forms', ['trainer_id'])
    op.create_table(
        'feedback_invitations',
        sa.Column('enrollment_id', sa.Uuid(), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('invited_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'],
                                name=op.f('fk_feedback_invitations_enrollment_id_enrollments')),
        sa.ForeignKeyConstraint(['session_id'], ['feedback_forms.session_id'],
                                name=op.f('fk_feedback_invitations_session_id_feedback_forms')),
        sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_feedback_invitations')),
    )
    op.create_index(op.f('ix_feedback_invitations_session_id'), 'feedback_invitations', ['session_id'])
    op.create_table(
        'feedback_ballots',
        sa.Column('enrollment_id', sa.Uuid(), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['feedback_invitations.enrollment_id'],
                                name=op.f('fk_feedback_ballots_enrollment_id_feedback_invitations')),
        sa.ForeignKeyConstraint(['session_id'], ['feedback_forms.session_id'],
                                name=op.f('fk_feedback_ballots_session_id_feedback_forms')),
        sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_feedback_ballots')),
    )
    op.create_index(op.f('ix_feedback_ballots_session_id'), 'feedback_ballots', ['session_id'])
    op.create_table(
        'feedback_answers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['feedback_forms.session_id'],
                                name=op.f('fk_feedback_answers_session_id_feedback_forms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answers')),
    )
    op.create_index(op.f('ix_feedback_answers_session_id'), 'feedback_answers', ['session_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_feedback_answers_session_id'), table_name='feedback_answers')
    op.drop_table('feedback_answers')
    op.drop_index(op.f('ix_feedback_ballots_session_id'), table_name='feedback_ballots')
    op.drop_table('feedback_ballots')
    op.drop_index(op.f('ix_feedback_invitations_session_id'), table_name='feedback_invitations')
    op.drop_table('feedback_invitations')
    op.drop_index(op.f('ix_feedback_forms_trainer_id'), table_name='feedback_forms')
    op.drop_index(op.f('ix_feedback_forms_course_id'), table_name='feedback_forms')
    op.drop_table('feedback_forms')
    op.drop_table('course_feedback_settings')
