"""Unit tests of src/runtime/worker.py: the warm worker runs each request's script in a forked
child exactly as a new process would, and reports its start and end on stdout."""

import json
import os
import subprocess
import sys

from conftest import WORKER


def start():
    worker = subprocess.Popen(
        [sys.executable, WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert json.loads(worker.stdout.readline()) == {"ready": True}
    return worker


def ask(worker, ident, script, tmp_path, env):
    request = {
        "id": ident,
        "argv": [str(script), "an argument"],
        "cwd": str(tmp_path),
        "env": env,
        "stdout": str(tmp_path / ("out-%d" % ident)),
        "stderr": str(tmp_path / ("err-%d" % ident)),
    }
    worker.stdin.write(json.dumps(request) + "\n")
    worker.stdin.flush()
    started = json.loads(worker.stdout.readline())
    assert started["id"] == ident and started["pid"] > 0
    return json.loads(worker.stdout.readline())


def test_a_script_runs_with_the_requests_environment_folder_and_exit_code(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(
        "import os, sys\n"
        "print(os.environ['GREETING'], os.getcwd(), sys.argv[1:])\n"
        "print('to stderr', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    worker = start()
    ended = ask(worker, 1, script, tmp_path, {"GREETING": "hi", "PATH": os.environ["PATH"]})
    assert ended == {"id": 1, "code": 3}
    assert (tmp_path / "out-1").read_text() == "hi %s ['an argument']\n" % tmp_path
    assert (tmp_path / "err-1").read_text() == "to stderr\n"
    worker.stdin.close()
    assert worker.wait(timeout=30) == 0


def test_an_exception_prints_its_traceback_from_the_script_and_module_state_is_fresh(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "import sys\n"
        "marker = getattr(sys, 'leftover', None)\n"
        "sys.leftover = 'set by an earlier run'\n"
        "print(marker)\n"
        "raise ValueError('no good')\n"
    )
    worker = start()
    env = {"PATH": os.environ["PATH"]}
    for ident in (1, 2):
        assert ask(worker, ident, script, tmp_path, env) == {"id": ident, "code": 1}
        # Each child starts from the worker's state, never from an earlier child's.
        assert (tmp_path / ("out-%d" % ident)).read_text() == "None\n"
    error = (tmp_path / "err-1").read_text()
    assert error.startswith("Traceback (most recent call last):\n  File \"%s\"" % script), error
    assert error.rstrip().endswith("ValueError: no good")
    assert "worker.py" not in error and "runpy" not in error
    worker.stdin.close()
    assert worker.wait(timeout=30) == 0


def test_the_requests_pythonpath_comes_first_and_sys_exit_with_text_is_code_1(tmp_path):
    package = tmp_path / "lib"
    package.mkdir()
    (package / "helper.py").write_text("NAME = 'from the request\\'s PYTHONPATH'\n")
    script = tmp_path / "uses.py"
    script.write_text(
        "import sys\n"
        "import helper\n"
        "print(helper.NAME)\n"
        "sys.exit('stopped with a message')\n"
    )
    worker = start()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(package)}
    assert ask(worker, 1, script, tmp_path, env) == {"id": 1, "code": 1}
    assert (tmp_path / "out-1").read_text() == "from the request's PYTHONPATH\n"
    assert (tmp_path / "err-1").read_text() == "stopped with a message\n"
    worker.stdin.close()
    assert worker.wait(timeout=30) == 0


def test_a_child_killed_by_a_signal_reports_the_signal_and_the_worker_goes_on(tmp_path):
    script = tmp_path / "killed.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    fine = tmp_path / "fine.py"
    fine.write_text("print('still here')\n")
    worker = start()
    env = {"PATH": os.environ["PATH"]}
    assert ask(worker, 1, script, tmp_path, env) == {"id": 1, "code": -9}
    assert ask(worker, 2, fine, tmp_path, env) == {"id": 2, "code": 0}
    assert (tmp_path / "out-2").read_text() == "still here\n"
    worker.stdin.close()
    assert worker.wait(timeout=30) == 0
