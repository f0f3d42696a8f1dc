"""users: name renamed to full_name, email narrowed, age required

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.alter_column("name", new_column_name="full_name", existing_type=sa.String(50))
        batch.alter_column("email", type_=sa.String(20), existing_type=sa.String(100))
        batch.add_column(sa.Column("age", sa.Integer, nullable=False))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("age")
        batch.alter_column("email", type_=sa.String(100), existing_type=sa.String(20))
        batch.alter_column("full_name", new_column_name="name", existing_type=sa.String(50))
