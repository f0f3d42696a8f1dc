"""users.bio dropped

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("bio")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("bio", sa.Text))
