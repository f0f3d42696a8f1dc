"""The portal's core: the app factory."""
