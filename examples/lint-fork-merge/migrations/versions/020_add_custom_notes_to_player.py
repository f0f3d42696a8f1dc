"""add custom notes to player

Revision ID: 020
Revises: 018
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "020"
down_revision: Union[str, Sequence[str], None] = "018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade():
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("notes", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("players") as batch:
        batch.drop_column("notes")
