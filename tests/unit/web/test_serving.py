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
from pathlib import Path

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from alliance.settings import load_settings
from alliance.web import serving

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None
HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None


async def constant(scope: Scope, receive: Receive, send: Send) -> None:
    """A route with nothing to do: what is left is the way the server is run."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


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
    listening = config.bind_socket()  # the socket uvicorn binds and hands its workers
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
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            for _ in range(20):
                connection.request("GET", "/")
                response = connection.getresponse()
                assert (response.status, response.read()) == (200, b"ok")
            client_socket = connection.sock
            assert client_socket is not None
            (accepted,) = server.server_state.connections  # the one keep-alive connection
            server_socket = accepted.transport.get_extra_info("socket")
            assert server_socket.getpeername() == client_socket.getsockname()
            assert server_socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            connection.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()


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
