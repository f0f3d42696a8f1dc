"""create tallies

Revision ID: 2b4d6f8a0c1e
Revises:
Create Date: 2026-02-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "2b4d6f8a0c1e"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tallies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
    )


def downgrade():
    op.drop_table("tallies")
