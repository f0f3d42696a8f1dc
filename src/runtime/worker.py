"""The warm tool worker of one local runtime, started by harness.

It imports Alembic, SQLAlchemy and the database drivers the environment has once, then runs each
Python tool process the harness asks for in a forked child: the child takes the request's
environment, folder, argv and PYTHONPATH, sends its standard output and error to the files named,
and runs the script as `python script args...` would, so env.py and the migrations start from fresh
module state every time. One JSON request per line on stdin; one JSON line per event on stdout:
{"id": n, "pid": p} when the child started, {"id": n, "code": c} when it ended (c < 0: killed by
signal -c). The worker never runs project code itself.
"""

import json
import os
import select
import signal
import sys

BASE_PATH = list(sys.path)

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


def preload():
    # Best effort: whatever is missing is imported by the child as usual.
    for name in (
        "sqlalchemy",
        "sqlalchemy.orm",
        "sqlalchemy.ext.asyncio",
        "alembic",
        "alembic.command",
        "alembic.config",
        "alembic.runtime.migration",
        "alembic.runtime.environment",
        "alembic.script",
        "alembic.op",
        "alembic.autogenerate",
        "logging.config",
    ) + tuple(DRIVER_MODULES):
        try:
            __import__(name)
        except BaseException:
            pass


def run_child(request):
    """In the forked child: become the requested process, run the script, exit."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
        sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        argv = request["argv"]
        script = os.path.abspath(argv[0])
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.path.dirname(script)] + extra + BASE_PATH[1:]
        sys.argv = [argv[0]] + list(argv[1:])
        sys.dont_write_bytecode = True
        import runpy

        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as exit:
            if exit.code is None:
                code = 0
            elif isinstance(exit.code, int):
                code = exit.code
            else:
                print(exit.code, file=sys.stderr)
                code = 1
        except BaseException:
            kind, value, tb = sys.exc_info()
            # The traceback a process would print starts at the script: drop the frames of
            # this worker and of runpy above it.
            start = tb
            while start is not None and start.tb_frame.f_code.co_filename != script:
                start = start.tb_next
            if start is not None:
                tb = start
                value = value.with_traceback(tb)
            sys.excepthook(kind, value, tb)
            code = 1
        try:
            import atexit

            atexit._run_exitfuncs()
        except BaseException:
            pass
        try:
            import logging

            logging.shutdown()
        except BaseException:
            pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code & 0xFF)


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    preload()
    # A child's end wakes the loop through this pipe (SIGCHLD), so nothing polls.
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    send({"ready": True})
    children = {}
    buffered = b""
    stdin = sys.stdin.fileno()
    open_input = True
    while open_input or children:
        watched = [wake_read] + ([stdin] if open_input else [])
        ready, _, _ = select.select(watched, [], [], 1.0)
        if wake_read in ready:
            os.read(wake_read, 4096)
        if stdin in ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                open_input = False
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if not line.strip():
                    continue
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    run_child(request)
                children[pid] = request["id"]
                send({"id": request["id"], "pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            ident = children.pop(pid, None)
            if ident is None:
                continue
            if os.WIFSIGNALED(status):
                code = -os.WTERMSIG(status)
            else:
                code = os.WEXITSTATUS(status)
            send({"id": ident, "code": code})


if __name__ == "__main__":
    main()
