"""rating on products: the plugin's first revision alters a table the core creates

Revision ID: e1f2a3b4c5d6
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "e1f2a3b4c5d6"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("products", sa.Column("rating", sa.Float, nullable=True))


def downgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_column("rating")
