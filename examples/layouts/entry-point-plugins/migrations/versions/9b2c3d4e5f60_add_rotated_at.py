"""add rotated_at

Revision ID: 9b2c3d4e5f60
Revises: 8a1b2c3d4e5f
"""
from alembic import op
import sqlalchemy as sa

revision = "9b2c3d4e5f60"
down_revision = "8a1b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("secrets", sa.Column("rotated_at", sa.DateTime, nullable=True))


def downgrade():
    with op.batch_alter_table("secrets") as batch:
        batch.drop_column("rotated_at")
