"""An ASGI app served on 127.0.0.1 in a background thread: what the demo's stand-ins (its
websites, NCMEC's CyberTipline, the DSA Transparency Database) run on, in the demo and in
tests."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

import uvicorn

HOST = "127.0.0.1"


class LoopbackServer:
    """Subclasses set ``app`` (an ASGI app) before :meth:`start`, and say what they are."""

    #: What it stands in for: named in the error when it does not start.
    description = "a demo server"
    thread_name = "demo-server"
    app: Any

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Serve on 127.0.0.1 in a background thread (port 0: a free port, see .port)."""
        if self._server is not None:
            return
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on connections of such a socket
        # (alliance.web.serving says why that matters on keep-alive connections).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self._requested_port))
        except OSError:
            sock.close()
            raise
        sock.listen(64)
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_notify=5,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.thread_name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            sock.close()
            raise RuntimeError(f"{self.description} did not start on {HOST}:{self._port}")
        self._server, self._thread, self._socket = server, thread, sock

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
