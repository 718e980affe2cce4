"""Organisations, users, roles, API keys, web sessions and the one authorisation policy."""
