"""Alembic environment of the depot: run only by `depot db-upgrade`, which passes the settings."""
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
settings = config.attributes["settings"]


def run_migrations_online():
    connectable = create_engine(settings["url"], poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
