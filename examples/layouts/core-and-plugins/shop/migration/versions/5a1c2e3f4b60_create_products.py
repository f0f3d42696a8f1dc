"""create products

Revision ID: 5a1c2e3f4b60
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "5a1c2e3f4b60"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
    )


def downgrade():
    op.drop_table("products")
