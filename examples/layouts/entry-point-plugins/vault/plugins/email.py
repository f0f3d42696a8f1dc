"""The default notifier."""


class EmailNotifier:
    slug = "email"
