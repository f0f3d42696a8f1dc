"""The migration runner as it shipped (1.0.0-rc.2).

Applies app/migrations/*.sql in order and records each in schema_migrations. "Smart detection": on a
database whose schema_migrations is empty but whose tables already exist (SCHEMA_SQL ran), it records
every migration as applied instead of running it. It only looks when nothing is recorded yet.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.db import connect  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def migrations():
    return sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(HERE, "migrations", "*.sql")))


def table_exists(conn, name):
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def main():
    conn = connect()
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    if not applied and table_exists(conn, "users"):
        for name in migrations():
            conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (name,))
        conn.commit()
        return
    for name in migrations():
        if name in applied:
            continue
        with open(os.path.join(HERE, "migrations", name + ".sql")) as sql:
            conn.executescript(sql.read())
        conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (name,))
        conn.commit()
        print("applied", name)


if __name__ == "__main__":
    main()
