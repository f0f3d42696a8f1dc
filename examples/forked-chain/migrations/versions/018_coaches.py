"""coaches

Revision ID: 018
Revises: 017
"""
from alembic import op
import sqlalchemy as sa

revision = "018"
down_revision = '017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("coaches", sa.Column("id", sa.Integer, primary_key=True), sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")))


def downgrade():
    op.drop_table("coaches")
