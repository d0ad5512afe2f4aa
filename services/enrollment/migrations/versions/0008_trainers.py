"""trainers: the people who teach sessions

Adds the trainers table (name, e-mail unique case-insensitively through email_key, language,
organisation) and sessions.trainer_id (indexed). Existing sessions keep their trainer's name in
sessions.trainer and have no trainer_id.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import UtcDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trainers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_key', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('organisation', sa.String(length=300), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('erased_at', UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trainers')),
        sa.UniqueConstraint('email_key', name=op.f('uq_trainers_email_key')),
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trainer_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sessions_trainer_id'), ['trainer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sessions_trainer_id_trainers'), 'trainers', ['trainer_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sessions_trainer_id_trainers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sessions_trainer_id'))
        batch_op.drop_column('trainer_id')
    op.drop_table('trainers')
