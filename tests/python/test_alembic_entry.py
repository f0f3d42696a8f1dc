"""Unit tests of src/adapters/alembic_entry.py: its URL handling, the revision tracker, interrupts,
the engine guard and bootstrap, with a real Alembic and SQLAlchemy on throwaway SQLite files."""

import json

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url


def test_urls_name_the_same_database_or_not(entry, tmp_path):
    a = make_url("postgresql://u:p@db:5432/app")
    assert entry.same_database(a, make_url("postgresql+psycopg2://x@db:5432/app"))
    assert not entry.same_database(a, make_url("postgresql://u@db:5432/other"))
    assert not entry.same_database(a, make_url("mysql://u@db:5432/app"))
    assert entry.same_server_no_database(make_url("postgresql://u@db:5432"), a)
    assert not entry.same_server_no_database(make_url("postgresql://other@db:5432"), a)
    file = tmp_path / "x.db"
    assert entry.same_database(make_url("sqlite:///%s" % file), make_url("sqlite:////%s" % str(file).lstrip("/")))
    assert entry.harmless(make_url("sqlite://"))
    assert not entry.harmless(make_url("sqlite:///%s" % file))
    assert entry.backend(make_url("mariadb+pymysql://u@h/d")) == "mysql"
    assert "p@ss" not in entry.shown(make_url("postgresql://u:p%40ss@h/d"))


def test_a_driver_is_named_only_when_the_environment_has_one(entry):
    sqlite = make_url("sqlite:///x.db")
    assert entry.with_driver(sqlite, False) is sqlite
    changed = entry.set_driver(make_url("postgresql://u@h/d"), "postgresql+psycopg2")
    assert changed.drivername == "postgresql+psycopg2"


def test_interrupt_specs(entry):
    assert entry.interrupt_spec("ab12:3") == ("ab12", 3)
    assert entry.interrupt_spec(" ab:12:2 ") == ("ab:12", 2)
    for bad in ("ab12:0", "ab12", ":2", "ab12:x"):
        assert entry.interrupt_spec(bad) is None


def test_an_upgrade_reaches_head_and_records_it(project):
    project.add("0001", None, "op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True))")
    project.add("0002", "0001", "op.add_column('teams', sa.Column('name', sa.String(50)))")
    done = project.run("upgrade", "head")
    assert done.returncode == 0, done.stderr
    engine = create_engine("sqlite:///%s" % project.database)
    columns = [c["name"] for c in inspect(engine).get_columns("teams")]
    assert columns == ["id", "name"]
    with engine.connect() as connection:
        versions = [row[0] for row in connection.exec_driver_sql("select version_num from alembic_version")]
    assert versions == ["0002"]


def test_a_failing_revision_is_named_in_one_structured_line(entry, project):
    project.add("0001", None, "op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True))")
    project.add("0002", "0001", "raise RuntimeError('broken on purpose')")
    done = project.run("upgrade", "head")
    assert done.returncode != 0
    assert "RuntimeError: broken on purpose" in done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(entry.STOPPED_MARK)]
    assert len(lines) == 1, done.stdout
    stopped = json.loads(lines[0][len(entry.STOPPED_MARK):])
    assert stopped == {"revision": "0002", "down_revision": ["0001"], "direction": "upgrade"}


def test_the_graph_is_read_without_a_database(project):
    project.add("0001", None, "pass")
    project.add("0002", "0001", "pass")
    done = project.run("heads", HARNESS_DATABASE_URL="")
    assert done.returncode == 0, done.stderr
    assert "0002" in done.stdout


def test_an_engine_on_another_database_is_refused_or_redirected(project, tmp_path):
    other = tmp_path / "elsewhere.db"
    project.add(
        "0001",
        None,
        """
        from sqlalchemy import create_engine
        create_engine('sqlite:///%s').connect().close()
        op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True))
        """ % other,
    )
    refused = project.run("upgrade", "head")
    assert refused.returncode != 0
    assert "elsewhere.db" in refused.stderr + refused.stdout
    assert not other.exists()
    redirected = project.run("upgrade", "head", HARNESS_FOREIGN_URLS="redirect")
    assert redirected.returncode == 0, redirected.stderr
    assert not other.exists()


def test_an_interrupt_stops_after_the_nth_statement_without_commit(entry, project):
    project.add(
        "0001",
        None,
        """
        op.create_table('a', sa.Column('id', sa.Integer, primary_key=True))
        op.create_table('b', sa.Column('id', sa.Integer, primary_key=True))
        op.create_table('c', sa.Column('id', sa.Integer, primary_key=True))
        """,
    )
    done = project.run("upgrade", "head", HARNESS_INTERRUPT="0001:2")
    assert done.returncode == 75, done.stderr
    tables = set(inspect(create_engine("sqlite:///%s" % project.database)).get_table_names())
    # SQLite's DDL is not transactional here: what ran stays, nothing after it.
    assert {"a", "b"} <= tables and "c" not in tables
    fresh = "sqlite:///%s" % (project.root / "fresh.sqlite")
    missed = project.run("upgrade", "head", HARNESS_INTERRUPT="0001:9", HARNESS_DATABASE_URL=fresh)
    assert missed.returncode == 76, missed.stderr


def test_bootstrap_creates_the_models_and_stamps_the_heads(project, tmp_path):
    (tmp_path / "app_models.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        "sa.Table('users', metadata, sa.Column('id', sa.Integer, primary_key=True))\n"
    )
    project.add("0001", None, "pass")
    done = project.run(
        "bootstrap",
        HARNESS_MODELS_METADATA="app_models:metadata",
        PYTHONPATH=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    engine = create_engine("sqlite:///%s" % project.database)
    assert "users" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        versions = [row[0] for row in connection.exec_driver_sql("select version_num from alembic_version")]
    assert versions == ["0001"]


@pytest.mark.parametrize("command", ["nonsense"])
def test_an_unknown_command_is_a_usage_error(project, command):
    done = project.run(command)
    assert done.returncode == 2
