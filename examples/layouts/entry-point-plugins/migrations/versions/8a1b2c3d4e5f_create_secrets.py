"""create secrets

Revision ID: 8a1b2c3d4e5f
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "8a1b2c3d4e5f"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "secrets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
    )


def downgrade():
    op.drop_table("secrets")
