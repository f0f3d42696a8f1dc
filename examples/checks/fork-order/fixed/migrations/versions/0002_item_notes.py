"""items.notes (one branch of the fork at 0001)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("items", sa.Column("notes", sa.String(200)))


def downgrade():
    op.drop_column("items", "notes")
