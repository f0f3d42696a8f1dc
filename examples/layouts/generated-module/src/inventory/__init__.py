"""Inventory: items and their stock."""
from inventory._build_info import VERSION as __version__

__all__ = ["__version__"]
