"""Conformance kit for every registered signal type, the hash record, and crypto / variants /
vPDQ."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from alliance.cli.engine import register
from alliance.hashing import crypto, pdq, signals, variants, video
from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.record import HashRecord, hash_media
from alliance.hashing.signal_type import (
    ContentType,
    HashOptions,
    IndexKind,
    SignalHash,
    SignalType,
)

from .conftest import REFERENCE

SAMPLES = {
    "pdq": "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "vpdq": "0,f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22,100,0.000",
}


# --- the conformance kit: every registered signal type passes these -----------------------
#
# In the spirit of python-threatexchange's SignalTypeAutoTest: a new signal type registered
# in alliance.hashing.signals gets them without a line here. Each needs a benign file of a
# content type it applies to (generated: random pixels, ffmpeg's test pattern).


def _clip(path: Path) -> Path:
    """Three seconds of ffmpeg's test pattern."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=duration=3:size=160x120:rate=10", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _benign_file(kind: SignalType, folder: Path) -> Path:
    """A generated file ``kind`` applies to: a picture, or a video clip for video types."""
    if ContentType.video in kind.content_types:
        if shutil.which("ffmpeg") is None:
            pytest.skip("needs the ffmpeg binary to make a clip")
        pytest.importorskip("vpdq")
        return _clip(folder / "clip.mp4")
    pixels = np.random.default_rng(7).integers(0, 256, (96, 128, 3), np.uint8)
    picture = folder / "noise.png"
    Image.fromarray(pixels).save(picture)
    return picture


@pytest.fixture(params=sorted(signals.REGISTRY))
def kind(request: pytest.FixtureRequest) -> SignalType:
    return signals.get(request.param)


def test_conformance_describes_itself(kind: SignalType) -> None:
    assert signals.REGISTRY[kind.name] is kind
    assert kind.content_types and kind.description
    assert kind.match_threshold >= 0
    assert kind.index_kind in IndexKind
    sample = SAMPLES[kind.name]  # a new signal type adds its sample value above
    assert kind.validate(sample) == sample
    assert kind.distance(sample, sample) == 0
    if kind.hex_length is not None:
        assert len(sample) == kind.hex_length
        assert kind.validate(f"  {sample.upper()} ") == sample


def test_conformance_hashes_a_file_and_round_trips(kind: SignalType, tmp_path: Path) -> None:
    path = _benign_file(kind, tmp_path)
    assert kind.applies_to(path)
    record = hash_media(path, (kind.name,))
    value = record.value(kind.name)
    assert value is not None
    assert kind.validate(value) == value  # what it produces is canonical
    assert HashRecord.from_json(record.to_json()) == record
    assert kind.hash_file(path, HashOptions()).value == value
    assert kind.distance(value, value) == 0


def test_conformance_refuses_malformed_values(kind: SignalType) -> None:
    sample = SAMPLES[kind.name]
    for bad in ("", "xyz", "zz" + sample[2:], sample + "!"):
        with pytest.raises(InvalidHash):
            kind.validate(bad)
    line = json.dumps({"path": "x", kind.name: "xyz"})
    with pytest.raises(InvalidHash, match=r"^line 7: "):
        HashRecord.from_json(line, line=7)


def test_conformance_matches_itself_at_distance_zero(kind: SignalType, tmp_path: Path) -> None:
    """Hash a file, build the index its type names, match the file: found, distance 0."""
    path = _benign_file(kind, tmp_path)
    hashes = tmp_path / "hashes.jsonl"
    hashes.write_text(hash_media(path, (kind.name,)).to_json() + "\n")
    index = tmp_path / "signal.idx"
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    built = runner.invoke(
        app, ["index", "build", str(hashes), "-o", str(index), "--signal", kind.name]
    )
    assert built.exit_code == 0, built.output
    matched = runner.invoke(app, ["match", str(path), "--index", str(index), "--radius", "0"])
    assert matched.exit_code == 0, matched.output
    [line] = [json.loads(text) for text in matched.stdout.splitlines()]
    [match] = line["matches"]
    assert match["id"] == str(path)
    assert match.get("distance", 0) == 0
    assert match.get("query_match_percent", 100.0) == 100.0


