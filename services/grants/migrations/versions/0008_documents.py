"""documents: files of applications, checklist items and calls, with their versions

Adds the table documents (the file's name, type, size, sha256, version, who uploaded it and when,
whether it is personal); the bytes live in the documents folder (SAVIVALDA_DOCUMENTS_DIR). Version
numbers of one document are unique (uq_documents_version). Nothing existing is rewritten.

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
    op.create_table('documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('checklist_code', sa.String(length=60), nullable=True),
    sa.Column('slot', sa.String(length=260), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('personal', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('about', sa.String(length=254), nullable=True),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('owner_id', 'slot', 'version', name='uq_documents_version')
    )
    op.create_index('ix_documents_owner', 'documents', ['owner_kind', 'owner_id'], unique=False)
    for column in ('sha256', 'about', 'uploaded_by'):
        op.create_index(op.f(f'ix_documents_{column}'), 'documents', [column], unique=False)


def downgrade() -> None:
    for column in ('sha256', 'about', 'uploaded_by'):
        op.drop_index(op.f(f'ix_documents_{column}'), table_name='documents')
    op.drop_index('ix_documents_owner', table_name='documents')
    op.drop_table('documents')
