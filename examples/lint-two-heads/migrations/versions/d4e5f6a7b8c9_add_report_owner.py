"""add report owner

Revision ID: d4e5f6a7b8c9
Revises: c3d9e8f7a6b5
"""
from alembic import op
import sqlalchemy as sa

revision = "d4e5f6a7b8c9"
down_revision = "c3d9e8f7a6b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("owner", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("owner")
