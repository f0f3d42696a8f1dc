"""players

Revision ID: 015
Revises: None
"""
from alembic import op
import sqlalchemy as sa

revision = "015"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("players", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(80), nullable=False))


def downgrade():
    op.drop_table("players")
