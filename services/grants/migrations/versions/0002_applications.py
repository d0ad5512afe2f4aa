"""Programmes and funded projects; applications with status history, checklist, consultation log,
partner candidates and sent reminders; erasures; more call terms (two stages, documents, programme).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:44:05.768894
"""
from alembic import op
import sqlalchemy as sa
import shared.persistence.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erasures',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('removed', sa.JSON(), nullable=False),
    sa.Column('erased_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_erasures'))
    )
    op.create_table('programmes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('source_kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('period', sa.String(length=40), nullable=True),
    sa.Column('operator', sa.String(length=300), nullable=True),
    sa.Column('budget_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('donor_countries', sa.JSON(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_programmes_code'))
    )
    op.create_table('funded_projects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('programme_id', sa.Uuid(), nullable=False),
    sa.Column('project_number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('promoter', sa.String(length=300), nullable=False),
    sa.Column('region', sa.String(length=2), nullable=True),
    sa.Column('target_groups', sa.JSON(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('initial_cost_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('final_cost_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('grant_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_funded_projects_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funded_projects')),
    sa.UniqueConstraint('project_number', name=op.f('uq_funded_projects_project_number'))
    )
    with op.batch_alter_table('funded_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funded_projects_programme_id'), ['programme_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('call_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('applicant_type', sa.String(length=40), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('total_eligible_cost_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('requested_grant_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('own_contribution_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('internal_deadline', sa.Date(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_language', sa.String(length=2), nullable=True),
    sa.Column('consultant_name', sa.String(length=200), nullable=True),
    sa.Column('consultant_email', sa.String(length=254), nullable=True),
    sa.Column('consultant_language', sa.String(length=2), nullable=True),
    sa.Column('partner_status', sa.String(length=20), nullable=False),
    sa.Column('partner_request_id', sa.Uuid(), nullable=True),
    sa.Column('partnership_id', sa.Uuid(), nullable=True),
    sa.Column('partner_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('partner_name', sa.String(length=300), nullable=True),
    sa.Column('partner_country', sa.String(length=2), nullable=True),
    sa.Column('partner_contact_name', sa.String(length=200), nullable=True),
    sa.Column('partner_contact_email', sa.String(length=254), nullable=True),
    sa.Column('partner_established_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_outcome', sa.String(length=10), nullable=True),
    sa.Column('awarded_grant_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('decision_reasons', sa.JSON(), nullable=True),
    sa.Column('decision_reference', sa.String(length=200), nullable=True),
    sa.Column('contracted_on', sa.Date(), nullable=True),
    sa.Column('final_cost_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('final_grant_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['funding_calls.id'], name=op.f('fk_applications_call_id_funding_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_consultant_email'), ['consultant_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index('ix_applications_municipality_status', ['municipality_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)

    op.create_table('application_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('changed_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_status_changes_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_status_changes'))
    )
    with op.batch_alter_table('application_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_status_changes_application_id'), ['application_id'], unique=False)

    op.create_table('checklist_items',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_checklist_items_application_id_applications')),
    sa.PrimaryKeyConstraint('application_id', 'code', name=op.f('pk_checklist_items'))
    )
    op.create_table('consultations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_consultations_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_application_id'), ['application_id'], unique=False)

    op.create_table('partner_candidates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('partner_request_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('organisation_type', sa.String(length=60), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('introduction_id', sa.Uuid(), nullable=True),
    sa.Column('introduction_status', sa.String(length=20), nullable=True),
    sa.Column('proposed_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_partner_candidates_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_candidates')),
    sa.UniqueConstraint('application_id', 'organisation_id', name=op.f('uq_partner_candidates_application_id_organisation_id'))
    )
    with op.batch_alter_table('partner_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_candidates_application_id'), ['application_id'], unique=False)

    op.create_table('sent_reminders',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('deadline_kind', sa.String(length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_sent_reminders_application_id_applications')),
    sa.PrimaryKeyConstraint('application_id', 'deadline_kind', 'deadline', 'days_before', name=op.f('pk_sent_reminders'))
    )
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('first_stage_closes_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('required_documents', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('partner_organisation_types', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('updated_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_funding_calls_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_funding_calls_programme_id_programmes'), 'programmes', ['programme_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_funding_calls_programme_id_programmes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_funding_calls_programme_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('url')
        batch_op.drop_column('partner_organisation_types')
        batch_op.drop_column('required_documents')
        batch_op.drop_column('first_stage_closes_on')
        batch_op.drop_column('programme_id')

    op.drop_table('sent_reminders')
    with op.batch_alter_table('partner_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_candidates_application_id'))

    op.drop_table('partner_candidates')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_application_id'))

    op.drop_table('consultations')
    op.drop_table('checklist_items')
    with op.batch_alter_table('application_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_status_changes_application_id'))

    op.drop_table('application_status_changes')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index('ix_applications_municipality_status')
        batch_op.drop_index(batch_op.f('ix_applications_contact_email'))
        batch_op.drop_index(batch_op.f('ix_applications_consultant_email'))
        batch_op.drop_index(batch_op.f('ix_applications_call_id'))

    op.drop_table('applications')
    with op.batch_alter_table('funded_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funded_projects_programme_id'))

    op.drop_table('funded_projects')
    op.drop_table('programmes')
    op.drop_table('erasures')
