"""Fixtures for the unit tests of the Python the harness embeds: the Alembic entry point and the
warm worker, loaded from the source tree, run with a real Alembic against throwaway SQLite files."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRY = os.path.join(ROOT, "src", "adapters", "alembic_entry.py")
WORKER = os.path.join(ROOT, "src", "runtime", "worker.py")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def entry():
    return load(ENTRY, "alembic_entry_under_test")


ENV_PY = textwrap.dedent(
    """
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    target_metadata = None
    connectable = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    """
)


def revision(rev, down, body):
    return textwrap.dedent(
        """
        import sqlalchemy as sa
        from alembic import op

        revision = {rev!r}
        down_revision = {down!r}
        branch_labels = None
        depends_on = None


        def upgrade():
        {body}


        def downgrade():
            pass
        """
    ).format(rev=rev, down=down, body=textwrap.indent(textwrap.dedent(body).strip(), "    "))


class Project(object):
    """An Alembic project in a temporary folder, and a way to run the entry point on it."""

    def __init__(self, root):
        self.root = root
        self.versions = root / "migrations" / "versions"
        self.versions.mkdir(parents=True)
        (root / "migrations" / "env.py").write_text(ENV_PY)
        (root / "alembic.ini").write_text(
            "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///unused.db\n"
        )
        self.database = root / "cell.sqlite"

    def add(self, rev, down, body):
        (self.versions / ("%s.py" % rev)).write_text(revision(rev, down, body))

    def run(self, *args, **env):
        """Runs the entry point; the result's `records` are the records it wrote, in order."""
        records = self.root / "records.jsonl"
        records.write_text("")
        environment = dict(os.environ)
        environment["HARNESS_DATABASE_URL"] = "sqlite:///%s" % self.database
        environment["HARNESS_RECORDS"] = str(records)
        environment.update(env)
        done = subprocess.run(
            [sys.executable, ENTRY, str(self.root / "alembic.ini")] + list(args),
            cwd=str(self.root),
            env=environment,
            capture_output=True,
            text=True,
        )
        done.records = [json.loads(line) for line in records.read_text().splitlines()]
        return done


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)
