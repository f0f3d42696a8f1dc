"""add price

Revision ID: 6b2d3f4a5c71
Revises: 5a1c2e3f4b60
"""
from alembic import op
import sqlalchemy as sa

revision = "6b2d3f4a5c71"
down_revision = "5a1c2e3f4b60"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("products", sa.Column("price_cents", sa.Integer, nullable=True))


def downgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_column("price_cents")
