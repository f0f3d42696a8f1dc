"""Helpers of the tally service (pinned to Pythons before 3.13)."""
