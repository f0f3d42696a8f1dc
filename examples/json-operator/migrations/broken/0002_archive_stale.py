"""archive tickets labelled stale (uses the jsonb-only ? operator on a json column)

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("UPDATE tickets SET status = 'archived' WHERE labels ? 'stale'")


def downgrade():
    pass
