"""Unit tests of src/adapters/alembic_entry.py: its URL handling, the revision tracker, interrupts,
the engine guard and bootstrap, with a real Alembic and SQLAlchemy on throwaway SQLite files."""

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


def test_a_failing_revision_and_its_exception_are_records_not_output(entry, project):
    project.add("0001", None, "op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True))")
    project.add("0002", "0001", "raise RuntimeError('broken on purpose\\nsecond line')")
    done = project.run("upgrade", "head")
    assert done.returncode != 0
    assert "RuntimeError: broken on purpose" in done.stderr
    assert "stopped_in" not in done.stdout + done.stderr
    assert done.records == [
        {"v": entry.PROTOCOL_VERSION, "kind": "stopped_in", "revision": "0002", "down_revision": ["0001"],
         "direction": "upgrade"},
        {"v": entry.PROTOCOL_VERSION, "kind": "exception", "type": "RuntimeError",
         "line": "RuntimeError: broken on purpose", "module": None, "variable": None},
    ]


def test_a_missing_module_names_it(project):
    project.add("0001", None, "import no_such_package.models")
    done = project.run("upgrade", "head")
    assert done.returncode != 0
    assert done.records[-1]["type"] == "ModuleNotFoundError"
    assert done.records[-1]["module"] == "no_such_package"


def test_without_a_records_file_nothing_is_written(project):
    project.add("0001", None, "raise RuntimeError('x')")
    done = project.run("upgrade", "head", HARNESS_RECORDS="")
    assert done.returncode != 0 and done.records == []


def test_the_graph_is_read_without_a_database(project):
    project.add("0001", None, "pass")
    project.add("0002", "0001", "pass")
    done = project.run("heads", HARNESS_DATABASE_URL="")
    assert done.returncode == 0, done.stderr
    assert [r["heads"] for r in done.records if r["kind"] == "heads"] == [["0002"]]
    graph = project.run("revisions", HARNESS_DATABASE_URL="")
    assert graph.returncode == 0, graph.stderr
    [found] = [r for r in graph.records if r["kind"] == "graph"]
    assert found["heads"] == ["0002"]
    assert [r["revision"] for r in found["revisions"]] == ["0002", "0001"]


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
    assert [r["url"] for r in refused.records if r["kind"] == "foreign_url"] == ["sqlite:///%s" % other]
    assert not other.exists()
    redirected = project.run("upgrade", "head", HARNESS_FOREIGN_URLS="redirect")
    assert redirected.returncode == 0, redirected.stderr
    assert [r["kind"] for r in redirected.records] == ["redirected"]
    assert not other.exists()


def test_an_unset_environment_variable_is_named_in_the_exception_record(project):
    (project.root / "migrations" / "env.py").write_text("import os\nos.environ['APP_DATABASE_URL']\n")
    done = project.run("upgrade", "head")
    assert done.returncode != 0
    exceptions = [r for r in done.records if r["kind"] == "exception"]
    assert [(r["type"], r["variable"]) for r in exceptions] == [("KeyError", "APP_DATABASE_URL")]
    # A KeyError of the project's own dictionaries names no variable.
    (project.root / "migrations" / "env.py").write_text("{}['APP_DATABASE_URL']\n")
    done = project.run("upgrade", "head")
    assert [r["variable"] for r in done.records if r["kind"] == "exception"] == [None]


