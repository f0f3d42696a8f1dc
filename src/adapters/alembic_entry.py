"""Entry point the harness runs inside a runtime's environment to drive the project's own Alembic.

Usage: python alembic_entry.py <alembic.ini | -> <command> [revision ...]
Commands: upgrade REV | downgrade REV | stamp REV... | heads | revisions | models | bootstrap | probe
`-` instead of alembic.ini: the project has none; script_location comes from HARNESS_SCRIPT_LOCATION.

Environment:
  HARNESS_DATABASE_URL     the cell's database (never in argv, so it does not show in process lists)
  HARNESS_SCRIPT_LOCATION  the folder holding env.py, when alembic.ini names no usable one
  HARNESS_INI_SECTION      the section of alembic.ini to read instead of [alembic] (alembic -n)
  HARNESS_URL_OPTIONS      comma-separated options ("key" or "section:key") env.py reads the URL from
                           besides sqlalchemy.url: each is set to the cell's URL
  HARNESS_CELL_DIR         the cell's own folder for files the project writes; made when missing
  HARNESS_FOREIGN_URLS     refuse (default) | redirect: what happens to an engine the project opens
                           on another database
  HARNESS_INTERRUPT        REV:N, upgrade only: the process ends (EXIT_INTERRUPTED, no commit, no
                           rollback) right after the Nth SQL statement of REV's upgrade() (REV: a
                           unique prefix); EXIT_INTERRUPT_MISSED when the upgrade ends without that
                           statement having run
  HARNESS_MODELS_METADATA  models and bootstrap: "package.module:attribute" to compare (or create)
                           instead of env.py's target_metadata
  HARNESS_MODELS_IGNORE_TABLES            models and probe: JSON list of table names left out
  HARNESS_MODELS_COMPARE_TYPE             models only: 1 (default) | 0
  HARNESS_MODELS_COMPARE_SERVER_DEFAULT   models only: 1 | 0 (default)
  HARNESS_RECORDS          the file this process appends its records to, for the harness to read:
                           one JSON object a line, {"v": PROTOCOL_VERSION, "kind": ..., ...}; the
                           tool's own output never carries them
`models` compares the models with the database as autogenerate does and writes nothing anywhere; its
result is a "models" record {"differences": [...], "operations": "..."}; EXIT_NO_MODELS: no models
to compare. `revisions` writes a "graph" record, `heads` a "heads" record.
`bootstrap` creates the models' tables (through env.py's connection, or on its own with
HARNESS_MODELS_METADATA) and stamps the heads: a fresh install of a project that creates its schema
from its models; EXIT_NO_MODELS: no models.
`probe` reads and writes every table of the models as the project's code would, inside savepoints
that are all rolled back: a SELECT of every mapped column, an INSERT of a row built from the model
(parents first), an UPDATE and a DELETE of it. Its result is a "probe" record {"tables": [...]}, one
entry a table: what failed and the error's line, or why no row could be built, and how the model and
the table differ (columns the table lacks, columns it requires that the model does not know, columns
narrower than the model's). EXIT_NO_MODELS: no models.
The user's files are not modified: the URL is set on the in-memory Config only.
"""
import json
import os
import sys

# protocol: begin (written from src/adapters/protocol.rs; edit it there)
PROTOCOL_VERSION = 1
RECORDS_ENV = "HARNESS_RECORDS"
EXIT_USAGE = 2
EXIT_NO_MODELS = 3
EXIT_INTERRUPTED = 75
EXIT_INTERRUPT_MISSED = 76
# protocol: end

# Read once, and kept from the project's own child processes.
RECORDS_PATH = os.environ.pop(RECORDS_ENV, None)


def record(kind, **fields):
    """Appends one record for the harness to the file HARNESS_RECORDS named; nothing without one.

    >>> record("redirected", url="sqlite://") is None
    True
    """
    if not RECORDS_PATH:
        return
    fields["v"] = PROTOCOL_VERSION
    fields["kind"] = kind
    with open(RECORDS_PATH, "a") as handle:
        handle.write(json.dumps(fields, sort_keys=True) + "\n")


def exception_record(error):
    """The record of the exception the process ends with: its type, the line Python prints for it
    (the message's first line, so a database error's own words come before its SQL), the module
    a ModuleNotFoundError names, and the environment variable `os.environ[...]` found unset."""
    kind = type(error)
    name, line = error_line(error)
    module = getattr(error, "name", None) if isinstance(error, ImportError) else None
    record("exception", type=name, line=line, module=module if kind.__name__ == "ModuleNotFoundError" else None,
           variable=unset_variable(error))


def error_line(error):
    """The exception's qualified type name, and the line Python prints for it (the message's first
    line, so a database error's own words come before its SQL)."""
    kind = type(error)
    name = kind.__name__ if kind.__module__ == "builtins" else "%s.%s" % (kind.__module__, kind.__name__)
    message = str(error).strip().splitlines()
    return name, ("%s: %s" % (name, message[0]) if message else name)


def unset_variable(error):
    """The name `os.environ[name]` raised a KeyError for, or None."""
    if not isinstance(error, KeyError) or not error.args or error.__traceback__ is None:
        return None
    last = error.__traceback__
    while last.tb_next is not None:
        last = last.tb_next
    code = last.tb_frame.f_code
    # Python 3.11 and newer run a frozen `os`.
    if code.co_name == "__getitem__" and code.co_filename in ("<frozen os>", os.__file__):
        return str(error.args[0])
    return None

# drivers: begin (written from src/drivers.rs; edit it there)
# For each backend: (SQLAlchemy driver name, module, package to install), preferred first.
SYNC_DRIVERS = {
    "postgresql": [("psycopg2", "psycopg2", "psycopg2-binary"), ("psycopg", "psycopg", "psycopg[binary]"), ("pg8000", "pg8000", "pg8000")],
    "mysql": [("pymysql", "pymysql", "PyMySQL"), ("mysqldb", "MySQLdb", "mysqlclient"), ("mysqlconnector", "mysql.connector", "mysql-connector-python"), ("mariadbconnector", "mariadb", "mariadb")],
    "sqlite": [("pysqlite", "sqlite3", "")],
}
ASYNC_DRIVERS = {
    "postgresql": [("asyncpg", "asyncpg", "asyncpg"), ("psycopg", "psycopg", "psycopg[binary]")],
    "mysql": [("aiomysql", "aiomysql", "aiomysql"), ("asyncmy", "asyncmy", "asyncmy")],
    "sqlite": [("aiosqlite", "aiosqlite", "aiosqlite")],
}
ASYNC_DRIVER_NAMES = {"aiomysql", "aiosqlite", "asyncmy", "asyncpg", "psycopg_async"}
DRIVER_MODULES = ["psycopg2", "psycopg", "pg8000", "asyncpg", "pymysql", "MySQLdb", "mysql.connector", "mariadb", "aiomysql", "asyncmy", "aiosqlite"]
# drivers: end


class ForeignDatabaseError(Exception):
    """The project opened an engine on a database that is not the cell's."""


class MigratesElsewhere(Exception):
    """env.py hands Alembic a connection to an in-memory SQLite database, not to the cell's."""