def test_a_record_round_trips_every_field() -> None:
    record = HashRecord(
        "a.gif",
        {
            "pdq": SignalHash(
                SAMPLES["pdq"],
                quality=40,
                low_quality=True,
                variants={"rotate90": "0" * 64},
                frames=("f" * 64,),
            ),
            "md5": SignalHash(SAMPLES["md5"]),
        },
        id="case-1",
    )
    data = record.to_dict()
    assert list(data) == [
        "path", "id", "pdq", "md5", "pdq_quality", "pdq_low_quality", "pdq_variants", "pdq_frames"
    ]  # fmt: skip
    assert HashRecord.from_json(record.to_json()) == record
    failed = HashRecord("b.jpg", error="b.jpg: not an image")
    assert failed.to_dict() == {"path": "b.jpg", "error": "b.jpg: not an image"}
    assert HashRecord.from_dict(failed.to_dict()) == failed


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1]", "must be an object"),
        ("{", "invalid JSON"),
        ('{"pdq": 7}', '"pdq" must be a string'),
        ('{"md5": "xyz"}', "invalid MD5 hash 'xyz'"),
        (f'{{"pdq": "{SAMPLES["pdq"]}", "pdq_quality": 101}}', "from 0 to 100"),
        (f'{{"pdq": "{SAMPLES["pdq"]}", "pdq_quality": true}}', "from 0 to 100"),
        (f'{{"pdq": "{SAMPLES["pdq"]}", "pdq_variants": ["a"]}}', "must be an object"),
        (f'{{"pdq": "{SAMPLES["pdq"]}", "pdq_variants": {{"r": "0"}}}}', "invalid PDQ"),
        (f'{{"pdq": "{SAMPLES["pdq"]}", "pdq_frames": "x"}}', "must be a list"),
        ('{"path": 3}', '"path" must be a string'),
    ],
)
def test_a_bad_record_line_is_refused_with_its_line(line: str, message: str) -> None:
    with pytest.raises(InvalidHash, match=rf"^line 3: .*{re.escape(message)}"):
        HashRecord.from_json(line, line=3)


def test_unknown_keys_are_ignored_when_reading() -> None:
    """A seizure's JSON lines and a scan's output carry keys of their own."""
    record = HashRecord.from_json(f'{{"path": "a", "md5": "{SAMPLES["md5"]}", "category": 2}}')
    assert record == HashRecord("a", {"md5": SignalHash(SAMPLES["md5"])})


def test_crypto_digests_streamed(tmp_path: Path) -> None:
    data = np.random.default_rng(0).integers(0, 256, 3 * 1024 * 1024 + 7, np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    got = crypto.digest_file(path, ("md5", "sha1", "sha256"))
    assert got == {n: hashlib.new(n, data).hexdigest() for n in ("md5", "sha1", "sha256")}
    assert crypto.digest_file(data, ("sha256",)) == {"sha256": got["sha256"]}
    with pytest.raises(InvalidMedia, match="cannot read"):
        crypto.digest_file(tmp_path / "missing", ("md5",))


def test_hash_media_record() -> None:
    path = REFERENCE / "bridge-mods/aaa-orig.jpg"
    record = hash_media(path, ("sha256", "pdq"), HashOptions(dihedral=True))
    assert list(record.to_dict())[:3] == ["path", "pdq", "sha256"]
    found = record.get("pdq")
    assert found is not None and found.quality == 100
    assert record.value("sha256") == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(found.variants) == 8


def test_low_quality_is_reported_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    Image.new("L", (200, 200), 90).save(path)
    data = hash_media(path, ("pdq",)).to_dict()
    assert data["pdq_quality"] == 0
    assert data["pdq_low_quality"] is True
    assert len(str(data["pdq"])) == 64


def test_unletterbox_and_crops() -> None:
    photo = pdq.decode(REFERENCE / "bridge-mods/aaa-orig.jpg")[0]
    luma = np.asarray(photo.convert("L"), np.float32)
    assert variants.unletterbox(luma) is None
    rows, cols = luma.shape
    boxed = np.zeros((int(rows * 1.25), cols), np.float32)
    top = (boxed.shape[0] - rows) // 2
    boxed[top : top + rows] = luma
    inner = variants.unletterbox(boxed)
    assert inner is not None
    assert inner.shape == luma.shape
    original = pdq.pdq_from_luma(luma)
    assert pdq.pdq_from_luma(boxed).distance(original) > 31
    assert pdq.pdq_from_luma(np.ascontiguousarray(inner)) == original
    named = variants.luma_variants(luma)
    assert set(named) == set(variants.BANK_VARIANT_NAMES) - {"unletterbox"}


def test_distinct_drops_repeated_digests() -> None:
    a, b = pdq.PdqHash(bytes(32)), pdq.PdqHash(b"\1" * 32)
    kept = variants.distinct([("original", a), ("rotate90", a), ("crop", b), ("frame", b)])
    assert [name for name, _ in kept] == ["original", "crop"]


def _frames(*hexes: str) -> video.VpdqHash:
    return video.VpdqHash(
        tuple(
            video.VideoFrame(pdq.PdqHash.from_hex(h, 100), i, float(i)) for i, h in enumerate(hexes)
        )
    )


def test_vpdq_compare_rule() -> None:
    a, b, c = "0" * 64, "f" * 64, "0" * 60 + "ffff"
    query, target = _frames(a, b, c), _frames(a, c)
    result = video.compare_videos(query, target)
    assert result.query_match_percent == pytest.approx(200 / 3)
    assert result.target_match_percent == 100.0
    assert not video.is_match(result)
    assert video.is_match(result, query_match_percent=60)
    assert video.VpdqHash.from_text(query.to_text()) == query


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary to make a clip")
def test_vpdq_of_generated_clip(tmp_path: Path) -> None:
    pytest.importorskip("vpdq")
    value = video.hash_video(_clip(tmp_path / "clip.mp4"))
    assert len(value.frames) >= 3
    assert video.is_match(video.compare_videos(value, value))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InvalidMedia):
        video.hash_video(bad)
