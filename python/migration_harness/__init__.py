"""migration-harness: replays database migrations across engines and runtimes before a deploy.

The wheel installs the `harness` binary; this package finds it and holds the pytest plugin
(`pytest --harness`, see `migration_harness.pytest_plugin`)."""

import os
import shutil
import sys
import sysconfig


def binary():
    """The path of the `harness` binary the wheel installed beside this interpreter, else the one
    on PATH; None when there is neither."""
    name = "harness.exe" if os.name == "nt" else "harness"
    candidates = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    user = sysconfig.get_path("scripts", "%s_user" % os.name) if os.name != "nt" else None
    if user:
        candidates.append(user)
    for folder in candidates:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(name)
