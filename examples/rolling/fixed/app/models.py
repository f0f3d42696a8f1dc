"""The journal as today's code maps it: expand first, contract in a later release."""
import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # name stays until no instance of v1.0 runs; full_name is written beside it.
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("full_name", sa.String(50)),
    sa.Column("email", sa.String(100)),
    sa.Column("bio", sa.Text),
    sa.Column("age", sa.Integer, nullable=False, server_default="0"),
)

notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(30), nullable=False, unique=True),
)
