"""a token per order

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "orders",
        sa.Column("token", sa.Text, nullable=False, server_default=sa.text("md5(random()::text)")),
    )


def downgrade():
    op.drop_column("orders", "token")
