"""Tenant upgrade as it shipped: applies the migrations of a hand-kept list.

The list fell behind the migrations folder: 0006_sessions and 0008_audit_log were never added.
"""
from db import apply, applied, connect

MIGRATIONS = [
    "0001_tenants",
    "0002_users",
    "0003_teams",
    "0004_players",
    "0005_seasons",
    "0007_games",
]


def main():
    conn = connect()
    done = applied(conn)
    for name in MIGRATIONS:
        if name not in done:
            apply(conn, name)


if __name__ == "__main__":
    main()
