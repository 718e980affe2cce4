"""Bulk scans without an engine: the results file as checkpoint, listing S3 and folders,
the records of objects that vanish, change or are not media, and the command line's
refusals. (On a real Ray cluster: tests/functional/test_ray_scan.py.)"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alliance.banks.local_store import LocalBankStore
from alliance.cli.main import main
from alliance.demo import media
from alliance.errors import ConfigurationError, InvalidInput, NotFound
from alliance.hashing import pdq
from alliance.hashing.files import walk
from alliance.scanner import bulk
from alliance.scanner.bulk import BulkSummary, InProcesses, pending_objects, scan_pending
from alliance.scanner.checkpoint import ResultsFile
from alliance.scanner.objects import LocalSource, ObjectRef, S3Source, open_source
from alliance.scanner.services import scan
from tests.support.bulk_scan import S3_ENV, bank_store


@pytest.fixture
def store(tmp_path: Path) -> LocalBankStore:
    return bank_store(
        tmp_path / "store",
        {
            "bank": [
                ("pdq", pdq.hash_image(media.picture(1, (320, 240))).hex),
                ("md5", hashlib.md5(b"exact file").hexdigest()),  # noqa: S324
            ]
        },
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    (root / "nested").mkdir(parents=True)
    (root / "a.jpg").write_bytes(media.jpeg(media.picture(1, (320, 240)), 60))
    (root / "nested" / "b.jpg").write_bytes(media.jpeg(media.picture(2, (320, 240))))
    (root / "exact.bin").write_bytes(b"exact file")
    (root / ".hidden.jpg").write_bytes(b"hidden")
    return root


def _scan(source: Any, store: LocalBankStore, output: Path) -> BulkSummary:
    results = ResultsFile.open(output)
    summary = BulkSummary()
    pending = pending_objects(source, results, summary)
    return scan_pending(
        source, pending, store, results, InProcesses(1), batch_size=2, summary=summary
    )


def _lines(output: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.read_text().splitlines()]


def test_a_folder_scanned_in_bulk_equals_the_scanner_and_a_rerun_scans_nothing(
    store: LocalBankStore, folder: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "results.jsonl"
    summary = _scan(LocalSource((str(folder),)), store, output)
    assert (summary.listed, summary.scanned, summary.matched, summary.not_media) == (3, 3, 2, 1)
    got = {Path(r["path"]).name: r for r in _lines(output)}
    expected = {Path(r.record.path).name: r.to_dict() for r in scan(walk([folder]), store)}
    assert got.keys() == expected.keys() == {"a.jpg", "b.jpg", "exact.bin"}
    for name, line in got.items():
        assert line["matches"] == expected[name]["matches"]
        assert line["pdq" if name != "exact.bin" else "md5"] == expected[name].get(
            "pdq" if name != "exact.bin" else "md5"
        )
        assert line["etag"] and line["size"] == (folder / line["path"]).stat().st_size
    again = _scan(LocalSource((str(folder),)), store, output)
    assert (again.listed, again.already, again.scanned) == (3, 3, 0)
    # A changed file is a new version: scanned again, its old line kept.
    (folder / "a.jpg").write_bytes(media.jpeg(media.picture(3, (320, 240))))
    os.utime(folder / "a.jpg", ns=(1, 1))
    third = _scan(LocalSource((str(folder),)), store, output)
    assert (third.already, third.scanned, third.matched) == (2, 1, 0)
    assert len(_lines(output)) == 4


def test_the_results_file_drops_a_torn_line_and_refuses_another_file(tmp_path: Path) -> None:
    output = tmp_path / "results.jsonl"
    results = ResultsFile.open(output)
    results.append([{"path": "s3://b/one.jpg", "etag": "e1", "matches": []}])
    with output.open("ab") as handle:
        handle.write(b'{"path": "s3://b/two.jpg", "et')  # a crash mid-write
    again = ResultsFile.open(output)
    assert again.done == {("s3://b/one.jpg", "e1")} and again.earlier == 1
    assert output.read_bytes().endswith(b"}\n")
    assert again.is_done("s3://b/one.jpg", ObjectRef("one.jpg", "e1", 1))
    assert not again.is_done("s3://b/one.jpg", ObjectRef("one.jpg", "e2", 1))
    (tmp_path / "other.jsonl").write_text('{"something": "else"}\n')
    with pytest.raises(InvalidInput, match="line 1: not a result of a bulk scan"):
        ResultsFile.open(tmp_path / "other.jsonl")


def test_a_local_file_that_vanished_or_changed_since_listing_is_a_record(
    store: LocalBankStore, folder: Path
) -> None:
    source = LocalSource((str(folder),))
    refs = {Path(r.key).name: r for r in source.list()}
    assert sorted(refs) == ["a.jpg", "b.jpg", "exact.bin"]  # hidden files left out
    (folder / "a.jpg").unlink()
    (folder / "nested" / "b.jpg").write_bytes(b"changed")
    gone = bulk.scan_object(source, refs["a.jpg"], store)
    changed = bulk.scan_object(source, refs["b.jpg"], store)
    assert gone["error"].endswith("a.jpg: vanished since it was listed") and "matches" not in gone
    assert "changed since it was listed" in changed["error"]
    summary = BulkSummary()
    summary.count([gone, changed])
    assert summary.skipped == [(gone["path"], gone["error"]), (changed["path"], changed["error"])]


def test_banks_at_another_checkpoint_are_refused(store: LocalBankStore) -> None:
    with pytest.raises(ConfigurationError, match="run `alliance sync` on every node"):
        bulk.worker_store(str(store.root), (("bank", 999),))


def test_sources_from_the_command_line(folder: Path) -> None:
    assert open_source(["s3://bucket/some/prefix"], "http://127.0.0.1:9") == S3Source(
        "bucket", "some/prefix", "http://127.0.0.1:9"
    )
    assert open_source([str(folder)]) == LocalSource((str(folder),))
    with pytest.raises(InvalidInput, match="one s3://bucket/prefix at a time"):
        open_source(["s3://a/", str(folder)])
    with pytest.raises(InvalidInput, match="no bucket"):
        open_source(["s3:///prefix"])
    with pytest.raises(InvalidInput, match="no such file"):
        open_source([str(folder / "missing")])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 in this process (botocore answered in memory: no socket at all)."""
    moto = pytest.importorskip("moto", reason="moto is in the dev extra")
    boto3 = pytest.importorskip("boto3", reason="the ray extra is not installed")
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr("alliance.scanner.objects._CLIENTS", {})
    with moto.mock_aws():
        yield boto3.client("s3")


