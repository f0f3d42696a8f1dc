"""cleanup mail status exclusivity

Revision ID: cleanup_mail_status_0915
Revises: 20250911_db_timeouts_relax_hotfix_0911
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "cleanup_mail_status_0915"
down_revision: Union[str, Sequence[str], None] = "20250911_db_timeouts_relax_hotfix_0911"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade():
    with op.batch_alter_table("mail_status") as batch:
        batch.add_column(sa.Column("resolved", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("mail_status") as batch:
        batch.drop_column("resolved")
