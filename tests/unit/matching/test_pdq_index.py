"""The exact PDQ index: recall 1.0 against brute force, edits, files, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alliance.hashing.errors import InvalidHash
from alliance.matching import fileformat
from alliance.matching.errors import InvalidIndex, InvalidRadius
from alliance.matching.pdq_index import PdqIndex, as_words

RNG = np.random.default_rng(7)


def _random(n: int) -> np.ndarray:
    return RNG.integers(0, 256, (n, 32), dtype=np.uint8)


def _near(base: np.ndarray, flips: int) -> np.ndarray:
    """``base`` with ``flips`` random bits flipped in each row."""
    bits = np.unpackbits(base, axis=1)
    for row in bits:
        row[RNG.choice(256, flips, replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def _clustered(families: int, size: int) -> np.ndarray:
    seeds = _random(families)
    return np.concatenate([_near(np.repeat(seeds, size, axis=0), k) for k in (0, 8, 20)])


def _brute(data: np.ndarray, query: np.ndarray, radius: int) -> dict[str, int]:
    distances = np.bitwise_count(as_words(data) ^ as_words(query[None])[0]).sum(axis=1)
    return {str(i): int(d) for i, d in enumerate(distances) if d <= radius}


@pytest.mark.parametrize("kind", ["uniform", "clustered"])
def test_exact_recall_against_brute_force(kind: str) -> None:
    data = _random(30_000) if kind == "uniform" else _clustered(500, 20)
    index = PdqIndex.build(data)
    queries = np.concatenate([_near(data[:40], k) for k in (0, 5, 15, 25, 31, 32, 40)])
    for radius in (0, 7, 16, 31):
        results = index.search_many(queries, radius)
        for query, found in zip(queries, results, strict=True):
            expected = _brute(data, query, radius)
            assert {m.id: m.distance for m in found} == expected
            assert [m.distance for m in found] == sorted(m.distance for m in found)


def test_single_hash_index_after_save_and_reload(tmp_path: Path) -> None:
    """python-threatexchange #1318: a one-hash index finds nothing once reloaded."""
    value = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
    PdqIndex.build([value], ["only"]).save(tmp_path / "one.pdqidx")
    index = PdqIndex.open(tmp_path / "one.pdqidx")
    assert len(index) == 1
    [match] = index.search(value)
    assert (match.id, match.hash, match.distance) == ("only", value, 0)


def test_empty_index(tmp_path: Path) -> None:
    PdqIndex.build([]).save(tmp_path / "empty.pdqidx")
    index = PdqIndex.open(tmp_path / "empty.pdqidx")
    assert len(index) == 0
    assert index.search("0" * 64) == []


@pytest.mark.parametrize("radius", [32, -1, 100])
def test_radius_outside_exact_range(radius: int) -> None:
    with pytest.raises(InvalidRadius, match=f"radius {radius} is out of range"):
        PdqIndex.build(_random(3)).search("0" * 64, radius)


@pytest.mark.parametrize("query", ["", "0" * 63, "x" * 64])
def test_invalid_query_hash(query: str) -> None:
    with pytest.raises(InvalidHash):
        PdqIndex.build(_random(3)).search(query)


def test_add_remove_without_rebuild_and_persist(tmp_path: Path) -> None:
    data = _random(5_000)
    index = PdqIndex.build(data, [f"a{i}" for i in range(5_000)])
    extra = _random(10)
    index.add(extra, [f"b{i}" for i in range(10)], banks="bank-b")
    assert index.indexed == 5_000  # not folded into the tables yet
    assert index.search(extra[3].tobytes())[0].id == "b3"
    assert index.remove(["a7", "b3", "nope"]) == 2
    assert index.search(data[7].tobytes()) == []
    assert index.search(extra[3].tobytes()) == []
    index.save(tmp_path / "edited.pdqidx")
    reopened = PdqIndex.open(tmp_path / "edited.pdqidx")
    assert len(reopened) == 5_008
    assert reopened.search(data[7].tobytes()) == []
    assert reopened.search(extra[4].tobytes())[0].id == "b4"
    assert reopened.search(data[8].tobytes())[0].id == "a8"
    reopened.add(_random(1), ["c0"])
    assert reopened.id_of(5_010) == "c0"


def test_many_adds_compact_and_stay_exact() -> None:
    index = PdqIndex.build(_random(100))
    more = _random(6_000)
    for start in range(0, 6_000, 1_000):
        index.add(more[start : start + 1_000])
    assert index.indexed > 100  # compacted automatically
    everything = np.concatenate([index._digests])
    query = _near(more[10:11], 12)[0]
    assert {m.id: m.distance for m in index.search(query.tobytes())} == _brute(
        everything, query, 31
    )


def test_implicit_ids_on_reopened_index_continue_row_numbers(tmp_path: Path) -> None:
    PdqIndex.build(_random(5)).save(tmp_path / "rows.pdqidx")
    index = PdqIndex.open(tmp_path / "rows.pdqidx")
    new = _random(1)
    index.add(new)
    assert index.search(new[0].tobytes())[0].id == "5"


