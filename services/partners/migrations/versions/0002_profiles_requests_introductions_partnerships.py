"""profiles lifecycle, requests, introductions, partnerships, visits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:43:39.958222

Organisation profiles get an owner (municipality code), contact language, past cooperation, a
life cycle (expiry, renewal reminder) and a revision for in-memory matching indexes; partner
requests, introductions, access keys, partnerships, letters of intent and visits are new.
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa
import shared.persistence.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_keys',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('side', sa.String(length=20), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_access_keys'))
    )
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_keys_subject_id'), ['subject_id'], unique=False)

    op.create_table('partner_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=True),
    sa.Column('call_id', sa.Uuid(), nullable=True),
    sa.Column('call_code', sa.String(length=100), nullable=True),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('organisation_types', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('preferred_size', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=True),
    sa.Column('requester_email', sa.String(length=254), nullable=True),
    sa.Column('requester_language', sa.String(length=2), server_default='lt', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('last_proposal', sa.JSON(), nullable=True),
    sa.Column('proposed_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_requests'))
    )
    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_requests_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_requests_municipality_code'), ['municipality_code'], unique=False)

    op.create_table('profile_revision',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_revision'))
    )
    op.create_table('introductions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requester_answer', sa.String(length=20), nullable=True),
    sa.Column('requester_answered_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.Column('candidate_answer', sa.String(length=20), nullable=True),
    sa.Column('candidate_answered_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answer_by', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_contact_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_introductions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['request_id'], ['partner_requests.id'], name=op.f('fk_introductions_request_id_partner_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introductions')),
    sa.UniqueConstraint('request_id', 'organisation_id', name=op.f('uq_introductions_request_id_organisation_id'))
    )
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_introductions_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_introductions_status_last_contact_at', ['status', 'last_contact_at'], unique=False)

    op.create_table('partnerships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('introduction_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=True),
    sa.Column('requester_email', sa.String(length=254), nullable=True),
    sa.Column('requester_language', sa.String(length=2), server_default='lt', nullable=False),
    sa.Column('partner_contact_name', sa.String(length=200), nullable=True),
    sa.Column('partner_contact_email', sa.String(length=254), nullable=True),
    sa.Column('partner_contact_language', sa.String(length=2), server_default='en', nullable=False),
    sa.Column('established_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_partnerships_introduction_id_introductions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partnerships_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['request_id'], ['partner_requests.id'], name=op.f('fk_partnerships_request_id_partner_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnerships')),
    sa.UniqueConstraint('introduction_id', name=op.f('uq_partnerships_introduction_id'))
    )
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnerships_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnerships_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnerships_request_id'), ['request_id'], unique=False)

    op.create_table('letters_of_intent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('issued_by', sa.String(length=20), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_letters_of_intent_partnership_id_partnerships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters_of_intent'))
    )
    with op.batch_alter_table('letters_of_intent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_of_intent_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('participants_count', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_visits_partnership_id_partnerships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_partnership_id'), ['partnership_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('contact_language', sa.String(length=2), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('past_cooperation', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('active_partnerships', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('partnerships_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('expires_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renewal_reminded_for', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisations_revision'), ['revision'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_municipality_code'), ['municipality_code'])

    # Profiles made before this revision: valid for a year from creation, all at revision 1.
    bind = op.get_bind()
    organisations = sa.table('organisations', sa.column('id', sa.Uuid()),
                             sa.column('created_at', shared.persistence.schema.UtcDateTime()),
                             sa.column('past_cooperation', sa.JSON()), sa.column('expires_at', shared.persistence.schema.UtcDateTime()),
                             sa.column('revision', sa.BigInteger()), sa.column('updated_at', shared.persistence.schema.UtcDateTime()))
    existing = bind.execute(sa.select(organisations.c.id, organisations.c.created_at)).all()
    for organisation_id, created_at in existing:
        bind.execute(organisations.update().where(organisations.c.id == organisation_id).values(
            past_cooperation=[], expires_at=created_at + timedelta(days=365), revision=1, updated_at=created_at))
    op.bulk_insert(sa.table('profile_revision', sa.column('id', sa.Integer()), sa.column('value', sa.BigInteger())),
                   [{'id': 1, 'value': 1 if existing else 0}])
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('past_cooperation', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('expires_at', existing_type=shared.persistence.schema.UtcDateTime(timezone=True), nullable=False)
        batch_op.alter_column('revision', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('updated_at', existing_type=shared.persistence.schema.UtcDateTime(timezone=True), nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisations_municipality_code'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_organisations_revision'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('revision')
        batch_op.drop_column('renewal_reminded_for')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('partnerships_total')
        batch_op.drop_column('active_partnerships')
        batch_op.drop_column('past_cooperation')
        batch_op.drop_column('contact_language')
        batch_op.drop_column('municipality_code')

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_partnership_id'))

    op.drop_table('visits')
    with op.batch_alter_table('letters_of_intent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_of_intent_partnership_id'))

    op.drop_table('letters_of_intent')
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnerships_request_id'))
        batch_op.drop_index(batch_op.f('ix_partnerships_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_partnerships_municipality_code'))

    op.drop_table('partnerships')
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_index('ix_introductions_status_last_contact_at')
        batch_op.drop_index(batch_op.f('ix_introductions_organisation_id'))

    op.drop_table('introductions')
    op.drop_table('profile_revision')
    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_requests_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_partner_requests_application_id'))

    op.drop_table('partner_requests')
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_keys_subject_id'))

    op.drop_table('access_keys')
