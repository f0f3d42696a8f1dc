"""The ledger's settings: the database URL, and a plugin loader written for old Pythons."""
import imp  # noqa: F401  (removed from the standard library in Python 3.12)
import os

DATABASE_URL = os.environ.get("LEDGER_DATABASE_URL", "sqlite:///ledger.db")
