"""The guestbook's own database set-up: a new database gets its tables from the models and is
stamped at head; an existing one is upgraded with Alembic."""
import os
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from guestbook.models import metadata


def main():
    url = os.environ.get("DATABASE_URL", "sqlite:///guestbook.db")
    config = Config(os.path.join(os.path.dirname(__file__), "..", "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    engine = create_engine(url)
    if "entries" not in inspect(engine).get_table_names():
        metadata.create_all(engine)
        command.stamp(config, "head")
    else:
        command.upgrade(config, "head")
    return 0


if __name__ == "__main__":
    sys.exit(main())
