"""items_archive, a copy of items (the other branch of the fork at 0001)

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # The columns are named, so the copy is the same whether or not 0002 ran first.
    op.create_table(
        "items_archive",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.execute("INSERT INTO items_archive (id, name) SELECT id, name FROM items")


def downgrade():
    op.drop_table("items_archive")
