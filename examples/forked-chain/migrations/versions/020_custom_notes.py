"""custom notes

Revision ID: 020
Revises: 018
"""
from alembic import op
import sqlalchemy as sa

revision = "020"
down_revision = '018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("custom_notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text, nullable=False))


def downgrade():
    op.drop_table("custom_notes")
