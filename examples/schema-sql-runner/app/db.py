"""Opens the app's SQLite database from DATABASE_URL (sqlite:///relative or sqlite:////absolute)."""
import os
import sqlite3


def connect():
    url = os.environ["DATABASE_URL"]
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise SystemExit("DATABASE_URL must be a sqlite:/// URL, got %r" % url.split("://")[0])
    return sqlite3.connect(url[len(prefix):])
