"""How many requests run at once, and the threads and connections they may need.

Route handlers are synchronous and run in AnyIO's thread pool, one hop per dependency,
endpoint and response; the database has a pool of connections and, on SQLite, one writer
at a time. A request that holds a connection (or the writer) while it waits for a thread,
while the thread holders wait for that connection, stalls the server until the database
timeouts fire. So the three are sized together, from ALLIANCE_MAX_CONCURRENT_REQUESTS:

- **admission**: at most ``requests`` requests are handled at once, counted in async code
  before any thread or connection is taken; the next wait up to
  ALLIANCE_REQUEST_QUEUE_SECONDS for a turn, then get 503 with ``Retry-After``. ``/healthz``
  and ``/readyz`` have ``PROBE_SLOTS`` turns of their own, so a full server still answers
  its probes; ``/static`` needs no turn (no database);
- **threads**: more than all admitted requests and probes can occupy at once, so the
  thread a request needs next is always free;
- **connections**: a pool with one connection per admitted request and probe, plus the
  in-process worker, the refusal-audit flush, the match event writer and a reservation of
  match event ids (alliance.banks.match_events); a request holds one from its first
  statement to its commit, and authentication holds its own only while it reads.

A request's body (up to ALLIANCE_MAX_BODY_BYTES) is received before the request asks for
a turn, within ALLIANCE_REQUEST_BODY_SECONDS or 408: a client that trickles its body holds
a connection and a coroutine, never one of the turns (a dozen such clients once shut every
other caller out). What an upload sends past that is received during its turn, and must
keep coming: each part within ALLIANCE_REQUEST_BODY_SECONDS, at
ALLIANCE_MIN_UPLOAD_BYTES_PER_SECOND on average, or the request ends with 408.

GET and HEAD requests begin as readers (alliance.db.session.reads_first), and so do the
API's match requests (``READS_FIRST_PATHS``): on SQLite they never wait for the writer.
One that turns out to write (a victim read is audited, a match alerts the agency watching
a hash) is run again from the start as a writer; nothing of the first run was written.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alliance.db.session import WriteNeeded, create_db_engine, reads_first
from alliance.errors import RequestTimeout
from alliance.settings import Settings
from alliance.web.errors import error_response
from alliance.web.state import AppState

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
PROBE_SLOTS = 4
#: Threads beyond the admitted requests and probes: static files, the refusal flush.
SPARE_THREADS = 4
#: Connections beyond them: the in-process takedown worker, the refusal flush, the match
#: event writer and a reservation of match event ids on SQLite.
SPARE_CONNECTIONS = 4
READ_METHODS = frozenset({"GET", "HEAD"})
#: POST requests that begin as readers too: a match writes nothing in the request (its
#: events are written after the answer, alliance.banks.match_events), so on SQLite it
#: need not queue for the one writer. A match that does write (an alert to the agency
#: watching a hash) is run again as a writer.
READS_FIRST_PATHS = frozenset({"/api/v1/match", "/api/v1/match/file"})


@dataclass(frozen=True)
class Capacity:
    requests: int
    queue_seconds: float
    database_wait_seconds: float
    body_seconds: float = 20.0
    body_bytes: int = 1_048_576  # received before the turn
    upload_rate: int = 16_384  # bytes a second, past body_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> Capacity:
        return cls(
            requests=settings.max_concurrent_requests,
            queue_seconds=settings.request_queue_seconds,
            database_wait_seconds=settings.database_wait_seconds,
            body_seconds=settings.request_body_seconds,
            body_bytes=settings.max_body_bytes,
            upload_rate=settings.min_upload_bytes_per_second,
        )

    @property
    def threads(self) -> int:
        return self.requests + PROBE_SLOTS + SPARE_THREADS

    @property
    def connections(self) -> int:
        return self.requests + PROBE_SLOTS + SPARE_CONNECTIONS

    @property
    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.queue_seconds)))


def create_serving_engine(settings: Settings) -> Engine:
    """The web server's engine: a pool and waits sized by :class:`Capacity`."""
    capacity = Capacity.from_settings(settings)
    return create_db_engine(
        settings.effective_database_url,
        pool_size=capacity.connections,
        wait_seconds=capacity.database_wait_seconds,
    )


def lifespan(state: AppState) -> Callable[[FastAPI], Any]:
    """Set the thread limit; flush summarised refusals every interval and at the end; run
    the match event writer and write what it holds at the end; in member mode, run the
    synced banks' sync thread and end it."""
    capacity = Capacity.from_settings(state.settings)

    @asynccontextmanager
    async def run(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = capacity.threads
        state.match_events.start()
        if state.member is not None:
            state.member.start()  # member mode: the synced banks' schedule
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_flush_refusals, state)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
            await anyio.to_thread.run_sync(state.refusals.flush)
        finally:
            if state.member is not None:
                # A graceful stop ends the sync thread (a sync under way finishes first).
                await anyio.to_thread.run_sync(state.member.stop)
            # A graceful stop writes every match event still queued.
            await anyio.to_thread.run_sync(state.match_events.close)

    return run


