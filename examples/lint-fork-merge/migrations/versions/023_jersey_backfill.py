"""jersey backfill

Revision ID: 023
Revises: 022
"""
from alembic import op
import sqlalchemy as sa

revision = "023"
down_revision = "022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("jersey", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("players") as batch:
        batch.drop_column("jersey")
