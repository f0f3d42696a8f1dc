"""add fk cleanup

Revision ID: add_fk_cleanup_0907
Revises: 
"""
from alembic import op
import sqlalchemy as sa

revision = "add_fk_cleanup_0907"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_status",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade():
    op.drop_table("mail_status")
