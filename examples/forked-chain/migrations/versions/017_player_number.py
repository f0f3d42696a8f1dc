"""player number

Revision ID: 017
Revises: 016
"""
from alembic import op
import sqlalchemy as sa

revision = "017"
down_revision = '016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("players", sa.Column("number", sa.Integer))


def downgrade():
    with op.batch_alter_table("players") as batch:
        batch.drop_column("number")
