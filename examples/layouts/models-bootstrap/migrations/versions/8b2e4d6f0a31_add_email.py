"""add email

Revision ID: 8b2e4d6f0a31
Revises: 3f1a0c2b9d10
Create Date: 2026-01-20 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "8b2e4d6f0a31"
down_revision = "3f1a0c2b9d10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("email", sa.String(200), nullable=True))


def downgrade():
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("email")
