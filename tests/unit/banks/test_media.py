"""Files a member holds, hashed in memory into bank entries (alliance.banks.media)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from alliance.banks import media
from alliance.banks.schemas import Classification
from alliance.errors import InvalidInput
from alliance.hashing import pdq, video


def _picture(seed: int) -> bytes:
    """A benign generated picture: stripes and blocks that PDQ finds detailed."""
    image = Image.new("RGB", (256, 192), "white")
    draw = ImageDraw.Draw(image)
    for i in range(0, 256, 16):
        top = (i * seed) % 150
        draw.rectangle([i, top, i + 11, top + 40], fill=((i * 3) % 255, 90, (seed * 40) % 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_picture_gives_its_pdq_with_variants_and_the_digests_asked() -> None:
    data = _picture(7)
    entries = media.entries_of_media(
        [("a.png", data)], ["sha256", "pdq"], classification=Classification(vics=1), note="n"
    )
    assert [e.signal_type for e in entries] == ["pdq", "sha256"]
    first, digest = entries
    assert first.signal == pdq.hash_file(data).hex
    assert "original" not in first.variants and len(first.variants) >= 8
    assert first.signal not in first.variants.values()
    assert digest.signal == hashlib.sha256(data).hexdigest()
    assert all(e.classification.vics == 1 and e.note == "n" for e in entries)


def test_a_file_that_is_no_picture_gets_its_digests_only() -> None:
    entries = media.entries_of_media([("t.txt", b"text")], ["pdq", "md5", "sha1"])
    assert [e.signal_type for e in entries] == ["md5", "sha1"]
    with pytest.raises(InvalidInput, match=r"t\.txt: not a picture PDQ can hash") as refused:
        media.entries_of_media([("t.txt", b"text")], ["pdq"])
    assert refused.value.field == "files"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary to make clips")
def test_a_video_gives_its_vpdq_and_is_matched_by_its_query_forms(tmp_path: Path) -> None:
    pytest.importorskip("vpdq")
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=duration=3:size=320x240:rate=25", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)  # fmt: skip
    data = clip.read_bytes()
    entries = media.entries_of_media([("clip.mp4", data)], ["pdq", "md5"])
    assert [e.signal_type for e in entries] == ["vpdq", "md5"]
    assert entries[0].signal == video.hash_video(clip).to_text()
    [found, *digests] = media.signals_of_media(data)
    assert found.signal_type == "vpdq" and found.signal == entries[0].signal
    assert found.forms is not None and {"resampled", "flip_horizontal"} <= set(found.forms)
    assert [d.signal_type for d in digests] == ["md5", "sha1", "sha256"]
    # Bytes that begin as an MP4 does but hold no video: the digests only.
    broken = b"\0\0\0\x18ftypmp42" + bytes(64)
    assert [e.signal_type for e in media.entries_of_media([("b.mp4", broken)], ["pdq", "md5"])] == [
        "md5"
    ]


@pytest.mark.parametrize(
    ("files", "kinds", "said"),
    [
        ([], ["md5"], "choose a file to add"),
        ([("e.png", b"")], ["md5"], "e.png: the file is empty"),
        ([("a", b"x")], [], "tick PDQ or at least one digest"),
        ([("a", b"x")], ["md5", "crc32"], "unknown hash types: crc32"),
    ],
)
def test_bad_requests_are_refused_by_name(files: list, kinds: list[str], said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        media.entries_of_media(files, kinds)


def test_matching_signals_of_a_file() -> None:
    data = _picture(3)
    found = media.signals_of_media(data, name="p.png")
    assert [s.signal_type for s in found] == ["pdq", "md5", "sha1", "sha256"]
    assert [s.signal_type for s in media.signals_of_media(b"x")] == ["md5", "sha1", "sha256"]
    with pytest.raises(InvalidInput, match=r"p\.png: the file is empty"):
        media.signals_of_media(b"", name="p.png")
