"""Merge notifications into the activity log.

Its revision id has 41 characters; expand_verlen_0915 widened the version column first.

Revision ID: merge_notifications_into_activitylog_0915
Revises: expand_verlen_0915
"""
import sqlalchemy as sa
from alembic import op

revision = "merge_notifications_into_activitylog_0915"
down_revision = "expand_verlen_0915"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity_log") as batch:
        batch.add_column(sa.Column("body", sa.Text, nullable=True))
        batch.add_column(sa.Column("is_read", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("activity_log") as batch:
        batch.drop_column("is_read")
        batch.drop_column("body")
