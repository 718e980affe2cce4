"""The web interface: JSON API under /api/v1 and server-rendered pages. Thin: parse,
authorise, call a service, render."""

from alliance.web.app import create_app

__all__ = ["create_app"]
