"""a view of each team's player count and average rating

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE VIEW team_rosters AS "
        "SELECT t.id AS team_id, t.name AS team, COUNT(p.id) AS players, AVG(p.rating) AS rating "
        "FROM teams t LEFT JOIN players p ON p.team_id = t.id GROUP BY t.id, t.name"
    )


def downgrade():
    op.execute("DROP VIEW team_rosters")
