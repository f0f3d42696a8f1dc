"""A guestbook."""
