"""Merge notifications into the activity log.

Its revision id has 41 characters: more than alembic_version.version_num (VARCHAR(32)) holds.
SQLite stores it anyway; PostgreSQL and MariaDB (strict mode) reject the version update.

Revision ID: merge_notifications_into_activitylog_0915
Revises: add_fk_cleanup_0907
"""
import sqlalchemy as sa
from alembic import op

revision = "merge_notifications_into_activitylog_0915"
down_revision = "add_fk_cleanup_0907"
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
