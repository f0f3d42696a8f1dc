"""owners.email and an index on items.name, in a revision of their own

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("owners", sa.Column("email", sa.String(200)))
    op.create_index("ix_items_name", "items", ["name"])


def downgrade():
    op.drop_index("ix_items_name", table_name="items")
    op.drop_column("owners", "email")
