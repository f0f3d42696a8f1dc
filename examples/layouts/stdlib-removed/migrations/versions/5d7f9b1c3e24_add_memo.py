"""add memo

Revision ID: 5d7f9b1c3e24
Revises: 4c6e8a0b2d13
"""
from alembic import op
import sqlalchemy as sa

revision = "5d7f9b1c3e24"
down_revision = "4c6e8a0b2d13"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("entries", sa.Column("memo", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("memo")
