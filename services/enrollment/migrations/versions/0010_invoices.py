"""invoices: fees invoiced per session and municipality

Adds sessions.invoice_cutoff_at (until then a cancellation or a late enrolment recalculates the
municipality's invoice; null: the session's start), invoices (one per session and municipality by a
unique constraint; number unique; status issued, paid or waived with who, when and why),
invoice_versions (what each version said: participants, unit price, amount, the enrolments; only
inserted) and invoice_counters (the last number per year, row-locked while numbering).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sessions', sa.Column('invoice_cutoff_at', UtcDateTime(), nullable=True))
    op.create_table(
        'invoices',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('number', sa.String(length=30), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('municipality_code', sa.String(length=2), nullable=False),
        sa.Column('currency', sa.String(length=3), server_default='EUR', nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('unit_price_cents', sa.Integer(), nullable=False),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('issued_at', UtcDateTime(), nullable=False),
        sa.Column('issued_by', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('paid_at', UtcDateTime(), nullable=True),
        sa.Column('paid_by', sa.Text(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('payment_reference', sa.String(length=100), nullable=True),
        sa.Column('paid_amount_cents', sa.BigInteger(), nullable=True),
        sa.Column('waived_at', UtcDateTime(), nullable=True),
        sa.Column('waived_by', sa.Text(), nullable=True),
        sa.Column('waive_reason', sa.Text(), nullable=True),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('issued', 'paid', 'waived')", name=op.f('ck_invoices_status')),
        sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_invoices_amount_cents')),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_invoices_session_id_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
        sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
        sa.UniqueConstraint('session_id', 'municipality_code', name=op.f('uq_invoices_session_id_municipality_code')),
    )
    op.create_index('ix_invoices_municipality_issued_at', 'invoices', ['municipality_code', 'issued_at'], unique=False)
    op.create_index(op.f('ix_invoices_session_id'), 'invoices', ['session_id'], unique=False)
    op.create_table(
        'invoice_versions',
        sa.Column('invoice_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('unit_price_cents', sa.Integer(), nullable=False),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('enrollment_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_invoice_versions_amount_cents')),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_versions_invoice_id_invoices')),
        sa.PrimaryKeyConstraint('invoice_id', 'version', name=op.f('pk_invoice_versions')),
    )
    op.create_table(
        'invoice_counters',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_invoice_counters')),
    )


def downgrade() -> None:
    op.drop_table('invoice_counters')
    op.drop_table('invoice_versions')
    op.drop_index(op.f('ix_invoices_session_id'), table_name='invoices')
    op.drop_index('ix_invoices_municipality_issued_at', table_name='invoices')
    op.drop_table('invoices')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('invoice_cutoff_at')