def test_a_connection_to_an_in_memory_database_is_refused(project):
    (project.root / "migrations" / "env.py").write_text(
        "from alembic import context\n"
        "from sqlalchemy import create_engine\n"
        "with create_engine('sqlite://').connect() as connection:\n"
        "    context.configure(connection=connection, target_metadata=None)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
    project.add("0001", None, "op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True))")
    refused = project.run("upgrade", "head")
    assert refused.returncode != 0
    assert "MigratesElsewhere: env.py gives Alembic a connection to an in-memory SQLite database" in refused.stderr
    assert [r["kind"] for r in refused.records] == ["exception"]
    # An in-memory engine the project opens for itself is left alone.
    project.add("0002", "0001", "from sqlalchemy import create_engine\ncreate_engine('sqlite://').connect().close()")
    (project.root / "migrations" / "env.py").write_text(
        __import__("conftest").ENV_PY
    )
    assert project.run("upgrade", "head").returncode == 0


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
    assert done.returncode == entry.EXIT_INTERRUPTED, done.stderr
    assert done.records == [{"v": 1, "kind": "interrupted", "revision": "0001", "statements": 2}]
    tables = set(inspect(create_engine("sqlite:///%s" % project.database)).get_table_names())
    # SQLite's DDL is not transactional here: what ran stays, nothing after it.
    assert {"a", "b"} <= tables and "c" not in tables
    fresh = "sqlite:///%s" % (project.root / "fresh.sqlite")
    missed = project.run("upgrade", "head", HARNESS_INTERRUPT="0001:9", HARNESS_DATABASE_URL=fresh)
    assert missed.returncode == entry.EXIT_INTERRUPT_MISSED, missed.stderr
    assert missed.records == [{"v": 1, "kind": "interrupt_missed", "revision": "0001", "statements": 3}]


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


def test_a_failure_recording_a_revision_stops_in_that_revision(entry, project):
    # The revision's own function returns; Alembic's insert into the version table then fails.
    project.add("0001", None, "op.drop_table('alembic_version')")
    done = project.run("upgrade", "head")
    assert done.returncode != 0
    stopped = [r for r in done.records if r["kind"] == "stopped_in"]
    assert stopped == [
        {"v": entry.PROTOCOL_VERSION, "kind": "stopped_in", "revision": "0001", "down_revision": [],
         "direction": "upgrade"},
    ]
    assert "alembic_version" in done.records[-1]["line"]


def test_a_probe_writes_a_row_of_every_type_and_leaves_nothing_behind(entry, project, tmp_path):
    (tmp_path / "probe_models.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        "sa.Table('teams', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('name', sa.String(10), nullable=False, unique=True))\n"
        "sa.Table('players', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('team_id', sa.Integer, sa.ForeignKey('teams.id'), nullable=False),\n"
        "         sa.Column('kind', sa.Enum('keeper', 'striker', name='kind'), nullable=False),\n"
        "         sa.Column('joined', sa.DateTime, nullable=False), sa.Column('score', sa.Numeric(8, 2)),\n"
        "         sa.Column('active', sa.Boolean, nullable=False), sa.Column('data', sa.JSON),\n"
        "         sa.Column('born', sa.Date), sa.Column('created', sa.DateTime, server_default=sa.func.now()))\n"
        "sa.Table('legacy', metadata, sa.Column('id', sa.Integer, primary_key=True))\n"
        "sa.Table('audit', metadata, sa.Column('id', sa.Integer, primary_key=True))\n"
    )
    project.add("0001", None, "\n".join([
        "op.create_table('teams', sa.Column('id', sa.Integer, primary_key=True),",
        "    sa.Column('name', sa.String(10), nullable=False, unique=True), sa.Column('rank', sa.Integer, nullable=False))",
        "op.create_table('players', sa.Column('id', sa.Integer, primary_key=True),",
        "    sa.Column('team_id', sa.Integer, sa.ForeignKey('teams.id'), nullable=False),",
        "    sa.Column('kind', sa.String(10), nullable=False), sa.Column('joined', sa.DateTime, nullable=False),",
        "    sa.Column('score', sa.Numeric(8, 2)), sa.Column('active', sa.Boolean, nullable=False),",
        "    sa.Column('data', sa.JSON), sa.Column('born', sa.Date), sa.Column('created', sa.DateTime))",
    ]))
    assert project.run("upgrade", "head").returncode == 0
    done = project.run("probe", HARNESS_MODELS_METADATA="probe_models:metadata", PYTHONPATH=str(tmp_path),
                       HARNESS_MODELS_IGNORE_TABLES='["audit"]')
    assert done.returncode == 0, done.stderr
    tables = {t["table"]: t for t in done.records[-1]["tables"]}
    assert sorted(tables) == ["legacy", "players", "teams"]
    # teams requires a rank the model does not know: its INSERT fails, and so does players',
    # whose parent row is a team.
    assert tables["teams"]["failed"] == "insert"
    assert tables["teams"]["required_columns"] == ["rank"]
    assert "NOT NULL constraint failed: teams.rank" in tables["teams"]["error"]
    assert tables["players"]["failed"] == "insert"
    assert tables["legacy"]["missing_table"] and tables["legacy"]["failed"] == "select"
    engine = create_engine("sqlite:///%s" % project.database)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from teams").scalar() == 0
    # Without the required column, every type gets a value and the row goes in, out and away.
    project.add("0002", "0001", "with op.batch_alter_table('teams') as batch:\n    batch.drop_column('rank')")
    assert project.run("upgrade", "head").returncode == 0
    done = project.run("probe", HARNESS_MODELS_METADATA="probe_models:metadata", PYTHONPATH=str(tmp_path))
    tables = {t["table"]: t for t in done.records[-1]["tables"]}
    assert tables["teams"]["failed"] is None and tables["teams"]["skipped"] is None, tables["teams"]
    assert tables["players"]["failed"] is None, tables["players"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from players").scalar() == 0
        assert connection.exec_driver_sql("select count(*) from teams").scalar() == 0


def test_a_child_table_keyed_by_its_parent_gets_the_parent_row_first(project, tmp_path):
    (tmp_path / "child_models.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        "sa.Table('submissions', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('type', sa.String(32), nullable=False))\n"
        "sa.Table('solves', metadata,\n"
        "         sa.Column('id', sa.Integer, sa.ForeignKey('submissions.id'), primary_key=True),\n"
        "         sa.Column('points', sa.Integer, nullable=False))\n"
    )
    project.add("0001", None, "\n".join([
        "op.create_table('submissions', sa.Column('id', sa.Integer, primary_key=True),",
        "    sa.Column('type', sa.String(32), nullable=False))",
        "op.create_table('solves', sa.Column('id', sa.Integer, sa.ForeignKey('submissions.id'), primary_key=True),",
        "    sa.Column('points', sa.Integer, nullable=False))",
    ]))
    assert project.run("upgrade", "head").returncode == 0
    done = project.run("probe", HARNESS_MODELS_METADATA="child_models:metadata", PYTHONPATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    tables = {t["table"]: t for t in done.records[-1]["tables"]}
    assert tables["solves"]["failed"] is None and tables["solves"]["skipped"] is None, tables["solves"]


def test_a_traced_upgrade_on_sqlite_records_each_statement_and_a_batch_rebuild(project):
    project.add("0001", None, "op.create_table('orders', sa.Column('id', sa.Integer, primary_key=True), "
                              "sa.Column('total', sa.Integer))")
    project.add("0002", "0001", "\n".join([
        "with op.batch_alter_table('orders') as batch:",
        "    batch.alter_column('total', type_=sa.BigInteger, existing_type=sa.Integer)",
        "op.add_column('orders', sa.Column('note', sa.String(20)))",
    ]))
    done = project.run("upgrade", "head", HARNESS_TRACE_LOCKS="1")
    assert done.returncode == 0, done.stderr
    statements = [r for r in done.records if r["kind"] == "statement"]
    assert {s["revision"] for s in statements} >= {"0001", "0002"}
    rebuilt = [s for s in statements if s["rewrites"]]
    assert len(rebuilt) == 1, rebuilt
    assert rebuilt[0]["revision"] == "0002"
    assert rebuilt[0]["rewrites"] == [{"relation": "orders", "index": False, "existed": True}]
    assert rebuilt[0]["sql"].startswith("ALTER TABLE _alembic_tmp_orders RENAME TO orders")
    assert rebuilt[0]["line"] == 12  # the `with` block, which runs the batch when it ends
    assert all(s["locks"] == [] for s in statements)


def test_an_app_that_migrates_itself_as_it_loads_has_that_upgrade_skipped(entry, monkeypatch):
    from alembic import command

    original = command.upgrade
    said = []
    monkeypatch.setattr(entry, "record", lambda kind, **fields: said.append((kind, fields)))

    def app_that_upgrades(script_dir):
        # A real upgrade with no configuration would raise: skipped, it returns None.
        assert command.upgrade(None, "head") is None
        return "the app"

    monkeypatch.setattr(entry, "flask_app", app_that_upgrades)
    assert entry.app_without_its_migrations("migrations") == "the app"
    assert said == [("app_command_skipped", {"command": "upgrade", "revision": "head"})]
    assert command.upgrade is original

    # An app that does not load once its upgrade is skipped is loaded again, as it is.
    calls = []

    def app_that_needs_its_tables(script_dir):
        calls.append(command.upgrade is original)
        if command.upgrade is not original:
            command.upgrade(None, "head")
            raise RuntimeError("no such table: settings")
        return "the app, migrated by itself"

    said.clear()
    monkeypatch.setattr(entry, "flask_app", app_that_needs_its_tables)
    assert entry.app_without_its_migrations("migrations") == "the app, migrated by itself"
    assert calls == [False, True]
    assert said == [("app_migrates_itself", {
        "command": "upgrade", "revision": "head",
        "without": "RuntimeError: no such table: settings"})]
    assert command.upgrade is original
