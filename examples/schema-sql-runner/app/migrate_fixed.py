"""The migration runner after the hotfix (1.0.0-rc.3).

Like app/migrate.py, but migration 002's state is always checked: when its tables already exist (from
SCHEMA_SQL) only the missing indexes are created and 002 is recorded, whatever else is recorded.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.db import connect  # noqa: E402
from app.migrate import HERE, migrations, table_exists  # noqa: E402

OAUTH_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_tokens_user_id ON tokens (user_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ix_tokens_token ON tokens (token)",
    "CREATE INDEX IF NOT EXISTS ix_authorization_codes_user_id ON authorization_codes (user_id)",
]


def main():
    conn = connect()
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)")
    applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for name in migrations():
        if name in applied:
            continue
        if name == "001_users" and table_exists(conn, "users"):
            pass
        elif name == "002_oauth" and table_exists(conn, "tokens") and table_exists(conn, "authorization_codes"):
            for statement in OAUTH_INDEXES:
                conn.execute(statement)
        else:
            with open(os.path.join(HERE, "migrations", name + ".sql")) as sql:
                conn.executescript(sql.read())
        conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (name,))
        conn.commit()
        print("applied", name)


if __name__ == "__main__":
    main()
