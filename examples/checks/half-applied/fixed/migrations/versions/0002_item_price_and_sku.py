"""items.price and items.sku, each added only when it is missing

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
    # Where DDL is not transactional, an upgrade stopped between the two leaves price behind: a
    # retry must add only what is missing.
    existing = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("items")}
    for column in (sa.Column("price", sa.Numeric(10, 2)), sa.Column("sku", sa.String(40))):
        if column.name not in existing:
            op.add_column("items", column)


def downgrade():
    op.drop_column("items", "sku")
    op.drop_column("items", "price")
