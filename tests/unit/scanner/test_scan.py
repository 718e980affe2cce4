"""Scanning a folder against a synced local store: matches with context, skips, suppression."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from PIL import Image
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import distribution
from alliance.banks import services as banks
from alliance.banks.local_store import LocalBankStore
from alliance.banks.schemas import Classification, EntryIn
from alliance.banks.signing import Signer
from alliance.cli.scan import scan_command
from alliance.demo import media
from alliance.hashing import pdq, variants, video
from alliance.hashing.record import HashRecord
from alliance.scanner.services import ScanSummary, scan
from tests import factories


@pytest.fixture
def store(session: Session, tmp_path: Path) -> LocalBankStore:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="scan-bank")
    factories.bank(session, hotline, name="scan-suppress", suppression=True)
    pictures = [media.picture(i) for i in range(1, 4)]
    forms = variants.hash_variants(media.jpeg(pictures[0]), tilts=False, crops=False)
    banks.add_entries(
        session,
        analyst,
        "scan-bank",
        [
            EntryIn(
                signal_type="pdq",
                signal=forms.pop("original").hex,
                classification=Classification(baseline=True),
                variants={name: h.hex for name, h in forms.items()},
            ),
            *(
                EntryIn(
                    signal_type="pdq",
                    signal=pdq.hash_image(p).hex,
                    classification=Classification(baseline=True),
                )
                for p in pictures[1:]
            ),
            EntryIn(signal_type="md5", signal=hashlib.md5(b"exact file").hexdigest()),  # noqa: S324
        ],
    )
    # Picture 3 is a known false positive: the suppression bank silences it.
    banks.add_entries(
        session,
        analyst,
        "scan-suppress",
        [EntryIn(signal_type="pdq", signal=pdq.hash_image(pictures[2]).hex)],
    )
    signer = Signer.generate()
    local = LocalBankStore.open(tmp_path / "store")
    for name in ("scan-bank", "scan-suppress"):
        local.apply(
            distribution.parse_document(
                distribution.snapshot(session, analyst, name, signer), signer.public_key
            )
        )
    return local


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    (root / "nested").mkdir(parents=True)
    small = media.picture(1).resize((320, 240))
    (root / "a-resized.jpg").write_bytes(media.jpeg(small))
    (root / "nested" / "b-recompressed.jpg").write_bytes(media.jpeg(media.picture(2), 35))
    (root / "c-suppressed.jpg").write_bytes(media.jpeg(media.picture(3)))
    (root / "d-unrelated.jpg").write_bytes(media.jpeg(media.picture(77)))
    (root / "e-exact.bin").write_bytes(b"exact file")
    (root / "f-truncated.jpg").write_bytes(media.jpeg(media.picture(4))[:300])
    (root / ".hidden.jpg").write_bytes(media.jpeg(media.picture(1)))
    mirrored = media.picture(1).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    (root / "g-mirrored.jpg").write_bytes(media.jpeg(mirrored))
    meme = media.captioned(media.picture(1), "TOP TEXT", "a caption")
    (root / "h-captioned.jpg").write_bytes(media.jpeg(meme))
    return root


@pytest.mark.parametrize("jobs", [1, 2])
def test_scan_folder(store: LocalBankStore, folder: Path, jobs: int) -> None:
    from alliance.hashing.files import walk

    summary = ScanSummary()
    records = {
        Path(r.record.path).name: r.to_dict()
        for r in scan(walk([folder]), store, jobs=jobs, summary=summary)
    }
    assert ".hidden.jpg" not in records
    assert records["a-resized.jpg"]["matches"][0]["bank"] == "scan-bank"
    assert records["g-mirrored.jpg"]["matches"][0]["variant"] == "flip_horizontal"
    # Found through its middle strip, which the text does not touch.
    assert records["h-captioned.jpg"]["matches"][0]["variant"] == "middle_70"
    assert records["h-captioned.jpg"]["matches"][0]["query_form"].startswith("middle_70")
    assert records["a-resized.jpg"]["matches"][0]["classification"]["baseline"] is True
    assert records["b-recompressed.jpg"]["matches"][0]["distance"] <= 31
    assert records["c-suppressed.jpg"]["matches"] == []
    assert records["c-suppressed.jpg"]["suppressed_by"] == ["scan-suppress"]
    assert records["d-unrelated.jpg"]["matches"] == []
    # Not a picture: no PDQ, but its file hashes still match (and it says why).
    exact = records["e-exact.bin"]
    assert "pdq" not in exact and exact["not_media"]
    assert exact["matches"][0]["signal_type"] == "md5"
    assert "not_media" in records["f-truncated.jpg"]
    assert summary.files == 8 and summary.matched == 5 and summary.not_media == 2
    assert summary.skipped == []


def test_unreadable_file_is_skipped(store: LocalBankStore, tmp_path: Path) -> None:
    locked = tmp_path / "locked.jpg"
    locked.write_bytes(b"x")
    locked.chmod(0)
    summary = ScanSummary()
    try:
        records = [r.to_dict() for r in scan([locked], store, summary=summary)]
    finally:
        locked.chmod(0o600)
    import os

    if os.geteuid() == 0:  # root reads anything: nothing to skip
        assert summary.skipped == []
    else:
        assert "error" in records[0] and summary.skipped


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
def test_scan_matches_a_banked_video(session: Session, tmp_path: Path) -> None:
    clip = tmp_path / "uploads" / "clip.mp4"
    clip.parent.mkdir()
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=duration=3:size=160x120:rate=10", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="videos")
    value = video.hash_video(clip).to_text()
    banks.add_entries(session, analyst, "videos", [EntryIn(signal_type="vpdq", signal=value)])
    signer = Signer.generate()
    store = LocalBankStore.open(tmp_path / "store")
    store.apply(
        distribution.parse_document(
            distribution.snapshot(session, analyst, "videos", signer), signer.public_key
        )
    )
    best = next(scan([clip], store)).matches[0]
    assert (best["signal_type"], best["distance"], best["query_form"]) == ("vpdq", 0, "original")
    # A mirrored copy is found by its mirrored form, counted by the second.
    mirrored = tmp_path / "mirrored" / "clip.mp4"
    mirrored.parent.mkdir()
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(clip), "-vf", "hflip", "-pix_fmt", "yuv420p",
         str(mirrored)],
        check=True,
    )  # fmt: skip
    [found] = next(scan([mirrored], store)).matches
    assert (found["signal_type"], found["query_form"]) == ("vpdq", "flip_horizontal")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_scan_command_prints_one_line_a_file(store: LocalBankStore, folder: Path, fmt: str) -> None:
    """`alliance scan` prints each result as the record's line plus its matches (JSON
    lines) or one CSV row; the JSON line reads back as the file's hash record."""
    app = typer.Typer()
    app.command()(scan_command)
    result = CliRunner().invoke(
        app, [str(folder), "--store", str(store.root), "--format", fmt, "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = {Path(r["path"]).name: r for r in csv.DictReader(io.StringIO(result.stdout))}
        assert rows["a-resized.jpg"]["matched"] == "True"
        assert rows["a-resized.jpg"]["banks"] == "scan-bank"
        assert rows["e-exact.bin"]["md5"] == hashlib.md5(b"exact file").hexdigest()  # noqa: S324
        assert rows["d-unrelated.jpg"]["matched"] == "False"
        return
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(line["path"]).name: line for line in lines}
    assert by_name["a-resized.jpg"]["matches"][0]["bank"] == "scan-bank"
    assert "not_media" in by_name["e-exact.bin"]
    record = HashRecord.from_dict(by_name["a-resized.jpg"])
    assert record.value("pdq") == by_name["a-resized.jpg"]["pdq"]
    assert record.get("pdq") is not None and "middle_70" in record.signals["pdq"].variants


def test_a_querys_forms_are_found_in_one_call_as_one_by_one(store: LocalBankStore) -> None:
    """``find_forms`` (every PDQ form of a query in one vectorised search a bank) finds
    what ``find`` finds form by form, in the positive and the suppression bank."""
    pictures = [media.picture(i) for i in range(1, 4)]
    forms = {
        "original": pdq.hash_image(pictures[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT)).hex,
        "flip_horizontal": pdq.hash_image(pictures[0]).hex,
        "other": pdq.hash_image(pictures[2]).hex,
        "unrelated": "0" * 64,
    }
    together = store.find_forms("pdq", forms, ["scan-bank", "scan-suppress"])
    for form, value in forms.items():
        one_by_one = [
            m for name in ("scan-bank", "scan-suppress")
            for m in store._find_in(name, "pdq", value, int(store.banks[name]["pdq_threshold"]))
        ]  # fmt: skip
        key = [(m.bank, m.entry["id"], m.distance, m.variant) for m in together[form]]
        assert sorted(key) == sorted(
            (m.bank, m.entry["id"], m.distance, m.variant) for m in one_by_one
        )
    assert together["flip_horizontal"] and together["other"] and not together["unrelated"]
    assert {m.bank for m in together["other"]} >= {"scan-suppress"}
