"""The guestbook's tables: what a new install gets, created from these models."""
from sqlalchemy import Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author", String(80), nullable=False),
    Column("body", Text, nullable=False),
    Column("email", String(200), nullable=True),
)