def test_s3_objects_listed_read_and_those_gone_recorded(
    s3: Any, store: LocalBankStore, tmp_path: Path
) -> None:
    s3.create_bucket(Bucket="uploads")
    s3.put_object(Bucket="uploads", Key="in/a.jpg", Body=media.jpeg(media.picture(1, (320, 240))))
    s3.put_object(Bucket="uploads", Key="in/notes.txt", Body=b"not a picture")
    s3.put_object(Bucket="uploads", Key="in/gone.jpg", Body=b"soon gone")
    s3.put_object(Bucket="uploads", Key="in/folder/", Body=b"")
    s3.put_object(Bucket="uploads", Key="elsewhere.jpg", Body=b"not under the prefix")
    source = S3Source("uploads", "in/")
    refs = list(source.list())
    assert [r.key for r in refs] == ["in/a.jpg", "in/gone.jpg", "in/notes.txt"]
    assert all(r.etag and r.modified for r in refs)
    s3.delete_object(Bucket="uploads", Key="in/gone.jpg")
    records = {r["path"]: r for r in bulk.scan_batch(
        bulk.Batch(source, tuple(refs), str(store.root), bulk.checkpoints_of(store))
    )}  # fmt: skip
    assert records["s3://uploads/in/a.jpg"]["matches"][0]["bank"] == "bank"
    assert "vanished since it was listed" in records["s3://uploads/in/gone.jpg"]["error"]
    notes = records["s3://uploads/in/notes.txt"]
    assert "s3://uploads/in/notes.txt" in notes["not_media"] and notes["matches"] == []
    assert "alliance-scan-" not in json.dumps(records)  # no temporary file named
    assert source.content_id(refs[0]) == "a.jpg"


def test_a_missing_bucket_is_not_found(s3: Any) -> None:
    with pytest.raises(NotFound, match="s3://missing/: no such bucket"):
        list(S3Source("missing").list())


def test_the_command_line_refuses_a_bulk_scan_without_output(
    store: LocalBankStore, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", "s3://bucket/prefix", "--store", str(store.root)])
    assert code == 2
    assert "write to --output FILE" in capsys.readouterr().err
    code = main(
        ["scan", str(folder), "--store", str(store.root), "--output", "x.jsonl", "--format", "csv"]
    )
    assert code == 2


def test_a_ray_address_nothing_answers_on_is_refused_at_once() -> None:
    from alliance.scanner.ray_scan import _reachable

    with pytest.raises(ConfigurationError, match=r"no Ray cluster answers at 127\.0\.0\.1:1"):
        _reachable("127.0.0.1:1")
    with pytest.raises(InvalidInput, match="HOST:PORT"):
        _reachable("nowhere")
