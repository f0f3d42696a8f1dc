"""create notes

Revision ID: 5d2c7e9a1b04
Revises:
Create Date: 2026-02-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "5d2c7e9a1b04"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
    )


def downgrade():
    op.drop_table("notes")
