"""players get a unique email

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("email", sa.String(255)))
        batch.create_unique_constraint("uq_players_email", ["email"])


def downgrade():
    with op.batch_alter_table("players") as batch:
        batch.drop_constraint("uq_players_email", type_="unique")
        batch.drop_column("email")
