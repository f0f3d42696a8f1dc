"""create recipes

Revision ID: 3c1d9e7a5b20
Revises:
Create Date: 2026-03-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "3c1d9e7a5b20"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("recipes")
