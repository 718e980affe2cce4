"""`alliance serve` as a subprocess on 127.0.0.1, for tests that need a live server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_serve(
    env: dict[str, str], log_path: Path, *, start_seconds: float = 60, workers: int = 1
) -> Iterator[str]:
    """Start `alliance serve` with ``env`` (and ``workers`` worker processes) on a free port;
    yield its URL once /readyz answers, stop it at the end. Its output goes to ``log_path``."""
    port = free_port()
    address = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "alliance", "serve", *address],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_seconds
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {log_path.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
