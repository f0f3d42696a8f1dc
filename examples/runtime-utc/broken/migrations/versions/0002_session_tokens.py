"""Session tokens with an expiry, backfilled for existing users.

Revision ID: 0002_session_tokens
Revises: 0001_create_users

`datetime.UTC` exists since Python 3.11: on 3.10 importing this file fails.
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0002_session_tokens"
down_revision = "0001_create_users"
branch_labels = None
depends_on = None


def upgrade():
    tokens = op.create_table(
        "session_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_session_tokens_user_id", "session_tokens", ["user_id"])
    expire = datetime.now(tz=UTC) + timedelta(days=30)
    op.execute(
        tokens.insert().from_select(
            ["user_id", "expires_at"],
            sa.select(sa.column("id"), sa.literal(expire)).select_from(sa.table("users")),
        )
    )


def downgrade():
    op.drop_table("session_tokens")