def installed(module):
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def with_driver(url, asynchronous):
    """`url` (a sqlalchemy URL object) with a driver this environment has, or raises."""
    drivers = (ASYNC_DRIVERS if asynchronous else SYNC_DRIVERS).get(backend(url))
    if not drivers:
        return url
    current = url.get_driver_name()
    for name, module, _ in drivers:
        if name == current and installed(module):
            return url
    for name, module, _ in drivers:
        if installed(module):
            return set_driver(url, "%s+%s" % (url.get_backend_name(), name))
    packages = [package for _, _, package in drivers if package]
    record("no_driver", backend=backend(url), packages=packages)
    packages = " or ".join(packages)
    raise RuntimeError(
        "no %s%s driver is installed in this environment: add %s to the project's requirements"
        % ("async " if asynchronous else "", backend(url), packages))


def set_driver(url, drivername):
    if hasattr(url, "set"):
        return url.set(drivername=drivername)
    import copy  # SQLAlchemy 1.3: URL objects are mutable
    changed = copy.copy(url)
    changed.drivername = drivername
    return changed


def url_text(url, hide_password):
    if hasattr(url, "render_as_string"):
        return url.render_as_string(hide_password=hide_password)
    return url.__to_string__(hide_password=hide_password)


def backend(url):
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def same_database(a, b):
    if backend(a) != backend(b):
        return False
    if a.get_backend_name() == "sqlite":
        return os.path.realpath(a.database or "") == os.path.realpath(b.database or "")
    return ((a.host or "localhost"), a.port, a.database) == ((b.host or "localhost"), b.port, b.database)


def same_server_no_database(a, b):
    """A server URL that names no database, on the server (and with the user) of `b`."""
    if backend(a) != backend(b) or a.get_backend_name() == "sqlite" or a.database:
        return False
    return ((a.host or "localhost"), a.port, a.username) == ((b.host or "localhost"), b.port, b.username)


def harmless(url):
    """An in-memory SQLite database touches nothing outside the process."""
    return url.get_backend_name() == "sqlite" and (url.database or ":memory:") in (":memory:", "")


def shown(url):
    return url_text(url, True)


def guard_engines(cell, mode):
    """Wraps every reference to SQLAlchemy's create_engine so that an engine on another database
    is refused (or pointed at the cell's database) before it connects."""
    import sqlalchemy
    from sqlalchemy.engine import url as url_module
    try:
        import sqlalchemy.ext.asyncio  # noqa: F401  (its module holds a reference too)
    except ImportError:
        pass
    original = sqlalchemy.create_engine

    def create_engine(*args, **kwargs):
        args = list(args)
        raw = args[0] if args else kwargs.get("url")
        url = url_module.make_url(raw) if raw is not None else None
        # SQLAlchemy 2 marks async engines; 1.4 does not, but their URL names an async driver.
        asynchronous = bool(kwargs.get("_is_async")) or (
            url is not None and url.get_driver_name() in ASYNC_DRIVER_NAMES)
        if url is not None and not harmless(url):
            if same_database(url, cell):
                target = with_driver(url, asynchronous)
            elif same_server_no_database(url, cell):
                # A server-level connection on the cell's own server, as a "does the database
                # exist" check opens (sqlalchemy_utils' database_exists on MySQL): it runs on the
                # cell's database, which reaches the same server and touches no other database.
                target = with_driver(cell, asynchronous)
            elif mode == "redirect":
                target = with_driver(cell, asynchronous)
                if backend(url) != backend(cell):
                    # Options for the other backend: its driver's connect arguments and its pool
                    # (SQLite's pool takes no size; a server's pool class may not fit SQLite).
                    for option in ("connect_args", "poolclass", "pool_size", "max_overflow",
                                   "pool_timeout", "pool_use_lifo"):
                        kwargs.pop(option, None)
                sys.stderr.write("harness: engine on %s redirected to the cell's database\n" % shown(url))
                record("redirected", url=shown(url))
            else:
                record("foreign_url", url=shown(url))
                raise ForeignDatabaseError(
                    "the project opened an engine on %s, not on the cell's database %s; the harness "
                    "refused it before it connected. Point the project's URL setting at the cell "
                    "(it is in DATABASE_URL; [project.env] can copy it into another variable, e.g. "
                    "APP_DATABASE_URL = \"${DATABASE_URL}\"), or set [project] foreign_urls = "
                    "\"redirect\"" % (shown(url), shown(cell)))
            if args:
                args[0] = target
            else:
                kwargs["url"] = target
        return original(*args, **kwargs)

    create_engine.__wrapped__ = original
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "sqlalchemy" or name.startswith("sqlalchemy.")):
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                setattr(module, attribute, create_engine)


def guard_migration_connection(cell):
    """Refuses to migrate on an in-memory SQLite connection when the cell is a real database: the
    project's own database setting was never set (Flask-SQLAlchemy falls back to one), and every
    migration would run on a database that vanishes with the process."""
    if harmless(cell):
        return
    from alembic.runtime.migration import MigrationContext
    original = MigrationContext.configure.__func__

    def configure(cls, *args, **kwargs):
        connection = kwargs.get("connection", args[0] if args else None)
        url = getattr(getattr(connection, "engine", None), "url", None)
        if url is not None and harmless(url):
            raise MigratesElsewhere(
                "env.py gives Alembic a connection to an in-memory SQLite database, not the cell's "
                "database %s: the project's own database setting is not set (Flask-SQLAlchemy "
                "falls back to sqlite:///:memory: when SQLALCHEMY_DATABASE_URI is unset). Point it at "
                "the cell: [project.env] can copy DATABASE_URL into the variable the settings read, "
                "or the project's configuration file can read it" % shown(cell))
        return original(cls, *args, **kwargs)

    MigrationContext.configure = classmethod(configure)


def prepare_url():
    """The cell's URL with a driver this environment has; every variable that held it is updated."""
    raw = os.environ.get("HARNESS_DATABASE_URL")
    if not raw:
        return None
    from sqlalchemy.engine import url as url_module
    url = url_module.make_url(raw)
    synchronous = SYNC_DRIVERS.get(backend(url)) or []
    asynchronous = ASYNC_DRIVERS.get(backend(url)) or []
    if not any(installed(module) for _, module, _ in synchronous) and any(
            installed(module) for _, module, _ in asynchronous):
        # An async-only project (asyncpg and no sync driver): its env.py opens async engines.
        cell = with_driver(url, True)
    else:
        cell = with_driver(url, False)
    text = url_text(cell, False)
    if text != raw:
        for name, value in list(os.environ.items()):
            if raw in value:
                os.environ[name] = value.replace(raw, text)
    return cell, text


