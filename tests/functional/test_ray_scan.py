"""A bulk scan of S3 on a real Ray cluster: a head and a worker node started with `ray
start`, moto's S3 server, all on 127.0.0.1. A worker process is killed mid-scan and an
object deleted after the listing; the results equal the single-process scanner's on the
same files, nothing lost and nothing twice, and a rerun with the same output scans
nothing. About 30-40 s on 2 cores; one run at a time on a machine (a file lock), since two
clusters on 2 cores would starve each other."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alliance.banks.local_store import LocalBankStore
from alliance.cli.main import main
from alliance.demo import media
from alliance.hashing import pdq
from alliance.hashing.files import walk
from alliance.scanner.bulk import BulkSummary, pending_objects, scan_pending
from alliance.scanner.checkpoint import ResultsFile
from alliance.scanner.objects import S3Source
from alliance.scanner.services import scan
from tests.support.bulk_scan import (
    S3_ENV,
    RayCluster,
    bank_store,
    moto_server,
    ray_cluster,
    ray_env,
)

boto3 = pytest.importorskip("boto3", reason="the ray extra is not installed")
if importlib.util.find_spec("ray") is None:  # not imported here: see _loopback_driver
    pytest.skip("the ray extra is not installed", allow_module_level=True)

PICTURES = 40
BANKED = range(0, PICTURES, 3)  # every third picture is in the bank
VANISHING = "uploads/zz-vanishing.jpg"  # the last key: listed, deleted before it is read
BATCH = 3  # small batches: many tasks, so a kill lands mid-scan


@pytest.fixture
def one_at_a_time() -> Iterator[None]:
    with open("/tmp/alliance-ray-scan-test.lock", "w") as lock:  # noqa: S108
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, LocalBankStore]:
    """Uploads as files (for the single-process scanner) and a store banking some."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    for seed in range(PICTURES):
        # Recompressed: near-duplicates of the banked pictures, not the same bytes.
        (folder / f"picture-{seed:02d}.jpg").write_bytes(media.jpeg(media.picture(seed), 60))
    (folder / "notes.txt").write_text("not a picture\n")
    (folder / "exact.bin").write_bytes(b"exact file")
    store = bank_store(
        tmp_path / "store",
        {
            "ray-bank": [
                *(("pdq", pdq.hash_image(media.picture(seed)).hex) for seed in BANKED),
                ("md5", hashlib.md5(b"exact file").hexdigest()),  # noqa: S324
            ]
        },
    )
    return folder, store


def _comparable(record: dict[str, Any]) -> tuple[Any, ...]:
    """What must be equal between two scans of one file (its path and the wording of a
    not-media reason name where it was read)."""
    return (
        record.get("pdq"),
        record.get("md5"),
        record.get("sha256"),
        "not_media" in record,
        record.get("error"),
        record.get("matches"),
        record.get("suppressed_by"),
    )


def test_a_scan_on_ray_survives_a_killed_worker_and_equals_the_single_process_scan(
    one_at_a_time: None,
    world: tuple[Path, LocalBankStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, store = world
    expected = {Path(r.record.path).name: r.to_dict() for r in scan(walk([folder]), store)}
    _loopback_driver(monkeypatch)
    with moto_server() as endpoint, ray_cluster() as cluster:
        s3 = boto3.client("s3", endpoint_url=endpoint, **_credentials())
        s3.create_bucket(Bucket="uploads")
        for path in sorted(folder.iterdir()):
            s3.put_object(Bucket="uploads", Key=f"uploads/{path.name}", Body=path.read_bytes())
        s3.put_object(Bucket="uploads", Key=VANISHING, Body=media.jpeg(media.picture(99)))

        source = S3Source("uploads", "uploads/", endpoint)
        output = tmp_path / "results.jsonl"
        results = ResultsFile.open(output)
        summary = BulkSummary()
        pending = pending_objects(source, results, summary)
        assert summary.listed == PICTURES + 3
        killed: list[int] = []

        def mid_scan(records: list[dict[str, Any]]) -> None:
            # The first batch is written; batches up to the in-flight limit were sent,
            # the last key's is not yet: delete it, and kill a worker scanning on the
            # worker node.
            if killed:
                return
            s3.delete_object(Bucket="uploads", Key=VANISHING)
            killed.append(_kill_a_scanning_worker(cluster))

        from alliance.scanner.ray_scan import RayExecutor

        started = time.monotonic()
        with RayExecutor(cluster.address) as executor:
            scan_pending(
                source, pending, store, results, executor,
                batch_size=BATCH, summary=summary, on_batch=mid_scan,
            )  # fmt: skip
        seconds = time.monotonic() - started
        assert killed and killed[0] > 0, "no scan task was running on the worker node"

        lines = list(ResultsFile.open(output).records())
        names = [line["path"].removeprefix("s3://uploads/uploads/") for line in lines]
        assert len(names) == len(set(names)) == PICTURES + 3  # nothing lost, nothing twice
        got = dict(zip(names, lines, strict=True))
        vanished = got.pop(Path(VANISHING).name)
        assert "vanished since it was listed" in vanished["error"]
        assert {n: _comparable(r) for n, r in got.items()} == {
            n: _comparable(r) for n, r in expected.items()
        }
        assert sum(bool(r["matches"]) for r in got.values()) == len(BANKED) + 1
        assert "not_media" in got["notes.txt"] and got["notes.txt"]["matches"] == []
        assert summary.scanned == PICTURES + 3 and len(summary.skipped) == 1
        print(f"scan on Ray: {seconds:.1f} s, worker {killed[0]} killed")

        # Again through the command line, same output: nothing is scanned twice. `--ray
        # auto` finds the cluster as Ray's own tools do (RAY_ADDRESS, as `ray start` says
        # to export on a machine that runs several).
        before = output.read_bytes()
        capsys.readouterr()
        monkeypatch.setenv("RAY_ADDRESS", cluster.address)
        code = main(
            ["scan", "s3://uploads/uploads/", "--ray", "auto", "--output",
             str(output), "--store", str(store.root), "--s3-endpoint", endpoint]
        )  # fmt: skip
        err = capsys.readouterr().err
        assert code == 0, err
        assert "listed 42 objects; 42 already in" in " ".join(err.split())
        assert "scanned 0 on Ray" in " ".join(err.split())
        assert output.read_bytes() == before


def _loopback_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connect as a driver on 127.0.0.1: Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER when it
    is imported (else it rewrites 127.0.0.1 to the machine's address)."""
    for name, value in ray_env().items():
        monkeypatch.setenv(name, value)
    if (constants := sys.modules.get("ray._private.ray_constants")) is not None:
        monkeypatch.setattr(constants, "ENABLE_RAY_CLUSTER", False)


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_DEFAULT_REGION"],
    }


def _kill_a_scanning_worker(cluster: RayCluster, seconds: float = 10.0) -> int:
    """SIGKILL a worker process of the worker node while it runs a scan task; its PID."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid in cluster.worker_processes("ray::scan_batch"):
            os.kill(pid, signal.SIGKILL)
            return pid
        time.sleep(0.01)
    return 0
