"""The command line: ``alliance``. Thin: parse, call a service, print."""
