"""Alembic environment of the vault: the URL from the service, which loads its plugins first."""
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from vault.factory import database_url

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def run_migrations_online():
    connectable = create_engine(database_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
