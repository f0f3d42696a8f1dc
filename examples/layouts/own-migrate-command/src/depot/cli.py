"""`depot db-upgrade`: migrates the database the settings name, the only way the project does."""
import os
import sys

from alembic import command
from alembic.config import Config


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["db-upgrade"]:
        sys.stderr.write("usage: depot db-upgrade\n")
        return 2
    config = Config()
    config.set_main_option("script_location", "depot:migrations")
    config.attributes["settings"] = {"url": os.environ.get("DEPOT_DATABASE_URL", "sqlite:///depot.db")}
    command.upgrade(config, "head")
    return 0
