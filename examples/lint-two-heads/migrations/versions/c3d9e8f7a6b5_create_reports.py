"""create reports

Revision ID: c3d9e8f7a6b5
Revises: a1b2c3d4e5f6
"""
from alembic import op
import sqlalchemy as sa

revision = "c3d9e8f7a6b5"
down_revision = "a1b2c3d4e5f6"
branch_labels = ("reporting")
depends_on = None


def upgrade():
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade():
    op.drop_table("reports")
