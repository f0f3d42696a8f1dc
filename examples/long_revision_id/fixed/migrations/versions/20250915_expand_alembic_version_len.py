"""Widen alembic_version.version_num from VARCHAR(32) to VARCHAR(255).

Runs before the long-named revision records itself, so every engine can store its id.

Revision ID: expand_verlen_0915
Revises: add_fk_cleanup_0907
"""
import sqlalchemy as sa
from alembic import op

revision = "expand_verlen_0915"
down_revision = "add_fk_cleanup_0907"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alembic_version") as batch:
        batch.alter_column(
            "version_num",
            type_=sa.String(255),
            existing_type=sa.String(32),
            existing_nullable=False,
        )


def downgrade():
    # Narrow only when no recorded revision would be cut.
    bind = op.get_bind()
    longest = bind.execute(sa.text("SELECT MAX(LENGTH(version_num)) FROM alembic_version")).scalar()
    if longest is not None and longest > 32:
        return
    with op.batch_alter_table("alembic_version") as batch:
        batch.alter_column(
            "version_num",
            type_=sa.String(32),
            existing_type=sa.String(255),
            existing_nullable=False,
        )
