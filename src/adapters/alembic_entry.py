"""Entry point the harness runs inside a runtime's environment to drive the project's own Alembic.

Usage: python alembic_entry.py <alembic.ini> <command> [revision ...]
Commands: upgrade REV | downgrade REV | stamp REV... | heads | revisions
The database URL comes from HARNESS_DATABASE_URL (never from argv, so it does not show in process
lists). The user's files are not modified: the URL is set on the in-memory Config only.
"""
import json
import os
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    ini, command_name, args = argv[1], argv[2], argv[3:]
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(ini)
    url = os.environ.get("HARNESS_DATABASE_URL")
    if url:
        # Config values go through configparser interpolation: escape %.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

    if command_name == "upgrade":
        command.upgrade(config, args[0])
    elif command_name == "downgrade":
        command.downgrade(config, args[0])
    elif command_name == "stamp":
        command.stamp(config, args if len(args) > 1 else args[0])
    elif command_name == "heads":
        script = ScriptDirectory.from_config(config)
        emit(sorted(script.get_heads()))
    elif command_name == "revisions":
        script = ScriptDirectory.from_config(config)
        revisions = []
        for rev in script.walk_revisions():
            down = rev.down_revision
            if down is None:
                down = []
            elif isinstance(down, str):
                down = [down]
            revisions.append({
                "revision": rev.revision,
                "down_revision": list(down),
                "branch_labels": sorted(rev.branch_labels or []),
                "path": rev.path,
            })
        emit({"heads": sorted(script.get_heads()), "revisions": revisions})
    else:
        sys.stderr.write("unknown command %r\n" % command_name)
        return 2
    return 0


def emit(value):
    sys.stdout.write("HARNESS-JSON " + json.dumps(value, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
