"""items.notes, and items.listed_at with its time zone

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
    # Batch mode: SQLite cannot alter a column's type in place, so it copies the table there.
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("notes", sa.String(200)))
        batch.alter_column(
            "listed_at",
            existing_type=sa.DateTime(),
            type_=sa.DateTime(timezone=True),
        )


def downgrade():
    with op.batch_alter_table("items") as batch:
        batch.alter_column(
            "listed_at",
            existing_type=sa.DateTime(timezone=True),
            type_=sa.DateTime(),
        )
        batch.drop_column("notes")
