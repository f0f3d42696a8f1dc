"""add invoice notes

Revision ID: b7e4f0c2a9d1
Revises: a1b2c3d4e5f6
"""
from alembic import op
import sqlalchemy as sa

revision = "b7e4f0c2a9d1"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("notes", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("notes")
