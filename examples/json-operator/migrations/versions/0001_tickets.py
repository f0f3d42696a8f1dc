"""tickets with JSON labels

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("labels", sa.JSON, nullable=False),
    )


def downgrade():
    op.drop_table("tickets")
