"""create matches

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "matches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("home_team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("away_team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("played_at", sa.DateTime),
        sa.Column("home_score", sa.Integer),
        sa.Column("away_score", sa.Integer),
        sa.CheckConstraint("home_team_id <> away_team_id", name="ck_matches_distinct_teams"),
    )
    op.create_index(
        "ix_matches_played_at",
        "matches",
        ["played_at"],
        sqlite_where=sa.text("played_at IS NOT NULL"),
        postgresql_where=sa.text("played_at IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_matches_played_at", table_name="matches")
    op.drop_table("matches")
