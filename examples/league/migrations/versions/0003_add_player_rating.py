"""add a rating to players

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("rating", sa.Integer, nullable=False, server_default="1000"))


def downgrade():
    with op.batch_alter_table("players") as batch:
        batch.drop_column("rating")