def flask_app(script_dir):
    """The Flask app when env.py takes its engine from one (Flask-Migrate), else None."""
    env_py = os.path.join(script_dir, "env.py")
    try:
        with open(env_py) as handle:
            source = handle.read()
    except (IOError, OSError):
        return None
    # env.py taking its engine from current_app, or a project whose revisions need the app
    # (FLASK_APP set for it in harness.toml's [project.env]).
    if "current_app" not in source and not (os.environ.get("FLASK_APP") and installed("flask")):
        return None
    from flask.cli import ScriptInfo
    try:
        from flask.cli import load_dotenv
        load_dotenv()
    except Exception:  # python-dotenv missing or an old Flask: FLASK_APP then comes from [project.env]
        pass
    return ScriptInfo(app_import_path=os.environ.get("FLASK_APP")).load_app()


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    ini, command_name, args = argv[1], argv[2], argv[3:]
    # The cell's own folder for the project's files exists wherever this runs (a runtime
    # container's temporary folder is its own).
    if os.environ.get("HARNESS_CELL_DIR"):
        os.makedirs(os.environ["HARNESS_CELL_DIR"], exist_ok=True)
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(None if ini == "-" else ini,
                    ini_section=os.environ.get("HARNESS_INI_SECTION") or "alembic")
    location = os.environ.get("HARNESS_SCRIPT_LOCATION")
    if location:
        config.set_main_option("script_location", location.replace("%", "%%"))
    prepared = prepare_url() if command_name not in ("heads", "revisions") else None
    if prepared:
        cell, text = prepared
        # Config values go through configparser interpolation: escape %.
        config.set_main_option("sqlalchemy.url", text.replace("%", "%%"))
        # Options env.py reads the URL from instead (`url_options`): "key" or "section:key".
        for option in filter(None, os.environ.get("HARNESS_URL_OPTIONS", "").split(",")):
            section, _, key = option.rpartition(":")
            if section:
                config.set_section_option(section, key, text.replace("%", "%%"))
            else:
                config.set_main_option(key, text.replace("%", "%%"))
        guard_engines(cell, os.environ.get("HARNESS_FOREIGN_URLS", "refuse"))
        guard_migration_connection(cell)

    script_dir = ScriptDirectory.from_config(config).dir
    if command_name in ("heads", "revisions"):
        try:
            return run(command, config, ScriptDirectory, command_name, args)
        except RuntimeError as error:
            # A revision that reads Flask's current_app when it is imported loads only inside the
            # app, as `flask db heads` loads it.
            if "application context" not in str(error):
                raise
            app = graph_app(script_dir)
            if app is None:
                raise
            with app.app_context():
                return run(command, config, ScriptDirectory, command_name, args)
    # A probe of models named by HARNESS_MODELS_METADATA reads them without the app: an app that
    # runs its own migrations when it loads would stop before any table is read.
    models_alone = command_name == "probe" and os.environ.get("HARNESS_MODELS_METADATA")
    # The harness drives the database: an upgrade the app runs on itself as it loads is skipped.
    app = None if models_alone else app_without_its_migrations(script_dir)
    if app is not None:
        with app.app_context():
            return run(command, config, ScriptDirectory, command_name, args)
    return run(command, config, ScriptDirectory, command_name, args)


def app_without_its_migrations(script_dir):
    """The Flask app, loaded with the upgrades and downgrades it runs on itself as it loads (an
    app that migrates its database when it starts) skipped, each said in an "app_command_skipped"
    record: the harness runs the revisions, one at a time where the scenario says so, and the
    database is where the step left it. An app that does not load without them is loaded again
    as it is, said in an "app_migrates_itself" record with the error it gave without them."""
    from alembic import command

    originals = dict((name, getattr(command, name)) for name in ("upgrade", "downgrade"))
    skipped = []

    def skipping(name):
        def skip(config, revision, *args, **kwargs):
            skipped.append((name, str(revision)))
        return skip

    for name in originals:
        setattr(command, name, skipping(name))
    try:
        app = flask_app(script_dir)
    except Exception as error:
        if not skipped:
            raise
        app = None
        lines = str(error).strip().splitlines()
        needed = "%s: %s" % (type(error).__name__, lines[0] if lines else "")
    finally:
        for name, original in originals.items():
            setattr(command, name, original)
    if app is None and skipped:
        record("app_migrates_itself", command=skipped[0][0], revision=skipped[0][1], without=needed)
        return flask_app(script_dir)
    for name, revision in skipped:
        record("app_command_skipped", command=name, revision=revision)
    return app


def graph_app(script_dir):
    """The Flask app, loaded to read the revision graph: with no database to touch, every engine
    the app creates is pointed at an in-memory SQLite database. None when it does not load."""
    from sqlalchemy.engine import url as url_module
    guard_engines(url_module.make_url("sqlite://"), "redirect")
    try:
        return flask_app(script_dir)
    except Exception as error:  # the graph's own error is the one to report
        sys.stderr.write("harness: the Flask app did not load to read the revision graph: %s\n" % error)
        return None


class UsageError(Exception):
    """The harness passed something this entry cannot use (exit 2)."""


def run(command, config, ScriptDirectory, command_name, args):
    try:
        if command_name in ("upgrade", "downgrade"):
            RevisionTracker.install()
            if flag("HARNESS_TRACE_LOCKS", False):
                LockTracer().install()
        return run_command(command, config, ScriptDirectory, command_name, args)
    except UsageError as error:
        sys.stderr.write("%s\n" % error)
        return EXIT_USAGE
    except NoModels as error:
        sys.stderr.write("%s\n" % error)
        record("no_models", message=str(error))
        return EXIT_NO_MODELS
    except BaseException:
        RevisionTracker.report()
        raise


