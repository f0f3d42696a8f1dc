"""db timeouts relax hotfix

Revision ID: db_timeouts_relax_hotfix_0911
Revises: add_fk_cleanup_0907
"""
from alembic import op
import sqlalchemy as sa

revision = "db_timeouts_relax_hotfix_0911"
down_revision = "add_fk_cleanup_0907"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mail_status") as batch:
        batch.add_column(sa.Column("timeout", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("mail_status") as batch:
        batch.drop_column("timeout")
