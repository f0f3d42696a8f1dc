"""users: full_name beside name, age with a server default; a new tags table

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("full_name", sa.String(50)))
        batch.add_column(sa.Column("age", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(30), nullable=False, unique=True),
    )


def downgrade():
    op.drop_table("tags")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("age")
        batch.drop_column("full_name")
