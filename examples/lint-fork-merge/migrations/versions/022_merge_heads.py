"""merge heads

Revision ID: 022
Revises: 019, 021
"""
from alembic import op
import sqlalchemy as sa

revision = "022"
down_revision = ("019", "021")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
