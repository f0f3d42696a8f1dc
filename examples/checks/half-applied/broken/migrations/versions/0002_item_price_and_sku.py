"""items.price and items.sku

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("items", sa.Column("price", sa.Numeric(10, 2)))
    op.add_column("items", sa.Column("sku", sa.String(40)))


def downgrade():
    op.drop_column("items", "sku")
    op.drop_column("items", "price")
