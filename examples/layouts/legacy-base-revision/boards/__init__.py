"""Boards of saved queries."""
