"""Builds the service: its settings and the notifiers registered under `vault.plugins`."""
import os
from importlib.metadata import entry_points

DEFAULT_NOTIFIER = "email"


def notifiers():
    found = {ep.name: ep.load() for ep in entry_points(group="vault.plugins")}
    if DEFAULT_NOTIFIER not in found:
        raise RuntimeError(
            "no notifier plugin %r: install the vault package so its plugins are registered" % DEFAULT_NOTIFIER
        )
    return found


def database_url():
    notifiers()
    return os.environ.get("VAULT_DATABASE_URL", "sqlite:///vault.db")
