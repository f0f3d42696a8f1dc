"""The boards app's tables as it creates them on a fresh install (`metadata.create_all`, then
`alembic stamp head`)."""
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

queries = Table(
    "queries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("query_text", Text, nullable=False),
    Column("is_draft", Boolean, nullable=True),
    Column("description", Text, nullable=True),
)
