"""initial schema: the tables the app created from its models

Revision ID: 3f1a0c2b9d10
Revises:
Create Date: 2025-11-02 10:00:00
"""

revision = "3f1a0c2b9d10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
