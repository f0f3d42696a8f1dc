"""The app's settings, re-exported from their modules."""
from .config import *  # noqa: F401,F403
