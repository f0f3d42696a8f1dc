"""Tenant upgrade after the fix: the list of migrations is the migrations folder itself."""
from db import all_migrations, apply, applied, connect


def main():
    conn = connect()
    done = applied(conn)
    for name in all_migrations():
        if name not in done:
            apply(conn, name)


if __name__ == "__main__":
    main()