class LockTracer:
    """Each statement of a migration, with its revision, file and line, on every engine; on
    PostgreSQL also what it does to the database it runs on: the
    locks its transaction holds after the statement that first took them (mode and relation), how
    long each is then held (until the transaction commits or rolls back), the tables and indexes
    the statement rewrote (their relfilenode changed), its own duration, and the line of the
    revision's file that issued it. Written as one "statement" record per statement when the
    transaction ends. It reads the catalog on the migration's own connection, inside its
    transaction, and changes nothing: no statement, transaction or commit of its own."""

    RELATIONS = (
        "SELECT c.oid, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%'"
    )
    LOCKS = (
        "SELECT l.mode, c.oid, n.nspname, c.relname, c.relkind FROM pg_locks l "
        "JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE l.pid = pg_backend_pid() AND l.granted "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    )
    NAMES = (
        "SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(%s)"
    )

    # Elsewhere, a table's storage: SQLite's root page, InnoDB's table id (a rebuild, SQLite's
    # batch copy or MariaDB's ALGORITHM=COPY, gives it new storage). No lock is read there.
    STORAGE = {
        "sqlite": "SELECT name, rootpage, type, tbl_name FROM sqlite_master "
                  "WHERE type IN ('table', 'index') AND rootpage > 0",
        "mysql": "SELECT SUBSTRING_INDEX(NAME, '/', -1), TABLE_ID, 'table', SUBSTRING_INDEX(NAME, '/', -1) "
                 "FROM information_schema.INNODB_SYS_TABLES WHERE NAME LIKE CONCAT(DATABASE(), '/%')",
    }

    def __init__(self):
        self.statements = []
        self.held = {}
        self.before = None
        self.broken = False
        # The relations that existed when the transaction's first statement started.
        self.existing = None
        # Elsewhere: the storage before the running revision's first statement, the relations
        # already said rewritten, and whether the storage could be read.
        self.baseline = (None, {}, set())
        self.storage_broken = False

    def install(self):
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self.before_statement)
        event.listen(Engine, "after_cursor_execute", self.after_statement)
        event.listen(Engine, "commit", self.transaction_ended)
        event.listen(Engine, "rollback", self.transaction_ended)

    def ask(self, cursor, sql, parameters=None):
        own = cursor.connection.cursor()
        try:
            own.execute(sql, parameters) if parameters is not None else own.execute(sql)
            return own.fetchall()
        finally:
            own.close()

    def traced(self, conn):
        return not self.broken and conn.dialect.name == "postgresql"

    def before_statement(self, conn, cursor, statement, parameters, context, executemany):
        if not self.broken and not self.traced(conn):
            # Another engine: the statement, its revision and the tables it rebuilt, written at
            # once (its DDL commits on its own).
            revision = (RevisionTracker.current or {}).get("revision")
            if self.baseline[0] != revision:
                self.baseline = (revision, self.storage(conn, cursor), set())
            self.before = ({}, now())
            return
        if not self.traced(conn):
            return
        try:
            relations = dict(self.ask(cursor, self.RELATIONS))
            if self.existing is None:
                self.existing = set(relations)
            self.before = (relations, now())
        except Exception as error:
            self.stop(error)

    def after_statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.before is None:
            return
        relations, started = self.before
        self.before = None
        ended = now()
        if not self.traced(conn):
            if not self.broken:
                file, line = self.source()
                _, before, said = self.baseline
                after = self.storage(conn, cursor)
                rebuilt = sorted(name for name, (node, kind, table) in after.items()
                                 if name in before and before[name][0] != node and name not in said)
                # An index rebuilt with its table is the table's rewrite, said once.
                rebuilt = [name for name in rebuilt
                           if after[name][1] != "index" or after[name][2] not in said]
                said.update(name for name, (node, kind, table) in after.items()
                            if name in before and before[name][0] != node)
                rewrites = [{"relation": name, "index": after[name][1] == "index", "existed": True}
                            for name in rebuilt]
                record("statement", revision=(RevisionTracker.current or {}).get("revision"),
                       file=file, line=line, sql=" ".join(statement.split())[:500],
                       ms=round((ended - started) * 1000, 3), rewrites=rewrites, locks=[])
            return
        try:
            after = dict(self.ask(cursor, self.RELATIONS))
            locks = self.ask(cursor, self.LOCKS)
            rewritten = sorted(oid for oid, node in after.items()
                               if oid in relations and relations[oid] != node)
            names = {}
            if rewritten:
                for oid, schema, name, kind in self.ask(cursor, self.NAMES, (rewritten,)):
                    names[oid] = (schema, name, kind)
        except Exception as error:
            self.stop(error)
            return
        index = len(self.statements)
        for mode, oid, schema, name, kind in locks:
            # Taken during this statement: held from its start.
            self.held.setdefault((oid, mode), (index, started, schema, name, kind))
        file, line = self.source()
        self.statements.append({
            "revision": (RevisionTracker.current or {}).get("revision"),
            "file": file,
            "line": line,
            "sql": " ".join(statement.split())[:500],
            "ms": round((ended - started) * 1000, 3),
            "rewrites": [self.relation(oid, *names[oid]) for oid in rewritten if oid in names],
            "locks": [],
        })

    def transaction_ended(self, conn):
        if not self.traced(conn) or not self.statements:
            self.held = {}
            self.existing = None
            return
        ended = now()
        for (oid, mode), (index, taken, schema, name, kind) in sorted(self.held.items(), key=lambda item: item[1][0]):
            lock = self.relation(oid, schema, name, kind)
            lock.update(mode=mode, held_ms=round((ended - taken) * 1000, 3))
            self.statements[index]["locks"].append(lock)
        for statement in self.statements:
            record("statement", **statement)
        self.statements = []
        self.held = {}
        self.existing = None

    def storage(self, conn, cursor):
        """{name: (storage, "table" | "index", its table)} of the cell's database on SQLite and
        MariaDB; {}
        once it cannot be read (said once, in a "trace_stopped" record)."""
        query = self.STORAGE.get("mysql" if conn.dialect.name == "mariadb" else conn.dialect.name)
        if query is None or self.storage_broken:
            return {}
        try:
            return dict((name, (node, kind, table)) for name, node, kind, table
                        in self.ask(cursor, query) if not name.startswith("sqlite_"))
        except Exception as error:
            self.storage_broken = True
            record("trace_stopped", reason="%s: %s" % (type(error).__name__, error))
            return {}

    def relation(self, oid, schema, name, kind):
        return {"relation": name if schema == "public" else "%s.%s" % (schema, name),
                "index": kind == "i",
                "existed": self.existing is not None and oid in self.existing}

    def source(self):
        """The revision file's line that issued the statement: the innermost frame in it."""
        import traceback

        path = RevisionTracker.path
        if not path:
            return None, None
        for frame in reversed(traceback.extract_stack()):
            if os.path.abspath(frame.filename) == os.path.abspath(path):
                return path, frame.lineno
        return path, None

    def stop(self, error):
        self.broken = True
        record("trace_stopped", reason="%s: %s" % (type(error).__name__, error))


def now():
    import time

    return time.monotonic()


class RevisionTracker:
    """Remembers the revision whose upgrade() or downgrade() is running, so that a failure names it
    in a "stopped_in" record instead of the harness reading Alembic's log."""

    current = None
    # The running revision's file, for the statements a trace attributes to its lines.
    path = None

    @classmethod
    def install(cls):
        from alembic.runtime.migration import RevisionStep
        original = RevisionStep.__init__

        def __init__(step, *args, **kwargs):
            original(step, *args, **kwargs)
            function = vars(step).get("migration_fn")
            if function is not None:
                step.migration_fn = cls.tracked(step, function)

        RevisionStep.__init__ = __init__

    @classmethod
    def tracked(cls, step, function):
        def migration(*args, **kwargs):
            down = step.revision.down_revision
            if down is None:
                down = []
            elif isinstance(down, str):
                down = [down]
            cls.current = {
                "revision": step.revision.revision,
                "down_revision": list(down),
                "direction": "upgrade" if step.is_upgrade else "downgrade",
            }
            cls.path = getattr(step.revision, "path", None)
            # Kept once the function returns: Alembic records the revision in the version table
            # next, and a failure there (a transaction the revision's own caught error aborted)
            # stops in this revision too. The next revision's step replaces it.
            return function(*args, **kwargs)

        return migration

    @classmethod
    def report(cls):
        if cls.current is not None:
            record("stopped_in", **cls.current)


def run_command(command, config, ScriptDirectory, command_name, args):
    if command_name == "upgrade":
        interruption = Interruption.from_environment(config, ScriptDirectory)
        if interruption is not None:
            interruption.install()
        command.upgrade(config, args[0])
        if interruption is not None:
            return interruption.missed()
    elif command_name == "models":
        return models(config, ScriptDirectory)
    elif command_name == "bootstrap":
        return bootstrap(command, config, ScriptDirectory)
    elif command_name == "probe":
        return probe(config, ScriptDirectory)
    elif command_name == "downgrade":
        command.downgrade(config, args[0])
    elif command_name == "stamp":
        command.stamp(config, args if len(args) > 1 else args[0])
    elif command_name == "heads":
        script = ScriptDirectory.from_config(config)
        record("heads", heads=sorted(script.get_heads()))
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
        record("graph", heads=sorted(script.get_heads()), revisions=revisions)
    else:
        sys.stderr.write("unknown command %r\n" % command_name)
        return EXIT_USAGE
    return 0


