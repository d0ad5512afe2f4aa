"""consulting engagements: requests, scope, consultant, deliverables, outcome

Adds the tables engagements, engagement_municipalities (the group an engagement serves),
engagement_deliverables and engagement_reminders, and lets the consultation log hold entries of an
engagement: consultations.engagement_id (null for every entry so far) and application_id becomes
nullable (an entry belongs to one or the other). Nothing existing is rewritten.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('engagements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('theme', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_language', sa.String(length=2), nullable=True),
    sa.Column('consultant_name', sa.String(length=200), nullable=True),
    sa.Column('consultant_email', sa.String(length=254), nullable=True),
    sa.Column('consultant_language', sa.String(length=2), nullable=True),
    sa.Column('scope', sa.Text(), nullable=True),
    sa.Column('agreed_on', sa.Date(), nullable=True),
    sa.Column('agreed_by', sa.String(length=200), nullable=True),
    sa.Column('declined_on', sa.Date(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_summary', sa.Text(), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagements'))
    )
    for column in ('municipality_code', 'theme', 'status', 'contact_email', 'consultant_email'):
        op.create_index(op.f(f'ix_engagements_{column}'), 'engagements', [column], unique=False)
    op.create_table('engagement_municipalities',
    sa.Column('engagement_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'],
                            name=op.f('fk_engagement_municipalities_engagement_id_engagements')),
    sa.PrimaryKeyConstraint('engagement_id', 'municipality_code', name=op.f('pk_engagement_municipalities'))
    )
    op.create_index('ix_engagement_municipalities_code', 'engagement_municipalities', ['municipality_code'],
                    unique=False)
    op.create_table('engagement_deliverables',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('engagement_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('delivered_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'],
                            name=op.f('fk_engagement_deliverables_engagement_id_engagements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_deliverables'))
    )
    op.create_index(op.f('ix_engagement_deliverables_engagement_id'), 'engagement_deliverables', ['engagement_id'],
                    unique=False)
    op.create_table('engagement_reminders',
    sa.Column('deliverable_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deliverable_id'], ['engagement_deliverables.id'],
                            name=op.f('fk_engagement_reminders_deliverable_id_engagement_deliverables')),
    sa.PrimaryKeyConstraint('deliverable_id', 'due_on', 'days_before', name=op.f('pk_engagement_reminders'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.alter_column('application_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('engagement_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consultations_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consultations_engagement_id_engagements'), 'engagements',
                                    ['engagement_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM consultations WHERE engagement_id IS NOT NULL")
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultations_engagement_id_engagements'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consultations_engagement_id'))
        batch_op.drop_column('engagement_id')
        batch_op.alter_column('application_id', existing_type=sa.Uuid(), nullable=False)
    op.drop_table('engagement_reminders')
    op.drop_index(op.f('ix_engagement_deliverables_engagement_id'), table_name='engagement_deliverables')
    op.drop_table('engagement_deliverables')
    op.drop_index('ix_engagement_municipalities_code', table_name='engagement_municipalities')
    op.drop_table('engagement_municipalities')
    for column in ('municipality_code', 'theme', 'status', 'contact_email', 'consultant_email'):
        op.drop_index(op.f(f'ix_engagements_{column}'), table_name='engagements')
    op.drop_table('engagements')
