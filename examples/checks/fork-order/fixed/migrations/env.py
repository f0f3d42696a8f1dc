"""Alembic environment: online migrations only; the harness sets each cell's URL."""
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
