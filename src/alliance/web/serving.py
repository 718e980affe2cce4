"""How ``alliance serve`` runs uvicorn: the options, and the HTTP protocol it serves with.

Every accepted connection gets ``TCP_NODELAY``. asyncio sets it only on sockets whose
``proto`` is ``IPPROTO_TCP``; the listening socket uvicorn binds itself for several workers
(``Config.bind_socket``: ``socket.socket(family=AF_INET)``) has ``proto`` 0, so on the
asyncio loop the connections its workers accept kept Nagle's algorithm on. uvicorn writes a
response's head and body in two sends, and the body then waited for the client's delayed
ACK of the head: about 40 ms on every keep-alive request after a connection's first
(22 requests/s on one connection with ``--workers 2``, against 0.5 ms a request with one
worker, whose socket asyncio binds with ``IPPROTO_TCP``). uvloop sets the option on its own;
the protocols here set it whatever the loop and wherever the listening socket comes from.

The protocols are uvicorn's: httptools' parser where the platform has the wheel (the
``httptools`` dependency), h11's pure-Python one otherwise. The loop is uvloop where it
is installed (``loop="auto"``; no uvloop on Windows), asyncio otherwise.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from contextlib import suppress
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from alliance.settings import Settings


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Send each write at once on a TCP connection (no Nagle's algorithm)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with suppress(OSError):  # a connection already reset by its peer
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _NoDelay(asyncio.Protocol):
    """Put before a uvicorn protocol: ``TCP_NODELAY`` on its connection, then its own."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport)
        super().connection_made(transport)


class NoDelayH11Protocol(_NoDelay, H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` on its connection."""


# uvicorn's httptools protocol imports httptools: present where its wheel installs.
HTTP_PARSER = "h11"
HTTP_PROTOCOL = f"{__name__}:NoDelayH11Protocol"
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # a platform without httptools' wheel
    pass
else:

    class NoDelayHttpToolsProtocol(_NoDelay, HttpToolsProtocol):
        """uvicorn's httptools protocol, with ``TCP_NODELAY`` on its connection."""

    HTTP_PARSER = "httptools"
    HTTP_PROTOCOL = f"{__name__}:NoDelayHttpToolsProtocol"


def event_loop() -> str:
    """The loop uvicorn's ``loop="auto"`` runs: uvloop where it is installed."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """``uvicorn.run``'s options for ``alliance serve``, one worker or several (besides the
    app, the address and the worker count).

    The protocol is named by its import string: a worker process (spawned, given the
    pickled options) imports it itself."""
    return {
        "http": HTTP_PROTOCOL,
        "loop": "auto",  # uvloop where installed, asyncio otherwise
        "log_level": "warning",
        "proxy_headers": False,  # the app trusts ALLIANCE_TRUSTED_PROXIES only
        "server_header": False,
        "timeout_keep_alive": settings.keep_alive_seconds,
    }