def test_bank_filtering_and_variants() -> None:
    base = _random(1)
    rotated = _near(base, 30)
    index = PdqIndex.empty()
    index.add(
        np.concatenate([base, rotated]),
        ["x", "x"],
        banks="ncmec",
        variants=["original", "rotate90"],
    )
    index.add(_near(base, 2), ["y"], banks="iwf")
    query = rotated[0].tobytes()
    matches = index.search(query)
    assert next((m.id, m.bank, m.variant, m.distance) for m in matches) == (
        "x",
        "ncmec",
        "rotate90",
        0,
    )
    assert len([m for m in matches if m.id == "x"]) == 1  # one match per entry: its closest variant
    assert [m.id for m in index.search(base[0].tobytes(), banks=["iwf"])] == ["y"]
    assert index.search(base[0].tobytes(), banks=["unknown"]) == []
    with pytest.raises(InvalidIndex, match="unknown variant"):
        index.add(base, variants="sideways")


def test_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "x.pdqidx"
    path.write_bytes(b"hello")
    with pytest.raises(InvalidIndex, match=r"too short|not an index"):
        PdqIndex.open(path)
    path.write_bytes(b"NOTMAGIC" + bytes(100))
    with pytest.raises(InvalidIndex, match="not an index of this kind"):
        PdqIndex.open(path)
    PdqIndex.build(_random(100)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidIndex, match="truncated"):
        PdqIndex.open(path)
    path.write_bytes(data[:8] + (99).to_bytes(4, "little") + data[12:])
    with pytest.raises(InvalidIndex, match="version 99"):
        PdqIndex.open(path)
    with pytest.raises(InvalidIndex, match="cannot open"):
        PdqIndex.open(tmp_path / "missing.pdqidx")


def test_file_is_not_pickle_and_has_documented_header(tmp_path: Path) -> None:
    path = tmp_path / "x.pdqidx"
    PdqIndex.build(_random(10), [str(i) for i in range(10)]).save(path)
    header, arrays = fileformat.read(path, b"ALPDQIX\0", (1,))
    assert header["count"] == 10
    assert header["ids"] == "explicit"
    assert set(arrays) >= {
        "hashes",
        "bank",
        "variant",
        "tombstone",
        "bucket_offsets",
        "bucket_rows",
    }
    assert path.read_bytes()[:8] == b"ALPDQIX\0"


@pytest.mark.parametrize("count", [0, 1, 5000])
def test_bucket_tables_list_rows_by_key_in_row_order(count: int) -> None:
    from alliance.matching.pdq_index import _Tables, as_words

    digests = np.random.default_rng(count).integers(0, 256, (count, 32), dtype=np.uint8)
    words = as_words(digests)
    tables = _Tables.build(words, threads=2)
    for s, (word, shift, width) in enumerate(tables.layout):
        keys = (words[:, word] >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        start, stop = tables.bases[s], tables.bases[s] + (1 << width) + 1
        bounds = tables.offsets[start:stop].astype(np.int64) - s * count
        rows = tables.rows[s * count : (s + 1) * count]
        assert rows.tolist() == np.argsort(keys, kind="stable").tolist()
        assert (
            np.diff(bounds).tolist()
            == np.bincount(keys.astype(np.int64), minlength=1 << width).tolist()
        )


def test_index_from_an_older_variant_list_accepts_new_variant_names(tmp_path: Path) -> None:
    index = PdqIndex.build(["00" * 32], ["a"])
    index.variant_names = index.variant_names[:9]  # as written before the crop grid
    index.save(tmp_path / "old.pdqidx")
    reopened = PdqIndex.open(tmp_path / "old.pdqidx")
    reopened.add(["ff" * 32], ["b"], variants="tilt_cw_2")
    (match,) = reopened.search("ff" * 32)
    assert (match.id, match.variant) == ("b", "tilt_cw_2")


def test_every_rows_id_at_once_is_each_rows_id(tmp_path: Path) -> None:
    """ids() decodes the stored ids in one pass: the same as id_of row by row, for row
    numbers, stored ids (ASCII or not), ids added after opening, and row numbers that
    became explicit when a named row was added."""
    named = PdqIndex.build(_random(6), ["a0", "b1", "ü2", "日3", "4", "e5"])
    named.save(tmp_path / "named.pdqidx")
    reopened = PdqIndex.open(tmp_path / "named.pdqidx")
    reopened.add(_random(2), ["x", "ÿ"])
    rows = PdqIndex.build(_random(4))
    rows.add(_random(1), ["late"])
    for index in (named, reopened, rows, PdqIndex.build(_random(3)), PdqIndex.empty()):
        assert index.ids() == [index.id_of(r) for r in range(len(index._digests))]
    assert reopened.ids()[-3:] == ["e5", "x", "ÿ"]
    assert reopened.remove(["日3", "ÿ"]) == 2
    reopened.save(tmp_path / "again.pdqidx")
    assert PdqIndex.open(tmp_path / "again.pdqidx").ids() == reopened.ids()
