"""``python -m alliance`` is ``alliance``."""

from alliance.cli.main import entry_point

entry_point()
