"""add is_draft to queries

The first revision Alembic manages: the schema before it came from the app's older, hand-written
migrations, which the project no longer ships.

Revision ID: 5e4d3c2b1a09
Revises:
Create Date: 2026-11-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import ProgrammingError

revision = "5e4d3c2b1a09"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    try:
        op.add_column("queries", sa.Column("is_draft", sa.Boolean, nullable=True))
    except ProgrammingError as e:
        # Installs that ran the old migrations already have the column.
        if "already exists" not in str(e):
            print("could not add queries.is_draft: {}".format(e))


def downgrade():
    op.drop_column("queries", "is_draft")