# --- upgrade interrupted mid-revision (HARNESS_INTERRUPT) -------------------------------------

def interrupt_spec(raw):
    """HARNESS_INTERRUPT's "REV:N" as (REV, N), or None when it is malformed.

    >>> interrupt_spec("ab12:3")
    ('ab12', 3)
    >>> interrupt_spec("ab12:0") is None, interrupt_spec("ab12") is None, interrupt_spec(":2") is None
    (True, True, True)
    """
    revision, _, count = raw.strip().rpartition(":")
    if not revision or not count.isdigit() or int(count) < 1:
        return None
    return revision, int(count)


class Interruption:
    """Counts the SQL statements one revision's upgrade() runs and ends the process right after the
    Nth, as a killed deploy would: no commit, no rollback, no cleanup. Statements before and after
    that upgrade() (Alembic's own version table update among them) are not counted."""

    def __init__(self, revision, after):
        self.revision = revision
        self.after = after
        self.running = False
        self.count = -1

    @classmethod
    def from_environment(cls, config, ScriptDirectory):
        """The interruption HARNESS_INTERRUPT asks for, or None without one."""
        raw = os.environ.get("HARNESS_INTERRUPT")
        if not raw:
            return None
        spec = interrupt_spec(raw)
        if spec is None:
            raise UsageError("HARNESS_INTERRUPT is %r; expected REVISION:N with N at least 1" % raw)
        prefix, after = spec
        try:
            found = ScriptDirectory.from_config(config).get_revision(prefix)
        except Exception as error:  # Alembic's errors for unknown and ambiguous ids vary by version
            found, reason = None, str(error)
        else:
            reason = "no such revision"
        if found is None:
            raise UsageError("HARNESS_INTERRUPT names revision %r, which cannot be interrupted: %s"
                             % (prefix, reason))
        return cls(found.revision, after)

    def install(self):
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from alembic.runtime.migration import RevisionStep

        # On the class: every engine, the project's own ones included.
        event.listen(Engine, "after_cursor_execute", self.statement_done)
        original = RevisionStep.__init__
        interruption = self

        def __init__(step, *args, **kwargs):
            original(step, *args, **kwargs)
            if step.is_upgrade and step.revision.revision == interruption.revision:
                if "migration_fn" not in vars(step):
                    raise RuntimeError("this Alembic version runs revisions in a way the harness "
                                       "cannot follow, so it cannot interrupt one")
                step.migration_fn = interruption.counted(step.migration_fn)

        RevisionStep.__init__ = __init__

    def counted(self, migration_fn):
        def upgrade(*args, **kwargs):
            self.running = True
            self.count = max(self.count, 0)
            try:
                return migration_fn(*args, **kwargs)
            finally:
                self.running = False

        return upgrade

    def statement_done(self, conn, cursor, statement, parameters, context, executemany):
        if not self.running:
            return
        self.count += 1
        if self.count == self.after:
            record("interrupted", revision=self.revision, statements=self.count)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)

    def missed(self):
        record("interrupt_missed", revision=self.revision, statements=self.count)
        return EXIT_INTERRUPT_MISSED


# --- models: the project's metadata against the live database -----------------------------------

NO_TARGET_METADATA = (
    "env.py passes no target_metadata to context.configure(): set `metadata = \"module:attribute\"` "
    "under [models] in the scenario or harness.toml")


class NoModels(Exception):
    """There is no model metadata to compare with the database."""


class ModelsSettings:
    """The comparison settings from HARNESS_MODELS_*; they apply whichever way the metadata comes."""

    def __init__(self, ignored, compare_type, compare_server_default):
        self.ignored = set(ignored)
        self.compare_type = compare_type
        self.compare_server_default = compare_server_default

    @classmethod
    def from_environment(cls):
        raw = os.environ.get("HARNESS_MODELS_IGNORE_TABLES") or "[]"
        try:
            ignored = json.loads(raw)
        except ValueError:
            ignored = None
        if not isinstance(ignored, list) or not all(isinstance(name, str) for name in ignored):
            raise UsageError("HARNESS_MODELS_IGNORE_TABLES is %r; expected a JSON list of table names"
                             % raw)
        return cls(ignored, flag("HARNESS_MODELS_COMPARE_TYPE", True),
                   flag("HARNESS_MODELS_COMPARE_SERVER_DEFAULT", False))

    def skips(self, schema, name):
        return name in self.ignored or (schema is not None and "%s.%s" % (schema, name) in self.ignored)

    def merged(self, kwargs):
        """configure() keyword arguments with these settings combined in: a project's own
        include_object and include_name still apply, and so does the ignore list."""
        kwargs = dict(kwargs)
        theirs_object = kwargs.get("include_object")
        theirs_name = kwargs.get("include_name")
        settings = self

        def include_object(obj, name, type_, reflected, compare_to):
            if type_ == "table" and settings.skips(getattr(obj, "schema", None), name):
                return False
            return theirs_object is None or theirs_object(obj, name, type_, reflected, compare_to)

        def include_name(name, type_, parent_names):
            if type_ == "table" and settings.skips((parent_names or {}).get("schema_name"), name):
                return False
            return theirs_name is None or theirs_name(name, type_, parent_names)

        kwargs["include_object"] = include_object
        if self.ignored or theirs_name is not None:
            kwargs["include_name"] = include_name  # Alembic 1.5+; older ones ignore it
        for option, on in (("compare_type", self.compare_type),
                           ("compare_server_default", self.compare_server_default)):
            # On: a project's own comparison function is kept; off: nothing is compared.
            if not on or not callable(kwargs.get(option)):
                kwargs[option] = on
        # Newer Alembic then creates no version table on an empty database (older: see models()).
        kwargs["dont_mutate"] = True
        return kwargs


def flag(name, default):
    value = os.environ.get(name, "").strip()
    if value in ("", "1", "0"):
        return default if value == "" else value == "1"
    raise UsageError("%s is %r; expected 1 or 0" % (name, value))


class Comparison:
    """The differences found, gathered over every context env.py runs (one per database)."""

    def __init__(self):
        self.runs = 0
        self.differences = []
        self.operations = []

    def compare(self, context, metadata):
        from alembic.autogenerate import produce_migrations
        self.runs += 1
        upgrade_ops = produce_migrations(context, metadata).upgrade_ops
        for diff in flattened(upgrade_ops.as_diffs()):
            self.differences.append(describe(diff, context.dialect))
        self.operations.append(rendered(upgrade_ops, context))

    def result(self):
        return {"differences": self.differences, "operations": "\n".join(self.operations)}


def flattened(diffs):
    """Column changes come as lists of tuples (one per attribute); everything else as a tuple."""
    for diff in diffs:
        if isinstance(diff, list):
            for item in diff:
                yield item
        else:
            yield diff


