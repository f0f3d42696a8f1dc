"""add rating

Revision ID: c7d9e1f3a5b2
Revises: 8b2e4d6f0a31
Create Date: 2026-06-05 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c7d9e1f3a5b2"
down_revision = "8b2e4d6f0a31"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("rating")
