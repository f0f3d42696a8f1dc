"""an index on items.name

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_items_name", "items", ["name"])


def downgrade():
    op.drop_index("ix_items_name", table_name="items")
