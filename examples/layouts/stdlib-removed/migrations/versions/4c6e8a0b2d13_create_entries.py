"""create entries

Revision ID: 4c6e8a0b2d13
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "4c6e8a0b2d13"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount_cents", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("entries")