def rendered(upgrade_ops, context):
    """The body autogenerate would write into upgrade(), with env.py's rendering options."""
    import inspect
    import textwrap
    from alembic.autogenerate import render_python_code
    from alembic.runtime.migration import MigrationContext
    opts = context.opts
    kwargs = {
        "sqlalchemy_module_prefix": opts.get("sqlalchemy_module_prefix", "sa."),
        "alembic_module_prefix": opts.get("alembic_module_prefix", "op."),
        "render_as_batch": bool(opts.get("render_as_batch", False)),
        "render_item": opts.get("render_item"),
    }
    try:
        accepted = inspect.signature(render_python_code).parameters
    except AttributeError:
        accepted = inspect.getargspec(render_python_code).args
    if "migration_context" in accepted:
        # A context without env.py's script: render types the way this database's dialect does.
        kwargs["migration_context"] = MigrationContext.configure(dialect=context.dialect)
    if "user_module_prefix" in accepted:
        kwargs["user_module_prefix"] = opts.get("user_module_prefix")
    # Alembic indents every line but the first for its template; a person reads it flush left.
    return textwrap.dedent("    " + render_python_code(upgrade_ops, **kwargs))


def describe(diff, dialect):
    """One line for one autogenerate difference, said as what the migrations create and what the
    models have (autogenerate's own code, which would make them agree, comes with the report); an
    unknown kind is shown as its repr.

    >>> import sqlalchemy as sa
    >>> from sqlalchemy.dialects import sqlite
    >>> d = sqlite.dialect()
    >>> items = sa.Table("items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
    ...                  sa.Column("name", sa.String(50)), sa.Column("owner_id", sa.Integer))
    >>> describe(("add_column", None, "items", sa.Column("notes", sa.String(200))), d)
    'the models have column items.notes (VARCHAR(200), nullable); the migrations do not create it'
    >>> describe(("remove_table", sa.Table("legacy", sa.MetaData(), schema="old")), d)
    'the migrations create table old.legacy; the models have no such table'
    >>> describe(("add_index", sa.Index("ix_items_name", items.c.name, unique=True)), d)
    'the models have index ix_items_name on items (name) unique; the migrations do not create it'
    >>> describe(("modify_type", None, "items", "price", {}, sa.Integer(), sa.Numeric(10, 2)), d)
    'items.price is INTEGER in the migrations, NUMERIC(10, 2) in the models'
    >>> describe(("modify_nullable", None, "items", "name", {}, True, False), d)
    'items.name is nullable in the migrations, not null in the models'
    >>> describe(("modify_default", None, "items", "name", {}, None, sa.DefaultClause("x")), d)
    "items.name defaults to none in the migrations, to 'x' in the models"
    >>> fk = sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_owner")
    >>> items.append_constraint(fk)
    >>> describe(("add_fk", fk), d)
    'the models have foreign key fk_owner on items (owner_id) -> users (id); the migrations do not create it'
    >>> describe(("something_new", 1), d)
    "('something_new', 1)"
    """
    kind = diff[0] if isinstance(diff, tuple) and diff else None
    what = None
    try:
        if kind in ("add_table", "remove_table"):
            what = "table %s" % qualified(diff[1].schema, diff[1].name)
        elif kind in ("add_column", "remove_column"):
            _, schema, table, column = diff
            what = "column %s.%s (%s)" % (qualified(schema, table), column.name,
                                          column_text(column, dialect))
        elif kind in ("add_index", "remove_index"):
            index = diff[1]
            columns = getattr(index, "expressions", None) or list(index.columns)
            what = "index %s on %s (%s)%s" % (
                name_text(index.name), table_text(index.table),
                ", ".join(expression_text(column, dialect) for column in columns),
                " unique" if index.unique else "")
        elif kind in ("add_constraint", "remove_constraint"):
            what = "constraint %s" % constraint_text(diff[1], dialect)
        elif kind in ("add_fk", "remove_fk"):
            what = "foreign key %s" % constraint_text(diff[1], dialect)
        elif kind in ("add_table_comment", "remove_table_comment"):
            what = "the comment %r on %s" % (diff[1].comment, table_text(diff[1]))
        elif kind is not None and kind.startswith("modify_") and len(diff) == 7:
            _, schema, table, column, _, old, new = diff
            show = {"modify_type": lambda value: type_text(value, dialect),
                    "modify_nullable": lambda value: "nullable" if value else "not null",
                    "modify_default": default_text}.get(kind, repr)
            verb = "defaults to" if kind == "modify_default" else "is"
            later = "to " if kind == "modify_default" else ""
            return "%s.%s %s %s in the migrations, %s%s in the models" % (
                qualified(schema, table), column, verb, show(old), later, show(new))
    except Exception:  # a shape this Alembic version builds differently: the repr still says it
        what = None
    if what is not None and kind.startswith("add_"):
        return "the models have %s; the migrations do not create it" % what
    if what is not None and kind.startswith("remove_"):
        noun = what.split(" ")[0] if kind != "remove_table_comment" else "comment"
        return "the migrations create %s; the models have no such %s" % (what, noun)
    return repr(diff)


def qualified(schema, name):
    return "%s.%s" % (schema, name) if schema else str(name)


def table_text(table):
    return qualified(table.schema, table.name) if table is not None else "?"


def name_text(name):
    return str(name) if isinstance(name, str) and name else "(unnamed)"


def type_text(type_, dialect):
    if type_ is None:
        return "none"
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot compile: its generic form
        try:
            return str(type_)
        except Exception:
            return repr(type_)


def default_text(default):
    if default is None:
        return "none"
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return "'%s'" % arg
    return str(getattr(arg, "text", arg))


def expression_text(expression, dialect):
    name = getattr(expression, "name", None)
    if isinstance(name, str):
        return name
    try:
        return str(expression.compile(dialect=dialect))
    except Exception:
        return str(expression)


def column_text(column, dialect):
    parts = [type_text(column.type, dialect), "nullable" if column.nullable else "not null"]
    if column.server_default is not None:
        parts.append("default " + default_text(column.server_default))
    return ", ".join(parts)


def constraint_text(constraint, dialect):
    name = name_text(constraint.name)
    table = table_text(getattr(constraint, "table", None))
    kind = type(constraint).__name__
    if kind == "ForeignKeyConstraint":
        targets = [element.target_fullname.rsplit(".", 1) for element in constraint.elements]
        return "%s on %s (%s) -> %s (%s)" % (
            name, table, ", ".join(constraint.column_keys), targets[0][0] if targets else "?",
            ", ".join(target[-1] for target in targets))
    if kind == "CheckConstraint":
        return "%s on %s: CHECK (%s)" % (name, table, expression_text(constraint.sqltext, dialect))
    shown = {"UniqueConstraint": "UNIQUE", "PrimaryKeyConstraint": "PRIMARY KEY"}.get(kind, kind)
    columns = ", ".join(column.name for column in constraint.columns)
    return "%s on %s: %s (%s)" % (name, table, shown, columns)


