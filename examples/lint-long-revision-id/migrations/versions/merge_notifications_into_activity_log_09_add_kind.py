"""merge notifications into activity log

Revision ID: merge_notifications_into_activity_log_09
Revises: add_fk_cleanup_0907
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "merge_notifications_into_activity_log_09"
down_revision: Union[str, Sequence[str], None] = "add_fk_cleanup_0907"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade():
    with op.batch_alter_table("activity_log") as batch:
        batch.add_column(sa.Column("kind", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("activity_log") as batch:
        batch.drop_column("kind")
