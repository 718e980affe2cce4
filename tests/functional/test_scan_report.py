"""`alliance scan --report`: matches go to the platform as URLs and hashes, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.accounts.permissions import Role
from alliance.errors import InvalidInput, PermissionDenied
from alliance.hashing.record import HashRecord
from alliance.hashing.signal_type import SignalHash
from alliance.scanner.reporting import public_url, report_for, submit
from alliance.scanner.services import ScanResult
from tests.functional.conftest import World
from tests.functional.test_sync import _bridge

RECORD = ScanResult(
    HashRecord("", {"md5": SignalHash("0" * 32), "sha256": SignalHash("1" * 64)}),
    matches=[{"bank": "baseline-demo", "entry_id": 7, "signal_type": "md5", "distance": 0}],
)


def test_public_url_is_relative_to_the_scanned_folder(tmp_path: Path) -> None:
    picture = tmp_path / "albums" / "summer 1.jpg"
    picture.parent.mkdir()
    picture.write_bytes(b"x")
    url = public_url("https://cdn.example.test/u/{path}", picture, [tmp_path])
    assert url == "https://cdn.example.test/u/albums/summer%201.jpg"
    with pytest.raises(InvalidInput, match="must contain"):
        public_url("https://cdn.example.test/", picture, [tmp_path])


def test_matches_are_reported_once(client: TestClient, world: World) -> None:
    report = report_for(RECORD, "https://cdn.example.test/u/1.jpg")
    assert report is not None and report.origin == "scanner"
    unmatched = ScanResult(RECORD.record)
    assert report_for(unmatched, "https://cdn.example.test/u/2.jpg") is None
    assert [(h.signal_type, h.value) for h in report.hashes] == [
        ("md5", "0" * 32),
        ("sha256", "1" * 64),
    ]
    with _bridge(client, world.keys[Role.reviewer]) as http:
        first = submit(http, [report])
        again = submit(http, [report])
    assert [r["reference"] for r in again] == [r["reference"] for r in first]
    item = first[0]["items"][0]["item"]
    detail = client.get(
        f"/api/v1/items/{item}", headers={"Authorization": f"Bearer {world.keys[Role.reviewer]}"}
    ).json()
    assert detail["report_count"] == 1
    assert any(
        e["kind"] == "received" and e["details"]["source"] == "scanner" for e in detail["events"]
    )


def test_reporting_needs_a_role_that_may_report(client: TestClient, world: World) -> None:
    report = report_for(RECORD, "https://cdn.example.test/u/3.jpg")
    assert report is not None
    with _bridge(client, world.keys[Role.viewer]) as http, pytest.raises(PermissionDenied):
        submit(http, [report])
