"""The depot service."""