async def _flush_refusals(state: AppState) -> None:
    while True:
        await anyio.sleep(state.refusals.seconds)
        await anyio.to_thread.run_sync(state.refusals.flush)


async def database_busy(request: Request, _exc: Exception) -> Response:
    """No pooled connection came within the wait (sqlalchemy.exc.TimeoutError): 503."""
    return error_response(request, 503, "busy", "the server is busy; try again in a moment")


class AdmissionMiddleware:
    """Admission, Retry-After on every 503, and GET requests run as readers first."""

    def __init__(self, app: ASGIApp, capacity: Capacity) -> None:
        self.app = app
        self.capacity = capacity
        # One pair of gates per event loop (tests start several loops over one app).
        self._gates: weakref.WeakKeyDictionary[Any, tuple[anyio.Semaphore, anyio.Semaphore]]
        self._gates = weakref.WeakKeyDictionary()

    def _gate(self, probe: bool) -> anyio.Semaphore:
        loop = asyncio.get_running_loop()
        gates = self._gates.get(loop)
        if gates is None:
            gates = (anyio.Semaphore(self.capacity.requests), anyio.Semaphore(PROBE_SLOTS))
            self._gates[loop] = gates
        return gates[1] if probe else gates[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if _has_body(scope):
            body_first = await self._receive_body(receive)
            if body_first is None:
                message = f"the request body did not arrive within {self.capacity.body_seconds:g} s"
                response = error_response(Request(scope), 408, RequestTimeout.code, message)
                await response(scope, receive, send)
                return
            receive = body_first
        gate = self._gate(probe=path in PROBE_PATHS)
        try:
            # A turn free now is taken without a timer and without yielding to the loop
            # (what `acquire` does each time): most requests on a server not overloaded.
            gate.acquire_nowait()
            admitted = True
        except anyio.WouldBlock:
            admitted = False
            with anyio.move_on_after(self.capacity.queue_seconds):
                await gate.acquire()
                admitted = True
        send = self._with_retry_after(send)
        if not admitted:
            await _busy(scope, receive, send)
            return
        try:
            if scope.get("method") in READ_METHODS or path in READS_FIRST_PATHS:
                await self._read_first(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            gate.release()

    async def _receive_body(self, receive: Receive) -> Receive | None:
        """The body received up to ``body_bytes`` before the turn, as a receive that hands
        it over and then paces the rest; None when it did not arrive in time."""
        received: list[Message] = []
        size = 0
        more = True
        with anyio.move_on_after(self.capacity.body_seconds):
            while more and size <= self.capacity.body_bytes:
                message = await receive()
                received.append(message)
                size += len(message.get("body", b""))
                more = message["type"] == "http.request" and message.get("more_body", False)
        if more and size <= self.capacity.body_bytes:
            return None
        return replaying(received, _Paced(receive, self.capacity))

    async def _read_first(self, scope: Scope, receive: Receive, send: Send) -> None:
        received: list[Message] = []
        started = False

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            with reads_first():
                await self.app(_copy(scope), recording_receive, tracking_send)
            return
        except WriteNeeded:
            if started:
                raise
        await self.app(_copy(scope), replaying(received, receive), send)

    def _with_retry_after(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 503:
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"retry-after" for name, _ in headers):
                    headers.append((b"retry-after", self.capacity.retry_after.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return sending


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class _Paced:
    """The rest of an upload, received during its turn: each part within
    ``body_seconds`` and, after the first ``body_seconds``, ``upload_rate`` on average."""

    def __init__(self, receive: Receive, capacity: Capacity) -> None:
        self._receive = receive
        self._capacity = capacity
        self._received = 0
        self._start: float | None = None  # the first part asked for, in the turn

    async def __call__(self) -> Message:
        if self._start is None:
            self._start = anyio.current_time()
        seconds = self._capacity.body_seconds
        with anyio.move_on_after(seconds):
            message = await self._receive()
            self._received += len(message.get("body", b""))
            elapsed = anyio.current_time() - self._start
            rate = self._capacity.upload_rate
            if rate and elapsed > seconds and self._received < rate * elapsed:
                raise RequestTimeout(
                    f"the upload arrives at under {rate:,} bytes a second; send it faster"
                )
            return message
        raise RequestTimeout(f"the upload stalled for {seconds:g} s")


def replaying(received: list[Message], then: Receive) -> Receive:
    """A receive that hands over the messages already ``received``, then reads ``then``:
    a body read once (to wait for it, to look at it) is read again by the app."""
    replay = iter(received)

    async def replaying_receive() -> Message:
        return next(replay, None) or await then()

    return replaying_receive


def _copy(scope: Scope) -> Scope:
    """A scope for one run of the app (the app writes into it and into its state)."""
    copied = dict(scope)
    if isinstance(scope.get("state"), dict):
        copied["state"] = dict(scope["state"])
    return copied


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    response = Response(
        content=b'{"error":{"code":"busy","message":"the server is busy; try again shortly"}}',
        status_code=503,
        media_type="application/json",
    )
    await response(scope, receive, send)
