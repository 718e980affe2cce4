"""`alliance serve` as an operator runs it: a live server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.server import free_port


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
