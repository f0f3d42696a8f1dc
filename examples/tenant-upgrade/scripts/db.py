"""Shared by the tenant scripts: the database from DATABASE_URL, and applying one migration file."""
import os
import sqlite3

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def connect():
    url = os.environ["DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        raise SystemExit("DATABASE_URL must be a sqlite:/// URL")
    conn = sqlite3.connect(url[len("sqlite:///"):])
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)")
    return conn


def applied(conn):
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def apply(conn, name):
    with open(os.path.join(MIGRATIONS_DIR, name + ".sql")) as sql:
        conn.executescript(sql.read())
    conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (name,))
    conn.commit()
    print("applied", name)


def all_migrations():
    return sorted(name[:-4] for name in os.listdir(MIGRATIONS_DIR) if name.endswith(".sql"))
