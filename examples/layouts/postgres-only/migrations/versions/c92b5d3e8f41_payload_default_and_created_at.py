"""payload default, created_at, GIN index

Revision ID: c92b5d3e8f41
Revises: a1c4e07f2b10
Create Date: 2026-04-11 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c92b5d3e8f41"
down_revision = "a1c4e07f2b10"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE events ALTER COLUMN payload SET DEFAULT '{}'::jsonb")
    op.add_column(
        "events",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_events_payload", "events", ["payload"], postgresql_using="gin"
    )


def downgrade():
    op.drop_index("ix_events_payload", table_name="events")
    op.drop_column("events", "created_at")
    op.execute("ALTER TABLE events ALTER COLUMN payload DROP DEFAULT")
