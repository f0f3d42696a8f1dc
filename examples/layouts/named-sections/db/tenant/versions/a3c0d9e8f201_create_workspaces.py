"""create workspaces

Revision ID: a3c0d9e8f201
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "a3c0d9e8f201"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("workspaces")
