"""create teams

Revision ID: 016
Revises: 
"""
from alembic import op
import sqlalchemy as sa

revision = "016"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade():
    op.drop_table("teams")
