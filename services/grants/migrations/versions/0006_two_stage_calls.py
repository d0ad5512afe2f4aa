"""two-stage calls: concept note then full application

Adds funding_calls.concept_note_documents (empty for every call so far), applications.stage (null:
a single-stage call, as every application so far), concept_submitted_on, concept_decided_on,
concept_outcome, concept_reasons, and checklist_items.stage. Applications already started on a
two-stage call keep no stage: they were a single application with two deadlines before.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concept_note_documents', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('concept_submitted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('concept_decided_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('concept_outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('concept_reasons', sa.JSON(), nullable=True))
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_column('stage')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('concept_reasons')
        batch_op.drop_column('concept_outcome')
        batch_op.drop_column('concept_decided_on')
        batch_op.drop_column('concept_submitted_on')
        batch_op.drop_column('stage')
    with op.batch_alter_table('funding_calls', schema=None) as batch_op:
        batch_op.drop_column('concept_note_documents')
