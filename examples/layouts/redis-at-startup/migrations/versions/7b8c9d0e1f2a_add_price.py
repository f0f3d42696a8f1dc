"""add price

Revision ID: 7b8c9d0e1f2a
Revises: 3c1d2e4f5a6b
Create Date: 2026-12-07 10:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7b8c9d0e1f2a"
down_revision = "3c1d2e4f5a6b"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("products", sa.Column("price_cents", sa.Integer, nullable=True))


def downgrade():
    op.drop_column("products", "price_cents")
