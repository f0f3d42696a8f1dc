"""The event log's models."""