def models(config, ScriptDirectory):
    """The `models` command: exit 0 with the result line whether or not anything differs."""
    settings = ModelsSettings.from_environment()
    spec = os.environ.get("HARNESS_MODELS_METADATA")
    if spec and not os.environ.get("HARNESS_DATABASE_URL"):
        raise UsageError("HARNESS_DATABASE_URL is not set: the models have no database to compare with")
    comparison = Comparison()
    script = ScriptDirectory.from_config(config)

    def compare(context, metadata, heads):
        expected = sorted(script.get_heads())
        if heads is not None and sorted(heads) != expected:
            sys.stderr.write("harness: the database is at %s, not at the heads %s; the differences "
                             "include what the remaining migrations would change\n"
                             % (", ".join(heads) or "no revision", ", ".join(expected)))
        comparison.compare(context, metadata)

    with_models(config, script, settings, spec, compare)
    if not comparison.runs:
        sys.stderr.write("env.py never called context.run_migrations(), so nothing was compared\n")
        return 1
    record("models", **comparison.result())
    return 0


def with_models(config, script, settings, spec, use):
    """Calls use(context, metadata, heads) with the project's models and a MigrationContext on the
    cell's database: env.py's own (its configure() options and target_metadata, as `alembic check`
    runs it), or with HARNESS_MODELS_METADATA's metadata, one of our own (heads None). Creates no
    version table."""
    from alembic.runtime.migration import MigrationContext
    # An Alembic without the dont_mutate option would create the version table on a database that
    # has none when env.py calls run_migrations().
    original = getattr(MigrationContext, "_ensure_version_table", None)
    if original is not None:
        MigrationContext._ensure_version_table = lambda self, *args, **kwargs: None
    try:
        if spec:
            on_own_connection(config, settings, imported_metadata(spec), use)
        else:
            through_env(config, script, settings, use)
    finally:
        if original is not None:
            MigrationContext._ensure_version_table = original


def through_env(config, script, settings, use):
    """Runs env.py as `alembic check` does, with use(context, target_metadata, heads) instead of
    the migrations."""
    from alembic.runtime.environment import EnvironmentContext
    configure = EnvironmentContext.configure

    def merged_configure(self, *args, **kwargs):
        return configure(self, *args, **settings.merged(kwargs))

    def compare(heads, context):
        metadata = context.opts.get("target_metadata")
        if metadata is None:
            raise NoModels(NO_TARGET_METADATA)
        use(context, metadata, heads)
        return []

    EnvironmentContext.configure = merged_configure
    try:
        with EnvironmentContext(config, script, fn=compare, as_sql=False):
            script.run_env()
    finally:
        EnvironmentContext.configure = configure


def on_own_connection(config, settings, metadata, use):
    """use(context, metadata, None) on a connection of our own, without env.py; rolled back."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool
    from alembic.runtime.migration import MigrationContext
    engine = sqlalchemy.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        connection = engine.connect()
        try:
            opts = settings.merged({"target_metadata": metadata})
            context = MigrationContext.configure(connection=connection, opts=opts)
            use(context, metadata, None)
        finally:
            connection.close()  # rolls back
    finally:
        engine.dispose()


def imported_metadata(spec):
    """The MetaData (or sequence of them) "package.module:attribute.path" names; a declarative
    base or a Flask-SQLAlchemy db stands for its .metadata."""
    import importlib
    from sqlalchemy import MetaData
    module_name, _, path = spec.partition(":")
    if not module_name or not path:
        raise NoModels("[models] metadata is %r; expected \"package.module:attribute\", e.g. "
                       "\"app.models:Base.metadata\"" % spec)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value = importlib.import_module(module_name)
    except ImportError as error:
        raise NoModels("[models] metadata = %r: cannot import %s from %s: %s"
                       % (spec, module_name, os.getcwd(), error))
    for attribute in path.split("."):
        try:
            value = getattr(value, attribute)
        except AttributeError:
            raise NoModels("[models] metadata = %r: %s has no attribute %r"
                           % (spec, getattr(value, "__name__", type(value).__name__), attribute))
    if not isinstance(value, MetaData) and isinstance(getattr(value, "metadata", None), MetaData):
        value = value.metadata
    if isinstance(value, (list, tuple)) and value and all(isinstance(m, MetaData) for m in value):
        return value
    if not isinstance(value, MetaData):
        raise NoModels("[models] metadata = %r names a %s, not a SQLAlchemy MetaData"
                       % (spec, type(value).__name__))
    return value


# --- probe: a release's models reading and writing the database (rolling deploys) ----------------

def probe(config, ScriptDirectory):
    """The `probe` command: exit 0 with a "probe" record whatever the tables allowed."""
    settings = ModelsSettings.from_environment()
    spec = os.environ.get("HARNESS_MODELS_METADATA")
    if spec and not os.environ.get("HARNESS_DATABASE_URL"):
        raise UsageError("HARNESS_DATABASE_URL is not set: the models have no database to probe")
    tables = []

    def use(context, metadata, heads):
        builder = RowBuilder()
        for each in metadata_list(metadata):
            for table in each.sorted_tables:
                if not settings.skips(table.schema, table.name):
                    tables.append(probe_table(context.connection, table, builder))
        tables.append(None)

    with_models(config, ScriptDirectory.from_config(config), settings, spec, use)
    if None not in tables:
        sys.stderr.write("env.py never called context.run_migrations(), so nothing was probed\n")
        return 1
    record("probe", tables=[table for table in tables if table is not None])
    return 0


def probe_table(connection, table, builder):
    """One table's entry of the probe record; the table is left as it was."""
    import sqlalchemy
    found = {"table": qualified(table.schema, table.name), "failed": None, "error": None,
             "skipped": None}
    found.update(table_differences(connection, table))
    savepoint = connection.begin_nested()
    operation = "select"
    try:
        connection.execute(sqlalchemy.select(*table.columns).limit(1)).fetchall()
        operation = "insert"
        values, key = builder.insert(connection, table)
        if key is None:
            found["skipped"] = "no primary key to update and delete its row by"
            return found
        where = sqlalchemy.and_(*[column == value for column, value in key])
        operation = "update"
        changed = builder.values(connection, table, parents=False, only=values)
        if changed:
            connection.execute(table.update().where(where).values(**changed))
        operation = "delete"
        connection.execute(table.delete().where(where))
    except CannotBuild as why:
        found["skipped"] = str(why)
    except Exception as error:
        found["failed"] = operation
        found["error"] = error_line(error)[1]
    finally:
        savepoint.rollback()
    return found


