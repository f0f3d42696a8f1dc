"""The journal as today's code maps it."""
import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("full_name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(20)),
    sa.Column("age", sa.Integer, nullable=False),
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
