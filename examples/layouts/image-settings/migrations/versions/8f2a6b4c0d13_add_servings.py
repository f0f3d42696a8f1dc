"""add servings

Revision ID: 8f2a6b4c0d13
Revises: 3c1d9e7a5b20
Create Date: 2026-03-09 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "8f2a6b4c0d13"
down_revision = "3c1d9e7a5b20"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("recipes", sa.Column("servings", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("recipes") as batch:
        batch.drop_column("servings")
