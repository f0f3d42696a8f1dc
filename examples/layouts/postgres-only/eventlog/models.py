"""Events as the app stores them: a JSONB payload, indexed with GIN."""
from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("payload", JSONB, nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)

Index("ix_events_payload", events.c.payload, postgresql_using="gin")
