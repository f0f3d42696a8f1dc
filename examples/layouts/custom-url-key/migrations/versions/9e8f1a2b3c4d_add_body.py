"""add body

Revision ID: 9e8f1a2b3c4d
Revises: 5d2c7e9a1b04
Create Date: 2026-03-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "9e8f1a2b3c4d"
down_revision = "5d2c7e9a1b04"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notes", sa.Column("body", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("body")
