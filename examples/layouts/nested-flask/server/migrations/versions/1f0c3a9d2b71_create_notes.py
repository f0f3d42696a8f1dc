"""create notes

Revision ID: 1f0c3a9d2b71
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "1f0c3a9d2b71"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("notes")
