"""Alembic environment of the shop: the app is built first, as the shop's own commands do."""
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from shop import settings
from shop.app import create_app

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

app = create_app()


def run_migrations_online():
    connectable = create_engine(settings.DATABASE_URL, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
