"""Inventory: items and their stock."""
