"""How `alliance serve` runs uvicorn: every connection it accepts sends at once.

uvicorn writes a response's head and body in two sends. On a connection with Nagle's
algorithm on, the body waits for the client's delayed ACK of the head: about 40 ms on every
keep-alive request after the first. With several workers uvicorn binds the listening socket
itself (``Config.bind_socket``, ``proto`` 0), and asyncio then leaves ``TCP_NODELAY`` off
the connections accepted on it. The check here is on the mechanism, not on a time: the
connections of uvicorn's multi-worker socket, served with ``alliance serve``'s options, have
``TCP_NODELAY`` set.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from alliance.settings import load_settings
from alliance.web import serving
from alliance.web.serving import ConnectionShares

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None
HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None


async def constant(scope: Scope, receive: Receive, send: Send) -> None:
    """A route with nothing to do: what is left is the way the server is run."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _ok(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    """``GET /`` on ``connection``, answered 200 "ok"."""
    connection.request("GET", "/")
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"ok")
    return response


@contextmanager
def _serving(config: uvicorn.Config) -> Iterator[tuple[uvicorn.Server, str, int]]:
    """uvicorn serving ``config`` on a thread, on the socket uvicorn binds and hands its
    workers: (the server, its host, its port), until the block ends."""
    listening = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.02)
        assert server.started
        host, port = listening.getsockname()
        yield server, host, port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()


@pytest.mark.parametrize(
    "loop",
    [
        "asyncio",
        pytest.param("uvloop", marks=pytest.mark.skipif(not HAS_UVLOOP, reason="no uvloop")),
    ],
)
def test_connections_on_the_workers_socket_have_tcp_nodelay(loop: str, tmp_path: Path) -> None:
    options = {**serving.uvicorn_options(load_settings(data_dir=tmp_path)), "loop": loop}
    config = uvicorn.Config(
        constant, host="127.0.0.1", port=0, workers=2, lifespan="off", **options
    )
    with _serving(config) as (server, host, port):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            for _ in range(20):
                _ok(connection)
            client_socket = connection.sock
            assert client_socket is not None
            (accepted,) = server.server_state.connections  # the one keep-alive connection
            server_socket = accepted.transport.get_extra_info("socket")
            assert server_socket.getpeername() == client_socket.getsockname()
            assert server_socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            connection.close()


def test_the_fast_parser_and_loop_where_the_platform_has_them(tmp_path: Path) -> None:
    parser, protocol = ("httptools", "HttpTools") if HAS_HTTPTOOLS else ("h11", "H11")
    assert parser == serving.HTTP_PARSER
    assert f"alliance.web.serving:NoDelay{protocol}Protocol" == serving.HTTP_PROTOCOL
    assert serving.event_loop() == ("uvloop" if HAS_UVLOOP else "asyncio")
    # named by its import string: a spawned worker imports the protocol itself
    options = serving.uvicorn_options(load_settings(data_dir=tmp_path))
    assert (options["http"], options["loop"]) == (serving.HTTP_PROTOCOL, "auto")


def test_workers_sockets_share_a_port_and_refuse_another_server() -> None:
    """Each worker binds the port with SO_REUSEPORT (the kernel spreads connections
    across their sockets); a server that is not one of them cannot bind it."""
    first = serving.reuse_port_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = serving.reuse_port_socket("127.0.0.1", port)
    try:
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert second.getsockname()[1] == port
        stranger = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with pytest.raises(OSError, match="in use"):
            stranger.bind(("127.0.0.1", port))
        stranger.close()
    finally:
        first.close()
        second.close()


def test_fastapis_telemetry_hooks_are_on_only_where_opentelemetry_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off, they would only look for providers on every request; an operator who runs
    the server under OpenTelemetry (an OTEL_ variable) gets FastAPI's defaults."""
    from alliance.web.app import _telemetry

    for name in [n for n in os.environ if n.startswith(("OTEL_", "FASTAPI_OTEL_"))]:
        monkeypatch.delenv(name)
    assert _telemetry() == {"tracing": False, "metrics": False, "logs": False}
    monkeypatch.setenv("OTEL_SERVICE_NAME", "alliance-hub")
    assert _telemetry() is None


