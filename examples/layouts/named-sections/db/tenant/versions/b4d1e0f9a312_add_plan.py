"""add workspaces.plan

Revision ID: b4d1e0f9a312
Revises: a3c0d9e8f201
"""
from alembic import op
import sqlalchemy as sa

revision = "b4d1e0f9a312"
down_revision = "a3c0d9e8f201"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("plan", sa.String(50)))
        batch.create_index("ix_workspaces_plan", ["plan"])


def downgrade():
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_index("ix_workspaces_plan")
        batch.drop_column("plan")