def table_differences(connection, table):
    """How the table in the database differs from the model, for the message: the model's columns
    it lacks, the columns it requires (NOT NULL, no default) that the model does not know, and the
    string columns it holds narrower than the model declares."""
    import sqlalchemy
    inspector = sqlalchemy.inspect(connection)
    differences = {"missing_table": False, "missing_columns": [], "required_columns": [],
                   "narrowed": []}
    try:
        columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
    except sqlalchemy.exc.NoSuchTableError:
        columns = {}
    if not columns:  # older SQLAlchemy reflects a missing SQLite table as no columns
        differences["missing_table"] = True
        return differences
    known = set(column.name for column in table.columns)
    for column in table.columns:
        there = columns.get(column.name)
        if there is None:
            differences["missing_columns"].append(column.name)
            continue
        theirs = getattr(there["type"], "length", None)
        ours = getattr(column.type, "length", None)
        if isinstance(theirs, int) and isinstance(ours, int) and theirs < ours:
            differences["narrowed"].append({"column": column.name, "model": ours, "database": theirs})
    for name, there in sorted(columns.items()):
        if name not in known and not there.get("nullable", True) and there.get("default") is None \
                and not there.get("autoincrement") is True and not there.get("computed"):
            differences["required_columns"].append(name)
    return differences


class CannotBuild(Exception):
    """The harness cannot build a row for this table; the message says which column and why."""


class RowBuilder:
    """Rows built from a model as its code would insert them: every column without a default gets
    a value of its type (strings at the model's full length, so a narrower column fails where the
    engine enforces lengths), a foreign key gets a parent row inserted first, keys the database
    numbers are left to it."""

    def __init__(self):
        self.counter = 0

    def insert(self, connection, table):
        """Inserts a row; its values and its primary key as [(column, value)] (None: no key)."""
        values = self.values(connection, table, parents=True)
        result = connection.execute(table.insert().values(**values))
        columns = list(table.primary_key.columns)
        if not columns:
            return values, None
        inserted = result.inserted_primary_key
        key = []
        for index, column in enumerate(columns):
            value = values.get(column.key)
            if value is None and inserted is not None and index < len(inserted):
                value = inserted[index]
            if value is None:
                return values, None
            key.append((column, value))
        return values, key

    def values(self, connection, table, parents, only=None):
        values = {}
        for column in table.columns:
            if only is not None and (column.key not in only or column.primary_key):
                continue
            if column.default is not None or column.server_default is not None \
                    or getattr(column, "computed", None) is not None:
                continue
            if column.primary_key and self.numbered(table, column):
                continue
            foreign = list(column.foreign_keys)
            if foreign:
                if column.nullable or not parents:
                    continue
                values[column.key] = self.parent(connection, table, column, foreign[0])
                continue
            value = self.value(column.type)
            if value is None:
                if column.nullable:
                    continue
                raise CannotBuild("no value of type %s for the required column %s"
                                  % (column.type, column.name))
            values[column.key] = value
        return values

    @staticmethod
    def numbered(table, column):
        """The database numbers this key itself (an integer primary key of its own, not a parent's
        as a joined-inheritance child table's is)."""
        import sqlalchemy.types as types
        return len(table.primary_key.columns) == 1 and column.autoincrement in (True, "auto") \
            and isinstance(column.type, types.Integer) and not column.foreign_keys

    def parent(self, connection, table, column, foreign):
        try:
            target = foreign.column
        except Exception as error:
            raise CannotBuild("the foreign key of %s names what the models do not define: %s"
                              % (column.name, error))
        if target.table is table:
            raise CannotBuild("%s is a required key to a row of the same table" % column.name)
        values, key = self.insert(connection, target.table)
        if target.key in values:
            return values[target.key]
        for each, value in key or []:
            if each is target:
                return value
        raise CannotBuild("no value for %s: the parent row's %s is numbered by the database and "
                          "not returned" % (column.name, target.name))

    def value(self, type_):
        """A value of the type, distinct from the previous ones; None when the harness has none."""
        import datetime
        import decimal
        import uuid
        import sqlalchemy.types as types
        self.counter += 1
        n = self.counter
        if isinstance(type_, types.TypeDecorator):
            impl = type_.impl
            return self.value(impl() if isinstance(impl, type) else impl)
        if isinstance(type_, types.Enum):
            return type_.enums[0] if type_.enums else None
        if isinstance(type_, types.Boolean):
            return n % 2 == 0
        if isinstance(type_, types.Integer):
            return n
        if isinstance(type_, types.Float):
            return float(n) + 0.5
        if isinstance(type_, types.Numeric):
            return decimal.Decimal(n)
        if isinstance(type_, types.DateTime):
            return datetime.datetime(2024, 1, 1, 12, 0, n % 60)
        if isinstance(type_, types.Date):
            return datetime.date(2024, 1, 1) + datetime.timedelta(days=n)
        if isinstance(type_, types.Time):
            return datetime.time(12, 0, n % 60)
        if isinstance(type_, types.Interval):
            return datetime.timedelta(seconds=n)
        if isinstance(type_, types.JSON):
            return {"harness": n}
        if type(type_).__name__.upper() == "UUID":
            return uuid.uuid4() if getattr(type_, "as_uuid", True) else str(uuid.uuid4())
        if isinstance(type_, types.String):
            length = type_.length
            text = "h%d" % n
            return (("x" * length) + text)[-length:] if length else text
        if isinstance(type_, (types.LargeBinary, getattr(types, "_Binary", types.LargeBinary))):
            length = getattr(type_, "length", None)
            return b"h" * (length or 8)
        try:
            python = type_.python_type
        except Exception:
            return None
        if python is uuid.UUID:
            return uuid.uuid4()
        if python is str:
            return "h%d" % n
        if python is int:
            return n
        if python is list:
            return []
        if python is dict:
            return {}
        return None


def bootstrap(command, config, ScriptDirectory):
    """The `bootstrap` command: a fresh install as a project that creates its schema from its models
    has one: the tables of its MetaData created, then the version table stamped at the heads."""
    spec = os.environ.get("HARNESS_MODELS_METADATA")
    if spec:
        import sqlalchemy
        from sqlalchemy.pool import NullPool
        metadata = imported_metadata(spec)
        engine = sqlalchemy.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                for each in metadata_list(metadata):
                    each.create_all(connection)
        finally:
            engine.dispose()
    else:
        created = create_through_env(config, ScriptDirectory.from_config(config))
        if not created:
            sys.stderr.write("env.py never called context.run_migrations(), so no table was created\n")
            return 1
    command.stamp(config, "heads")
    return 0


def metadata_list(metadata):
    return list(metadata) if isinstance(metadata, (list, tuple)) else [metadata]


def create_through_env(config, script):
    """Runs env.py as an upgrade does, on its own connection, and creates target_metadata's tables
    there instead of running migrations; whether env.py got that far."""
    from alembic.runtime.environment import EnvironmentContext
    created = []

    def create(heads, context):
        metadata = context.opts.get("target_metadata")
        if metadata is None:
            raise NoModels(NO_TARGET_METADATA)
        for each in metadata_list(metadata):
            each.create_all(context.connection)
        created.append(True)
        return []

    with EnvironmentContext(config, script, fn=create, as_sql=False):
        script.run_env()
    return bool(created)


if __name__ == "__main__":
    try:
        code = main(sys.argv)
    except SystemExit as error:
        # main() returns its own codes: an exit inside it is the project's (an app whose start-up
        # runs its own migrations and exits when they fail, with its log silenced).
        if error.code not in (None, 0):
            record("exception", type="SystemExit", module=None, variable=None,
                   line="SystemExit: the project's code exited with %r while it loaded or ran" % (error.code,))
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        exception_record(error)
        raise
    sys.exit(code)
