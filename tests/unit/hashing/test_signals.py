"""Conformance kit for every registered signal type, and crypto / variants / vPDQ."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alliance.hashing import crypto, pdq, signals, variants, video
from alliance.hashing.errors import InvalidHash, InvalidMedia, UnknownSignal

from .conftest import REFERENCE

SAMPLES = {
    "pdq": "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "vpdq": "0,f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22,100,0.000",
}


@pytest.mark.parametrize("name", sorted(signals.REGISTRY))
def test_signal_type_conformance(name: str) -> None:
    kind = signals.get(name)
    assert kind.name == name
    assert kind.content_types
    assert kind.description
    sample = SAMPLES[name]
    assert kind.validate(sample.upper() if name != "vpdq" else sample) == sample
    assert kind.distance(sample, sample) == 0
    assert kind.match_threshold >= 0
    for bad in ("", "xyz", "zz" + sample[2:]):
        with pytest.raises(InvalidHash):
            kind.validate(bad)


def test_unknown_signal_is_a_clear_error() -> None:
    with pytest.raises(UnknownSignal, match=r"'nope'.*known: pdq"):
        signals.parse_signals("pdq,nope")
    assert signals.parse_signals(" PDQ, md5 ,pdq") == ("pdq", "md5")


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
    record = signals.hash_media(path, ("pdq", "sha256"), dihedral=True)
    assert list(record)[:3] == ["path", "pdq", "sha256"]
    assert record["pdq_quality"] == 100
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert isinstance(record["pdq_variants"], dict)
    assert len(record["pdq_variants"]) == 8


def test_low_quality_is_reported_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    Image.new("L", (200, 200), 90).save(path)
    record = signals.hash_media(path, ("pdq",))
    assert record["pdq_quality"] == 0
    assert record["pdq_low_quality"] is True
    assert len(str(record["pdq"])) == 64


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
    assert set(named) == set(variants.VARIANT_NAMES) - {"unletterbox", variants.ANIMATION_FRAME}


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
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=duration=3:size=160x120:rate=10", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    value = video.hash_video(clip)
    assert len(value.frames) >= 3
    assert video.is_match(video.compare_videos(value, value))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InvalidMedia):
        video.hash_video(bad)
