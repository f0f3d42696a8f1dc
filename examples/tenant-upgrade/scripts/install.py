"""A new tenant: every migration file, in order. `--until 0003` stops after that version (an old tenant)."""
import sys

from db import all_migrations, apply, applied, connect


def main(argv):
    until = argv[argv.index("--until") + 1] if "--until" in argv else None
    conn = connect()
    done = applied(conn)
    for name in all_migrations():
        if until is not None and name[:4] > until:
            break
        if name not in done:
            apply(conn, name)


if __name__ == "__main__":
    main(sys.argv)
