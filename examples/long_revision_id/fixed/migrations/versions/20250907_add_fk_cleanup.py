"""Link notifications to the activity log entry they belong to.

Revision ID: add_fk_cleanup_0907
Revises: create_activity_log_0901
"""
import sqlalchemy as sa
from alembic import op

revision = "add_fk_cleanup_0907"
down_revision = "create_activity_log_0901"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("activity_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_notifications_activity_id",
            "activity_log",
            ["activity_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint("fk_notifications_activity_id", type_="foreignkey")
        batch.drop_column("activity_id")
