"""totals as bigint: a new column, filled in batches by the app, then switched to

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
    op.add_column("orders", sa.Column("total_cents_big", sa.BigInteger, nullable=True))


def downgrade():
    op.drop_column("orders", "total_cents_big")
