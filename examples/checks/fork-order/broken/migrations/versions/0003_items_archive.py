"""items_archive, a copy of items (the other branch of the fork at 0001)

Revision ID: 0003
Revises: 0001
"""
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Copies whatever columns items has when this runs: with 0002 applied first, notes too.
    op.execute("CREATE TABLE items_archive AS SELECT * FROM items")


def downgrade():
    op.drop_table("items_archive")