class _Transport:
    """What a connection's transport is asked to do."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


def test_a_responses_head_and_body_go_out_in_one_send_at_once() -> None:
    async def run() -> tuple[list[bytes], list[bytes], list[bytes], bool]:
        inner = _Transport()
        transport = serving.CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        held = list(inner.sent)  # the head waits for what follows it
        transport.write(bytearray(b"{}"))
        together = list(inner.sent)  # sent at once with its body, not at the turn's end
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0)  # nothing followed it: sent at the loop's next turn
        alone = inner.sent[len(together) :]
        transport.write(b"last")
        transport.close()  # what is held goes out before the connection closes
        return held, together, alone + inner.sent[len(together) + len(alone) :], inner.closed

    held, together, then, closed = asyncio.run(run())
    assert held == []
    assert together == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert then == [b"HTTP/1.1 100 Continue\r\n\r\n", b"last"]
    assert closed


def test_a_large_write_is_not_held_and_an_abort_drops_what_is_held() -> None:
    async def run() -> _Transport:
        inner = _Transport()
        transport = serving.CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"head")
        transport.write(b"x" * serving.COALESCE_BYTES)  # not copied into one send
        assert inner.sent == [b"head", b"x" * serving.COALESCE_BYTES]
        assert transport.get_extra_info("peername") == "info peername"  # the rest is its own
        transport.write(b"held")
        transport.abort()
        await asyncio.sleep(0)  # the scheduled send finds nothing
        return inner

    inner = asyncio.run(run())
    assert inner.sent == [b"head", b"x" * serving.COALESCE_BYTES] and inner.aborted


# --- spreading connections across the workers ------------------------------------------


def _shares(counts: list[int], worker: int = 0) -> serving.ConnectionShares:
    return serving.ConnectionShares(counts, worker)


def test_a_worker_sheds_a_connection_only_when_it_holds_two_more_and_is_busier() -> None:
    """[open, busy] per worker. Worker 0 sheds when it holds two connections more than
    another worker and two more busy ones; never two at once; absent workers don't count."""
    counts = [ConnectionShares.ABSENT] * 4
    mine = _shares(counts, 0)
    mine.started()
    for _ in range(6):
        mine.opened()
    counts[2:] = [ConnectionShares.ABSENT, ConnectionShares.ABSENT]
    assert [mine.request_started() for _ in range(3)] == [False] * 3  # no other worker
    counts[2:] = [4, 0]  # another holds 4, none busy: 6 - 4 = 2 open, 3 busy more
    assert mine.request_started() is True
    assert mine.request_started() is False  # one close at a time
    mine.closed(in_flight=1, shed=True)  # the shed connection went, its request answered
    assert counts[:2] == [5, 4]  # five requests begun, one of them gone with its connection
    counts[2:] = [4, 2]  # 5 - 4 = 1 open more: balanced enough
    assert mine.request_started() is False
    for _ in range(5):
        mine.request_answered()
    assert counts[:2] == [5, 0]


def test_a_lightly_used_worker_does_not_shed() -> None:
    """Many connections, but few requests at a time: nothing is closed."""
    counts = [0, 0, 2, 1]
    mine = _shares(counts, 0)
    mine.started()
    for _ in range(10):
        mine.opened()
    for _ in range(50):
        assert mine.request_started() is False  # 1 busy against 1
        mine.request_answered()


def test_a_stopped_worker_is_absent_until_it_starts_again() -> None:
    counts = [3, 1, 7, 5]
    ConnectionShares.stopped(counts, 1)
    assert counts == [3, 1, ConnectionShares.ABSENT, ConnectionShares.ABSENT]
    _shares(counts, 1).started()
    assert counts == [3, 1, 0, 0]


async def slow(scope: Scope, receive: Receive, send: Send) -> None:
    """A request that takes a while: several are in flight at once."""
    assert scope["type"] == "http"
    await asyncio.sleep(0.3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.skipif(not HAS_HTTPTOOLS, reason="shedding is on the httptools protocol")
def test_a_worker_holding_more_connections_closes_one_after_its_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that is worker 0 of two, the other holding no connection: of four
    keep-alive clients busy at once, one answer says ``Connection: close`` (the client
    then reconnects, and the kernel places it again), every answer is whole, and once
    the clients have gone its counts are back to nothing."""
    counts = [ConnectionShares.ABSENT] * 4
    shares = _shares(counts, 0)
    shares.started()
    counts[2:] = [0, 0]
    monkeypatch.setattr(serving, "_shares", shares)
    options = serving.uvicorn_options(load_settings(data_dir=tmp_path))
    config = uvicorn.Config(slow, host="127.0.0.1", port=0, lifespan="off", **options)
    with _serving(config) as (_server, host, port):
        closes: list[str] = []
        failures: list[BaseException] = []

        def client() -> None:
            connection = http.client.HTTPConnection(host, port, timeout=10)
            try:
                for _ in range(3):
                    if _ok(connection).getheader("connection", "").lower() == "close":
                        closes.append("close")  # http.client reconnects on its next request
            except BaseException as exc:  # reported below, on the test's thread
                failures.append(exc)
            finally:
                connection.close()

        clients = [threading.Thread(target=client) for _ in range(4)]
        for started in clients:
            started.start()
        for started in clients:
            started.join(timeout=30)
        assert failures == []
        assert len(closes) >= 1
        for _ in range(500):  # the server sees the clients' closes
            if counts[:2] == [0, 0]:
                break
            time.sleep(0.01)
        assert counts[:2] == [0, 0]
