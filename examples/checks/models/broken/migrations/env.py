"""Alembic environment: online migrations only, compared against the models of models.py."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from models import Base

config = context.config


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
