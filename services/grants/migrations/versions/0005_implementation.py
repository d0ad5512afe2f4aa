"""after the contract: implementation period, reporting deadlines, payment claims, amendments

Adds applications.starts_on, ends_on, contract_total_eur and contract_grant_eur (null until the
implementation is planned), and the tables project_reports, payment_claims and amendments. Nothing
existing is rewritten.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import BigId, UtcDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contract_total_eur', MONEY, nullable=True))
        batch_op.add_column(sa.Column('contract_grant_eur', MONEY, nullable=True))
    op.create_table('project_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('submitted_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_project_reports_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_reports'))
    )
    op.create_index(op.f('ix_project_reports_application_id'), 'project_reports', ['application_id'], unique=False)
    op.create_table('payment_claims',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('amount_eur', MONEY, nullable=False),
    sa.Column('eligible_costs_eur', MONEY, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('approved_amount_eur', MONEY, nullable=True),
    sa.Column('approved_by', sa.String(length=200), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_payment_claims_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_claims')),
    sa.UniqueConstraint('application_id', 'number', name=op.f('uq_payment_claims_application_id_number'))
    )
    op.create_index(op.f('ix_payment_claims_application_id'), 'payment_claims', ['application_id'], unique=False)
    op.create_index(op.f('ix_payment_claims_status'), 'payment_claims', ['status'], unique=False)
    op.create_table('amendments',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('changed_at', UtcDateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_amendments_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments'))
    )
    op.create_index(op.f('ix_amendments_application_id'), 'amendments', ['application_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_amendments_application_id'), table_name='amendments')
    op.drop_table('amendments')
    op.drop_index(op.f('ix_payment_claims_status'), table_name='payment_claims')
    op.drop_index(op.f('ix_payment_claims_application_id'), table_name='payment_claims')
    op.drop_table('payment_claims')
    op.drop_index(op.f('ix_project_reports_application_id'), table_name='project_reports')
    op.drop_table('project_reports')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('contract_grant_eur')
        batch_op.drop_column('contract_total_eur')
        batch_op.drop_column('ends_on')
        batch_op.drop_column('starts_on')
