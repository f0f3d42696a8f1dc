"""Alembic environment of the ledger: the URL comes from LEDGER_DATABASE_URL (a SQLite file in the
working folder by default), never from alembic.ini."""
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

URL = os.environ.get("LEDGER_DATABASE_URL", "sqlite:///ledger.db")


def run_migrations_online():
    connectable = create_engine(URL, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=None,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
