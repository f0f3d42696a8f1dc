"""totals as bigint

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("orders", "total_cents", type_=sa.BigInteger, existing_nullable=False)


def downgrade():
    op.alter_column("orders", "total_cents", type_=sa.Integer, existing_nullable=False)
