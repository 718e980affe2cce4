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
import gc
import importlib.util
import logging
import multiprocessing
import multiprocessing.process
import signal
import socket
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from alliance.settings import Settings

log = logging.getLogger(__name__)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Send each write at once on a TCP connection (no Nagle's algorithm)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with suppress(OSError):  # a connection already reset by its peer
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


#: A write at least this large is never held: its own size makes the extra send cheap.
COALESCE_BYTES = 64 * 1024


class CoalescingTransport:
    """A connection's transport that sends a write together with the one after it.

    uvicorn writes a response's head and its body in two writes; with ``TCP_NODELAY``
    each is a system call and a packet of its own (a sixth of a match worker's time on
    a busy server went to the head's alone). Here one write is held: the next one sends
    both in one call at once (a head, then its body), and a write nothing follows is
    sent at the loop's next turn (a streamed response's last chunk, ``100 Continue``).
    Holding only until the next write, not to the end of the turn, keeps what the app
    does after answering (its bookkeeping) from delaying the answer. Everything but
    writing and closing is the connection's own transport."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held, self._held = self._held, None
        if held is None:
            if len(data) >= COALESCE_BYTES:
                self._send(data)
            else:
                self._held = bytes(data)
                self._loop.call_soon(self.flush)
        elif len(data) >= COALESCE_BYTES:
            self._send(held)
            self._send(data)
        else:
            self._send(held + bytes(data))

    def writelines(self, lines: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what is held, if anything."""
        held, self._held = self._held, None
        if held is not None:
            self._send(held)

    def _send(self, data: bytes | bytearray | memoryview) -> None:
        if not self._transport.is_closing():  # a closed connection drops it, as its own
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ConnectionShares:
    """The connections each worker process holds, open and busy (a request started and
    not yet answered), in memory the workers share: each writes its own two counts, reads
    everyone's.

    SO_REUSEPORT spreads new connections across the workers by their addresses, at random:
    a keep-alive pool of 32 often lands 12 on one worker and 20 on the other (measured:
    2,630 lookups/s and p99 27 ms, against 2,945 and 20 ms when it lands 16 and 16), and
    a pool of 4 lands all on one a time in eight, the other core idle for as long as the
    pool lives. A worker holding two connections more than another, and two more busy
    ones at that moment, answers the next request on one of them with ``Connection:
    close``: the client opens a new one, which the kernel places again. One such close at
    a time per worker; a worker that is not busy never sheds, so a lightly used server
    does not churn. ``-1``: a worker not running (starting, or being restarted)."""

    ABSENT = -1

    def __init__(self, counts: Any, worker: int) -> None:
        self._counts = counts  # [open, busy] per worker: a shared array of C ints
        self._open = 2 * worker
        self._busy = 2 * worker + 1
        self._shedding = False

    @classmethod
    def shared(cls, workers: int, context: Any) -> Any:
        """The shared array for ``workers`` workers, each absent until it starts."""
        return context.RawArray("i", [cls.ABSENT] * (2 * workers))

    def started(self) -> None:
        self._counts[self._open] = self._counts[self._busy] = 0

    @classmethod
    def stopped(cls, counts: Any, worker: int) -> None:
        """Mark ``worker`` absent (the supervisor, once it has died)."""
        shares = cls(counts, worker)
        counts[shares._open] = counts[shares._busy] = cls.ABSENT

    def opened(self) -> None:
        self._counts[self._open] += 1

    def closed(self, in_flight: int, shed: bool) -> None:
        self._counts[self._open] -= 1
        self._counts[self._busy] -= in_flight
        if shed:
            self._shedding = False

    def request_started(self) -> bool:
        """Count a request as begun; True: close its connection once it is answered."""
        self._counts[self._busy] += 1
        if self._shedding:
            return False
        counts = self._counts[:]
        mine_open, mine_busy = counts[self._open], counts[self._busy]
        for other in range(0, len(counts), 2):
            if other == self._open or counts[other] == self.ABSENT:
                continue
            if mine_open - counts[other] >= 2 and mine_busy - counts[other + 1] >= 2:
                self._shedding = True
                return True
        return False

    def request_answered(self) -> None:
        self._counts[self._busy] -= 1


#: This process's shares, when it is one of several workers (set by :func:`_worker`).
_shares: ConnectionShares | None = None


class _NoDelay(asyncio.Protocol):
    """Put before a uvicorn protocol: ``TCP_NODELAY`` on its connection, and its writes
    coalesced (:class:`CoalescingTransport`), then its own."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport)
        # uvloop's transports are not asyncio.Transport instances: duck-typed.
        if hasattr(transport, "write"):
            coalescing = CoalescingTransport(
                cast(asyncio.Transport, transport), asyncio.get_running_loop()
            )
            transport = cast(asyncio.Transport, coalescing)
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
        """uvicorn's httptools protocol, with ``TCP_NODELAY`` on its connection and, with
        several workers, its share of their connections kept (:class:`ConnectionShares`).
        """

        _in_flight = 0
        _shed = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            if _shares is not None:
                _shares.opened()

        def connection_lost(self, exc: Exception | None) -> None:
            if _shares is not None:
                _shares.closed(self._in_flight, self._shed)
                self._in_flight = 0
            super().connection_lost(exc)

        def on_headers_complete(self) -> None:
            previous = self.cycle
            super().on_headers_complete()
            if _shares is not None and self.cycle is not previous:  # not an upgrade
                self._in_flight += 1
                if _shares.request_started():
                    self._shed = True
                    self.cycle.keep_alive = False  # "Connection: close" on its answer

        def on_response_complete(self) -> None:
            if _shares is not None and self._in_flight:
                self._in_flight -= 1
                _shares.request_answered()
            super().on_response_complete()

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


# --- several workers ----------------------------------------------------------------------
#
# uvicorn's own supervisor (``uvicorn.run(workers=N)``) binds one socket and every worker
# accepts from it. Whichever worker wakes first takes every connection waiting, so a client
# that opens its keep-alive pool at once (wrk's 32 connections, an integration's pool)
# often lands on one worker for as long as it keeps them: measured with 2 workers, all 32
# on one (1,498 requests/s on the constant route) or split 12/20 (3,322 requests/s), from
# run to run. Here each worker listens on a socket of its own bound with SO_REUSEPORT, and
# the kernel spreads new connections across them by their addresses.

#: A worker that stops within this many seconds of starting failed to start: the server
#: stops with it (a port taken, a bad setting) rather than restarting it for ever.
STARTUP_SECONDS = 10.0


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` with SO_REUSEPORT (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def freeze_heap() -> None:
    """Leave what start-up made (about 440,000 objects: the app, its routes, models and
    modules) out of the garbage collector's full collections from now on.

    They live as long as the process, and each full collection walked them all: 100-250 ms
    with the event loop stopped (measured on this 2-CPU machine), every request waiting
    meanwhile. Called once the app is built, before the server accepts connections."""
    gc.collect()
    gc.freeze()


def _worker(config: uvicorn.Config, counts: Any, number: int) -> None:
    """Worker ``number``: its own listening socket, then uvicorn's server on it, its
    connections counted in ``counts`` (:class:`ConnectionShares`)."""
    global _shares  # noqa: PLW0603 - one per process, read by each connection's protocol
    sock = reuse_port_socket(config.host, config.port)
    config.load()  # the app built here (uvicorn would on start), then its heap frozen
    freeze_heap()
    _shares = ConnectionShares(counts, number)
    _shares.started()
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(config: uvicorn.Config, workers: int) -> int:
    """Serve ``config`` with ``workers`` processes, each on its own SO_REUSEPORT socket;
    restart one that dies, stop them all (gracefully: SIGTERM) on SIGINT or SIGTERM.
    Returns the exit code: 1 when a worker failed to start."""
    # Held, not listened on, while the workers serve: the port is this server's, and a
    # second server started on it fails here rather than sharing its connections.
    reserved = reuse_port_socket(config.host, config.port)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stopping.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    processes: list[tuple[multiprocessing.process.BaseProcess, float]] = []
    counts = ConnectionShares.shared(workers, context)

    def start(number: int) -> tuple[multiprocessing.process.BaseProcess, float]:
        process = context.Process(
            target=_worker, args=(config, counts, number), name="alliance-web"
        )
        process.start()
        return process, time.monotonic()

    code = 0
    try:
        processes = [start(number) for number in range(workers)]
        while not stopping.wait(0.5):
            for number, (process, started) in enumerate(processes):
                if process.is_alive():
                    continue
                ConnectionShares.stopped(counts, number)
                if time.monotonic() - started < STARTUP_SECONDS:
                    log.error("a web worker stopped as it started (exit %s)", process.exitcode)
                    code = 1
                    stopping.set()
                    break
                log.error("a web worker stopped (exit %s); starting another", process.exitcode)
                processes[number] = start(number)
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.terminate()  # uvicorn's graceful shutdown: the app's lifespan ends
        for process, _ in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
