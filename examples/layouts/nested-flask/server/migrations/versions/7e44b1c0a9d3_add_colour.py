"""add notes.colour

Revision ID: 7e44b1c0a9d3
Revises: 1f0c3a9d2b71
"""
from alembic import op
import sqlalchemy as sa

revision = "7e44b1c0a9d3"
down_revision = "1f0c3a9d2b71"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("colour", sa.String(50)))
        batch.create_index("ix_notes_colour", ["colour"])


def downgrade():
    with op.batch_alter_table("notes") as batch:
        batch.drop_index("ix_notes_colour")
        batch.drop_column("colour")
