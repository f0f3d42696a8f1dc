"""create crates

Revision ID: 4c6e8a0b2d13
Revises:
Create Date: 2026-02-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "4c6e8a0b2d13"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "crates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
    )


def downgrade():
    op.drop_table("crates")
