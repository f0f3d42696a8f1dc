"""trees remember which AI providers they use

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("trees", sa.Column("ai_member_provider", sa.String(40)))
    op.add_column("trees", sa.Column("ai_recommender_provider", sa.String(40)))


def downgrade():
    with op.batch_alter_table("trees") as batch:
        batch.drop_column("ai_recommender_provider")
        batch.drop_column("ai_member_provider")
