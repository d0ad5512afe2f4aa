"""certificate verification codes of 138 bits (34 characters with dashes)

Widens certificates.verification_code from 20 to 40 characters. Nothing is removed or rewritten:
existing certificates keep their 12-character codes and keep verifying.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('verification_code', existing_type=sa.String(length=20), type_=sa.String(length=40),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('verification_code', existing_type=sa.String(length=40), type_=sa.String(length=20),
                              existing_nullable=False)
