"""create products

Revision ID: 3c1d2e4f5a6b
Revises:
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "3c1d2e4f5a6b"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
    )


def downgrade():
    op.drop_table("products")
