"""notes renamed to memos

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.rename_table("notes", "memos")


def downgrade():
    op.rename_table("memos", "notes")
