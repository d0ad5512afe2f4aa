"""preferences, categories, digests, received events

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import shared.persistence.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_events',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_received_events'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=30), server_default='training', nullable=False))
        batch_op.add_column(sa.Column('critical', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('subject',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.alter_column('body_text',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.alter_column('body_html',
               existing_type=sa.TEXT(),
               nullable=True)

    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='event', nullable=False))
        batch_op.add_column(sa.Column('roles', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('channels', sa.JSON(), server_default='["email"]', nullable=False))
        batch_op.add_column(sa.Column('webhook_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('webhook_secret', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('opt_out_categories', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('call_alerts', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('alert_themes', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('alert_regions', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('alert_applicant_types', sa.JSON(), server_default='["municipality"]', nullable=False))
        batch_op.add_column(sa.Column('delivery_mode', sa.String(length=20), server_default='immediate', nullable=False))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('quiet_start', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('unsubscribed_all', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('bounced_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', shared.persistence.schema.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_recipients_municipality_code'), ['municipality_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recipients_municipality_code'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('bounced_at')
        batch_op.drop_column('unsubscribed_all')
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('delivery_mode')
        batch_op.drop_column('alert_applicant_types')
        batch_op.drop_column('alert_regions')
        batch_op.drop_column('alert_themes')
        batch_op.drop_column('call_alerts')
        batch_op.drop_column('opt_out_categories')
        batch_op.drop_column('webhook_secret')
        batch_op.drop_column('webhook_url')
        batch_op.drop_column('channels')
        batch_op.drop_column('roles')
        batch_op.drop_column('source')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('body_html',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.alter_column('body_text',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.alter_column('subject',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('digest_id')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('critical')
        batch_op.drop_column('category')

    op.drop_table('received_events')
