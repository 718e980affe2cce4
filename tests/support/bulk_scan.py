"""What the bulk scan's tests and benchmark run on: a synced bank store written without a
database, moto's S3 server and a two-node Ray cluster, both on 127.0.0.1 and started as
processes of their own (in new sessions, so they are stopped by process group)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance.banks.local_store import LocalBankStore
from alliance.banks.snapshots import Columns, Snapshot, encode

ROOT = Path(__file__).resolve().parents[2]


def bank_store(
    root: Path, banks: dict[str, Sequence[tuple[str, str]]], suppression: Sequence[str] = ()
) -> LocalBankStore:
    """A member's synced store holding ``banks``: name -> (signal type, signal) entries,
    as if a snapshot had come from the platform (unsigned: nothing is verified here)."""
    store = LocalBankStore.open(root)
    next_id = 1
    for name, entries in banks.items():
        records: list[dict[str, Any]] = []
        for signal_type, signal_value in entries:
            records.append(
                {
                    "id": next_id,
                    "seq": next_id,
                    "signal_type": signal_type,
                    "signal": signal_value,
                    "removed": False,
                    "classification": {"baseline": True, "iwf": None, "ncmec": None, "vics": None},
                    "votes": 0,
                    "verified": True,
                    "confirmed": 0,
                    "disputed": 0,
                    "flagged": False,
                    "contributor": "test-hotline",
                    "added_at": "2026-01-01T00:00:00+00:00",
                    "variants": {},
                }
            )
            next_id += 1
        header = {
            "bank": {
                "name": name,
                "scope": "alliance",
                "suppression": name in suppression,
                "pdq_threshold": 31,
            },
            "since": 0,
            "until": next_id,
            "generated_at": "2026-01-01T00:00:00+00:00",
        }
        data = encode(header, Columns.from_records(records))
        store.apply(Snapshot(data, len(data)))
    return store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} in {seconds} s")


def stop_group(pgid: int, grace: float = 5.0) -> None:
    """SIGTERM a process group we started, then SIGKILL whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


#: Credentials for moto: any value is accepted, and none of them is real.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (a free port); its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **S3_ENV},
    )
    try:
        _wait_for_port(port, 30, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process.pid)
        process.wait(10)


#: Start a Ray worker node with `ray start` on a cluster kept on 127.0.0.1. Ray keeps every
#: listener of a node on loopback only when RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (else it
#: binds all interfaces and rewrites 127.0.0.1 to the machine's address), and with that
#: setting its CLI refuses a second node (its guard for Windows and macOS). The guard alone
#: is lifted here; the node is started by Ray's own `ray start` code, as
#: ``ray.cluster_utils.Cluster`` starts its nodes.
_WORKER_NODE = """
import sys, types
from ray._private import ray_constants
from ray.scripts import scripts

class Constants(types.ModuleType):
    def __getattr__(self, name):
        return getattr(ray_constants, name)

guarded = Constants("ray_constants")
guarded.ENABLE_RAY_CLUSTER = True
scripts.ray_constants = guarded
sys.exit(scripts.main())
"""


@dataclass
class RayCluster:
    """A head and one worker node, each with ``cpus`` CPUs, on 127.0.0.1."""

    address: str
    temp_dir: Path
    groups: list[int] = field(default_factory=list)
    head_pgid: int = 0
    worker_pgid: int = 0

    def worker_processes(self, title: str) -> list[int]:
        """PIDs of the worker node's Ray workers whose title starts with ``title``
        (``ray::scan_batch`` while a scan task runs). A Ray worker is a session of its
        own, started by its node's raylet: found by its parent."""
        processes: dict[int, tuple[int, int, str]] = {}  # pid: (ppid, pgid, title)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            except (OSError, UnicodeDecodeError, IndexError):
                continue
            processes[int(entry.name)] = (int(stat[1]), int(stat[2]), command)
        node = {pid for pid, (_, pgid, _) in processes.items() if pgid == self.worker_pgid}
        return [
            pid
            for pid, (ppid, _, command) in processes.items()
            if ppid in node and command.startswith(title)
        ]


def ray_env() -> dict[str, str]:
    """The environment of the cluster's processes and of a driver connecting to it."""
    path = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return {
        **os.environ,
        **S3_ENV,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "PYTHONPATH": path,
    }


@contextlib.contextmanager
def ray_cluster(cpus: int = 1) -> Iterator[RayCluster]:
    """`ray start --head` and a worker node, on 127.0.0.1, no dashboard, a temporary
    directory of their own; both stopped by process group on leaving."""
    env = ray_env()
    ray = str(Path(sys.executable).with_name("ray"))
    # A short path: Ray's Unix sockets live under it (108 bytes at most).
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", str(cpus), "--disable-usage-stats", "--node-ip-address", "127.0.0.1"]
    cluster = RayCluster(address, temp_dir)
    try:
        head_argv = [ray, "start", "--head", "--port", str(port), "--include-dashboard=false"]
        head = subprocess.Popen(
            [*head_argv, "--temp-dir", str(temp_dir), *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
        cluster.head_pgid = head.pid
        cluster.groups.append(head.pid)
        _, err = head.communicate(timeout=120)
        if head.returncode:
            raise RuntimeError(f"ray start --head failed: {err.decode()[-2000:]}")
        worker = subprocess.Popen(
            [sys.executable, "-c", _WORKER_NODE, "start", "--address", address, *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
        cluster.worker_pgid = worker.pid
        cluster.groups.append(worker.pid)
        _, err = worker.communicate(timeout=120)
        if worker.returncode:
            raise RuntimeError(f"ray start (worker node) failed: {err.decode()[-2000:]}")
        yield cluster
    finally:
        for pgid in reversed(cluster.groups):
            stop_group(pgid)
        with contextlib.suppress(OSError):
            subprocess.run(["rm", "-rf", str(temp_dir)], check=False, timeout=60)
