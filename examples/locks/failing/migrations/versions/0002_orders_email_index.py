"""index orders by email

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_orders_email", "orders", ["email"])


def downgrade():
    op.drop_index("ix_orders_email", table_name="orders")
