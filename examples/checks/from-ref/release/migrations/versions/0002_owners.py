"""owners, and the owner of each item

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "owners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.add_column("items", sa.Column("owner_id", sa.Integer, nullable=True))


def downgrade():
    op.drop_column("items", "owner_id")
    op.drop_table("owners")
