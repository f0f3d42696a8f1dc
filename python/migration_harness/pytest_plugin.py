"""`pytest --harness`: every cell of the harness's matrix as a pytest item.

With `--harness`, the `harness.toml` of pytest's root folder (or `--harness-config`) is read with
`harness list`; each cell becomes an item named by its id (`partial/sqlite/python-3.12`), so
`pytest -k partial`, `--lf` and the team's usual reports work. The first item that runs starts one
`harness run --report json=...` for every selected cell; each item then passes or fails with its
cell's verdict and message. Extra arguments for both commands: `--harness-args "--database sqlite"`.
"""

import json
import os
import shlex
import subprocess
import tempfile

import pytest

from migration_harness import binary


def pytest_addoption(parser):
    group = parser.getgroup("harness", "database migrations replayed by the harness")
    group.addoption("--harness", action="store_true", default=False,
                    help="collect the harness's matrix: one item per cell")
    group.addoption("--harness-config", default=None, metavar="FILE",
                    help="the harness.toml to read (default: the one in pytest's root folder)")
    group.addoption("--harness-args", default="", metavar="ARGS",
                    help="more arguments for `harness list` and `harness run` (e.g. \"--database sqlite\")")


class HarnessError(Exception):
    """The harness could not be started or gave no report."""


def pytest_collect_file(file_path, parent):
    config = parent.config
    if not config.getoption("harness") or file_path.name != "harness.toml":
        return None
    wanted = config.getoption("harness_config")
    if wanted is not None:
        if os.path.abspath(wanted) != str(file_path):
            return None
    elif file_path.parent != config.rootpath:
        return None
    return HarnessFile.from_parent(parent, path=file_path)


class HarnessFile(pytest.File):
    """harness.toml: its cells, run together by the first of them that runs."""

    def command(self, *words):
        found = binary()
        if found is None:
            raise HarnessError("the `harness` binary was not found: install migration-harness in "
                               "this environment (pip install migration-harness)")
        extra = shlex.split(self.config.getoption("harness_args"))
        return [found] + list(words) + ["--config", str(self.path)] + extra

    def collect(self):
        listed = subprocess.run(self.command("list"), cwd=str(self.path.parent),
                                capture_output=True, text=True)
        if listed.returncode != 0:
            raise HarnessError("harness list failed (exit %d):\n%s" % (listed.returncode, listed.stderr))
        self.results = None
        for cell in listed.stdout.split():
            yield HarnessItem.from_parent(self, name=cell, cell=cell)

    def run_selected(self):
        """Runs every selected cell of this file once; their results by cell id."""
        if self.results is not None:
            return self.results
        selected = [item.cell for item in self.session.items
                    if isinstance(item, HarnessItem) and item.parent is self]
        with tempfile.TemporaryDirectory(prefix="harness-pytest-") as scratch:
            report = os.path.join(scratch, "report.json")
            words = ["run", "--report", "json=%s" % report]
            for cell in selected:
                words += ["--cell", cell]
            done = subprocess.run(self.command(*words), cwd=str(self.path.parent),
                                  capture_output=True, text=True)
            if not os.path.exists(report):
                raise HarnessError("harness run wrote no report (exit %d):\n%s%s"
                                   % (done.returncode, done.stdout, done.stderr))
            with open(report) as handle:
                cells = json.load(handle)["cells"]
        self.results = dict((cell["id"], cell) for cell in cells)
        return self.results


class CellFailed(Exception):
    """A cell that did not pass: its verdict and what the harness said."""


class HarnessItem(pytest.Item):
    def __init__(self, *, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell

    def runtest(self):
        result = self.parent.run_selected().get(self.cell)
        if result is None:
            raise CellFailed("the harness did not run this cell")
        if result["verdict"] != "passed":
            lines = ["%s: %s" % (self.cell, result["verdict"].replace("_", " "))]
            if result.get("detail"):
                lines.append(result["detail"])
            snapshot = result.get("snapshot") or {}
            if snapshot.get("diff"):
                lines.append(snapshot["diff"])
            raise CellFailed("\n".join(lines))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (CellFailed, HarnessError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, "harness cell %s" % self.cell
