"""add description to queries

Revision ID: 9a8b7c6d5e4f
Revises: 5e4d3c2b1a09
Create Date: 2026-11-20 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "9a8b7c6d5e4f"
down_revision = "5e4d3c2b1a09"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("queries", sa.Column("description", sa.Text, nullable=True))


def downgrade():
    op.drop_column("queries", "description")
