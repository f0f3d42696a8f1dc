"""Entry point the harness runs inside a runtime's environment to drive the project's own Alembic.

Usage: python alembic_entry.py <alembic.ini | -> <command> [revision ...]
Commands: upgrade REV | downgrade REV | stamp REV... | heads | revisions
`-` instead of alembic.ini: the project has none; script_location comes from HARNESS_SCRIPT_LOCATION.

Environment:
  HARNESS_DATABASE_URL     the cell's database (never in argv, so it does not show in process lists)
  HARNESS_SCRIPT_LOCATION  the folder holding env.py, when alembic.ini names no usable one
  HARNESS_INI_SECTION      the section of alembic.ini to read instead of [alembic] (alembic -n)
  HARNESS_FOREIGN_URLS     refuse (default) | redirect: what happens to an engine the project opens
                           on another database
The user's files are not modified: the URL is set on the in-memory Config only.
"""
import json
import os
import sys

FOREIGN_MARK = "HARNESS-FOREIGN-URL "
DRIVER_MARK = "HARNESS-NO-DRIVER "

# For each backend: the SQLAlchemy driver names to try, with the module that provides them and the
# package to install, in the order the harness prefers them.
SYNC_DRIVERS = {
    "postgresql": [("psycopg2", "psycopg2", "psycopg2-binary"), ("psycopg", "psycopg", "psycopg[binary]"),
                   ("pg8000", "pg8000", "pg8000")],
    "mysql": [("pymysql", "pymysql", "PyMySQL"), ("mysqldb", "MySQLdb", "mysqlclient"),
              ("mysqlconnector", "mysql.connector", "mysql-connector-python")],
    "sqlite": [("pysqlite", "sqlite3", "")],
}
ASYNC_DRIVERS = {
    "postgresql": [("asyncpg", "asyncpg", "asyncpg"), ("psycopg", "psycopg", "psycopg[binary]")],
    "mysql": [("aiomysql", "aiomysql", "aiomysql"), ("asyncmy", "asyncmy", "asyncmy")],
    "sqlite": [("aiosqlite", "aiosqlite", "aiosqlite")],
}


ASYNC_DRIVER_NAMES = {"asyncpg", "psycopg_async", "aiosqlite", "aiomysql", "asyncmy"}


class ForeignDatabaseError(Exception):
    """The project opened an engine on a database that is not the cell's."""


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
    packages = " or ".join(package for _, _, package in drivers if package)
    sys.stderr.write(DRIVER_MARK + backend(url) + " " + packages + "\n")
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
            elif mode == "redirect":
                target = with_driver(cell, asynchronous)
                if backend(url) != backend(cell):
                    # Options for the other backend: its driver's connect arguments and its pool
                    # (SQLite's pool takes no size; a server's pool class may not fit SQLite).
                    for option in ("connect_args", "poolclass", "pool_size", "max_overflow",
                                   "pool_timeout", "pool_use_lifo"):
                        kwargs.pop(option, None)
                sys.stderr.write("harness: engine on %s redirected to the cell's database\n" % shown(url))
            else:
                sys.stderr.write(FOREIGN_MARK + shown(url) + "\n")
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


def prepare_url():
    """The cell's URL with a driver this environment has; every variable that held it is updated."""
    raw = os.environ.get("HARNESS_DATABASE_URL")
    if not raw:
        return None
    from sqlalchemy.engine import url as url_module
    cell = with_driver(url_module.make_url(raw), False)
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
    if "current_app" not in source:
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
        guard_engines(cell, os.environ.get("HARNESS_FOREIGN_URLS", "refuse"))

    script_dir = ScriptDirectory.from_config(config).dir
    app = flask_app(script_dir) if command_name not in ("heads", "revisions") else None
    if app is not None:
        with app.app_context():
            return run(command, config, ScriptDirectory, command_name, args)
    return run(command, config, ScriptDirectory, command_name, args)


def run(command, config, ScriptDirectory, command_name, args):
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
