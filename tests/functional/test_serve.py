"""`alliance serve` as an operator runs it: a live server on 127.0.0.1."""

from __future__ import annotations

import http.client
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.server import free_port, live_serve


def test_serve_with_two_workers(fresh_db_url: str, tmp_path: Path) -> None:
    """Several worker processes share one database and one signing key."""
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
    }
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "alliance", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        keys = {httpx.get(f"{base}/api/v1/keys").json()["keys"][0]["key_id"] for _ in range(20)}
        assert len(keys) == 1
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_keep_alive_requests_on_two_workers(fresh_db_url: str, tmp_path: Path) -> None:
    """One client keeps its connection: every request on it is answered on it, by a server
    on the HTTP parser and loop this platform has (httptools and uvloop where they install).
    That these connections send at once (TCP_NODELAY, no wait on the client's delayed ACK)
    is checked on the mechanism in tests/unit/web/test_serving.py, not timed here."""
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
    }
    log = tmp_path / "serve.log"
    with live_serve(env, log, workers=2) as url:
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            sockets = set()
            for _ in range(20):
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                assert response.status == 200, response.read()
                assert response.getheader("connection", "").lower() != "close"
                assert response.read()
                sockets.add(connection.sock)
            assert len(sockets) == 1  # never reconnected
        finally:
            connection.close()
        # Each worker listens on a socket of its own (SO_REUSEPORT): the kernel spreads a
        # client's connections across them, where one shared socket gave one worker all
        # of a pool opened at once.
        deadline = time.monotonic() + 60  # /readyz answered once the first was up
        while len(_listening_sockets(int(port))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_listening_sockets(int(port))) == 2
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    printed = " ".join(log.read_text().split())  # the console wraps its lines
    assert f"2 workers; HTTP {parser}, loop {loop})" in printed


def _listening_sockets(port: int) -> set[str]:
    """Inodes of the TCP sockets listening on ``port`` (/proc/net/tcp, state 0A)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def test_a_taken_port_is_a_clear_error_with_workers(fresh_db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "alliance", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", "2"],
            check=False, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in " ".join(done.stderr.split()), done.stderr
