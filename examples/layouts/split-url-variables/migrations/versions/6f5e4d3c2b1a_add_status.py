"""add status

Revision ID: 6f5e4d3c2b1a
Revises: 1a2b3c4d5e6f
Create Date: 2026-03-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "6f5e4d3c2b1a"
down_revision = "1a2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "orders",
        sa.Column("status", sa.String(20), nullable=False, server_default="new"),
    )


def downgrade():
    op.drop_column("orders", "status")
