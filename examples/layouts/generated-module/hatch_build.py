"""Writes src/inventory/_build_info.py whenever the package is built, editable builds included."""
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        target = Path(self.root) / "src" / "inventory" / "_build_info.py"
        target.write_text(f'VERSION = "{self.metadata.version}"\nBUILD = "{version}"\n')
