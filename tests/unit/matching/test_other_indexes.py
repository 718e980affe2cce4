"""Crypto index, vPDQ index and hash files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alliance.hashing.errors import InvalidHash
from alliance.hashing.pdq import PdqHash
from alliance.hashing.video import VideoFrame, VpdqHash
from alliance.matching.crypto_index import CryptoIndex
from alliance.matching.errors import InvalidIndex
from alliance.matching.hashfile import looks_like_hashfile, read_hashfile
from alliance.matching.pdq_index import PdqIndex
from alliance.matching.video import VpdqIndex


def test_crypto_index_round_trip(tmp_path: Path) -> None:
    values = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(1_000)]
    index = CryptoIndex.build(
        "sha256", [*values, values[5].upper()], [f"id{i}" for i in range(1_001)]
    )
    index.save(tmp_path / "c.idx")
    opened = CryptoIndex.open(tmp_path / "c.idx")
    assert len(opened) == 1_001
    assert sorted(opened.lookup(values[5])) == ["id1000", "id5"]
    assert opened.lookup(hashlib.sha256(b"other").hexdigest()) == []
    with pytest.raises(InvalidHash, match="SHA256"):
        opened.lookup("abc")
    with pytest.raises(InvalidIndex):
        CryptoIndex.build("crc32", [], [])


def _video(*hexes: str) -> VpdqHash:
    return VpdqHash(
        tuple(VideoFrame(PdqHash.from_hex(h, 100), i, i * 1.0) for i, h in enumerate(hexes))
    )


@pytest.mark.parametrize("reload", [False, True])
def test_vpdq_index_rule(tmp_path: Path, reload: bool) -> None:
    a, b, c, d = "0" * 64, "f" * 64, "0" * 32 + "f" * 32, "f" * 32 + "0" * 32
    index = VpdqIndex.build({"v1": _video(a, b, c, a), "v2": _video(d)})
    if reload:
        index.save(tmp_path / "v.vpdqidx")
        index = VpdqIndex.open(tmp_path / "v.vpdqidx")
    assert len(index) == 2
    [match] = index.search(_video(a, b, c, d), query_match_percent=70)
    assert (match.id, match.query_match_percent, match.target_match_percent) == ("v1", 75.0, 100.0)
    assert index.search(_video(a, b, c, d)) == []  # 75 % < the default 80 %
    assert [m.id for m in index.search(_video(d), target_match_percent=100)] == ["v2"]


def test_vpdq_index_of_one_video_and_of_none(tmp_path: Path) -> None:
    # python-threatexchange #1318 is about a one-hash PDQ index after reload; the same here.
    VpdqIndex.build({"only": _video("a" * 64)}).save(tmp_path / "one.vpdqidx")
    [match] = VpdqIndex.open(tmp_path / "one.vpdqidx").search(_video("a" * 64))
    assert match.id == "only"
    VpdqIndex.build({}).save(tmp_path / "none.vpdqidx")
    assert VpdqIndex.open(tmp_path / "none.vpdqidx").search(_video("a" * 64)) == []
    with pytest.raises(InvalidIndex, match="not an index of this kind"):
        PdqIndex.open(tmp_path / "none.vpdqidx")


def test_hashfile_formats(tmp_path: Path) -> None:
    h1, h2 = "a" * 64, "b" * 64
    path = tmp_path / "hashes.txt"
    path.write_text(
        f"# comment\n{h1}\nmy-id\t{h2.upper()}\n"
        f'{{"path": "p.jpg", "pdq": "{h1}", "pdq_quality": 90, '
        f'"pdq_variants": {{"rotate90": "{h2}"}}}}\n'
        '{"path": "bad.jpg", "error": "not an image"}\n\n'
    )
    records = list(read_hashfile(path))
    assert [(r.name(), r.value("pdq")) for r in records] == [
        ("2", h1),
        ("my-id", h2),
        ("p.jpg", h1),
    ]
    third = records[2].get("pdq")
    assert third is not None and third.variants == {"rotate90": h2} and third.quality == 90
    assert looks_like_hashfile(path)
    path.write_text(f"{h1}\nnot-a-hash\n")
    with pytest.raises(InvalidHash, match=r"hashes\.txt:2: invalid PDQ hash 'not-a-hash'"):
        list(read_hashfile(path))
    path.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    assert not looks_like_hashfile(path)
    # A JSON line is read by the hash record: its errors name the file and line.
    path.write_text(f'{{"pdq": "{h1}", "pdq_quality": "high"}}\n')
    with pytest.raises(InvalidHash, match=r"hashes\.txt:1: \"pdq_quality\" must be a whole"):
        list(read_hashfile(path))


def test_hashfile_of_one_signal_passes_over_what_it_does_not_apply_to(tmp_path: Path) -> None:
    """A folder's hash file holds pictures and videos: a vPDQ read passes over the pictures,
    a PDQ read over the videos; a picture without PDQ is an error."""
    h1 = "a" * 64
    vpdq = f"0,{h1},100,0.000"
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        f'{{"path": "a.jpg", "pdq": "{h1}", "md5": "{"0" * 32}"}}\n'
        f'{{"path": "b.mp4", "vpdq": "{vpdq}", "md5": "{"1" * 32}"}}\n'
    )
    assert [r.path for r in read_hashfile(path)] == ["a.jpg"]
    assert [r.path for r in read_hashfile(path, "vpdq")] == ["b.mp4"]
    assert [r.value("md5") for r in read_hashfile(path, "md5")] == ["0" * 32, "1" * 32]
    assert looks_like_hashfile(path, "vpdq")
    path.write_text('{"path": "c.jpg", "md5": "' + "0" * 32 + '"}\n')
    with pytest.raises(InvalidHash, match=r'mixed\.jsonl:1: a JSON line needs a "pdq" field'):
        list(read_hashfile(path))
    path.write_text(f"{vpdq}\n")
    with pytest.raises(InvalidHash, match="read from JSON lines"):
        list(read_hashfile(path, "vpdq"))
