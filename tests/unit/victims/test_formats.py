"""Victim-identification formats: seizure hash sets and known-media records.

Pure: no database. Sample files are synthetic (``tests/data/victims/README.md``); the
JSON lines come from a real ``alliance hash`` run on a PNG of random pixels.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from alliance.cli.main import main
from alliance.errors import InvalidInput, PayloadTooLarge
from alliance.hashing.record import HashRecord
from alliance.hashing.signal_type import SignalHash
from alliance.victims import formats
from alliance.victims.formats import (
    ICSE_COLUMNS,
    MediaRow,
    MediaType,
    SeizureFormat,
    SeizureHashes,
    detect_seizure_format,
    parse_icse_csv,
    parse_seizure,
    parse_vics_records,
    render_icse_csv,
    render_vics,
)

DATA = Path(__file__).parents[2] / "data" / "victims"


def digest(kind: str, text: str) -> str:
    return hashlib.new(kind, text.encode(), usedforsecurity=False).hexdigest()


def pdq(seed: str) -> str:
    """A made-up PDQ value: 64 hex digits that hash no image."""
    return digest("sha256", f"pdq-{seed}")


def error_of(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(InvalidInput) as info:
        call(*args, **kwargs)
    return info.value.message


def seizure_error(text: str, fmt: SeizureFormat | None = None) -> str:
    return error_of(parse_seizure, text.encode(), fmt)


# --- seizure: the shapes -----------------------------------------------------------------


def test_vics_13_media_sample() -> None:
    items = parse_seizure((DATA / "seizure-vics-1.3-media.json").read_bytes())
    assert items[0] == SeizureHashes(
        line=1,
        name="img001.jpg",
        md5=digest("md5", "seizure-vics13-1"),
        sha1=digest("sha1", "seizure-vics13-1"),
        sha256=None,
        pdq=None,
        pdq_variants=(),
        media_type=None,
        category=1,
        media_id="1",
    )
    # FilePath stands in for a missing FileName; a video suffix gives the media type;
    # the PhotoDNA hash is ignored
    assert (items[1].name, items[1].media_type, items[1].category) == (
        "C:\\Evidence\\clip002.mp4",
        MediaType.video,
        None,
    )
    assert items[1].md5 == digest("md5", "seizure-vics13-2")
    # field names in lower case, category and id as text
    assert (items[2].sha1, items[2].category, items[2].media_id) == (
        digest("sha1", "seizure-vics13-3"),
        0,
        "3",
    )


def test_vics_20_media_sample_with_alternative_hashes() -> None:
    doc = json.loads((DATA / "seizure-vics-2.0-media.json").read_text())
    first, second = parse_seizure((DATA / "seizure-vics-2.0-media.json").read_bytes())
    extra_pdqs = [h["HashValue"] for h in doc["value"][0]["AlternativeHashes"][2:]]
    assert first.sha256 == digest("sha256", "seizure-vics20-10")
    assert (first.pdq, first.pdq_variants) == (extra_pdqs[0], (extra_pdqs[1],))
    assert (first.media_type, first.category, first.name) == (MediaType.image, 3, "DSC_0010.JPG")
    assert (second.line, second.sha256, second.md5, second.media_type) == (
        2,
        digest("sha256", "seizure-vics20-11"),
        None,
        None,
    )


def test_vics_20_cases_sample_numbers_media_across_cases() -> None:
    items = parse_seizure((DATA / "seizure-vics-2.0-cases.json").read_bytes())
    assert [(i.line, i.media_id, i.category) for i in items] == [
        (1, "1", 1),
        (2, "2", 4),
        (3, "3", None),
    ]
    assert items[1].media_type is MediaType.video  # movie.MOV
    assert items[2].pdq is not None and items[2].media_type is MediaType.image


def test_csv_sample() -> None:
    items = parse_seizure((DATA / "seizure.csv").read_bytes())
    assert [(i.line, i.name) for i in items] == [
        (2, "photos/a.jpg"),
        (3, "videos/b.mp4"),
        (5, "docs/c, with comma.png"),
    ]
    assert items[0].sha1 == digest("sha1", "seizure-csv-1")
    assert (items[0].media_type, items[0].category) == (MediaType.image, 1)
    # upper-case hex is lowered; the suffix says video
    assert (items[1].md5, items[1].media_type) == (digest("md5", "seizure-csv-2"), MediaType.video)
    assert (items[2].sha256, items[2].category, items[2].media_type) == (
        digest("sha256", "seizure-csv-3"),
        0,
        None,
    )


def test_csv_separated_by_semicolons_or_tabs() -> None:
    for sep in ";\t":
        text = f"md5{sep}name\n{digest('md5', 'x')}{sep}x.jpg\n"
        (item,) = parse_seizure(text.encode(), SeizureFormat.csv)
        assert (item.md5, item.name) == (digest("md5", "x"), "x.jpg")


@pytest.fixture
def hashed_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """A PNG of random pixels and what ``alliance hash`` printed for it."""
    rng = random.Random(7)
    image = Image.new("RGB", (96, 64))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(96 * 64)]
    )
    path = tmp_path / "synthetic.png"
    image.save(path)
    capsys.readouterr()
    code = main(["hash", "--signals", "pdq,md5,sha1,sha256", "--dihedral", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    return path, out


def test_jsonl_from_a_real_alliance_hash_run(hashed_png: tuple[Path, str]) -> None:
    path, out = hashed_png
    record = json.loads(out)
    assert detect_seizure_format(out.encode()) is SeizureFormat.jsonl
    (item,) = parse_seizure(out.encode())
    data = path.read_bytes()
    assert item.line == 1
    assert item.name == str(path)
    assert item.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert item.sha1 == hashlib.sha1(data, usedforsecurity=False).hexdigest()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.pdq == record["pdq"]
    # the dihedral forms, without the original (which is the PDQ itself)
    assert item.pdq not in item.pdq_variants
    assert set(item.pdq_variants) == set(record["pdq_variants"].values()) - {item.pdq}
    assert (item.media_type, item.category, item.media_id) == (MediaType.image, None, None)


def test_jsonl_lines_keep_their_numbers_and_optional_fields() -> None:
    lines = [
        json.dumps({"path": "a.jpg", "md5": digest("md5", "a")}),
        "",
        json.dumps({"name": "b", "sha1": digest("sha1", "b"), "media_type": "Video"}),
        json.dumps({"path": "c.mp4", "sha256": digest("sha256", "c"), "vpdq": "ignored"}),
        json.dumps({"kind": "photo", "pdq": pdq("d"), "pdq_variants": [pdq("e")], "category": 2}),
        json.dumps({"path": "a.gif", "pdq": pdq("f"), "pdq_frames": [pdq("1"), pdq("2")]}),
    ]
    items = parse_seizure("\n".join(lines).encode(), SeizureFormat.jsonl)
    assert [(i.line, i.name, i.media_type) for i in items] == [
        (1, "a.jpg", None),
        (3, "b", MediaType.video),
        (4, "c.mp4", MediaType.video),
        (5, None, MediaType.image),
        (6, "a.gif", MediaType.image),  # it has a PDQ
    ]
    assert (items[3].pdq_variants, items[3].category) == ((pdq("e"),), 2)
    # An animation's later frames (`alliance hash --all-frames`) are searched too.
    assert items[4].pdq_variants == (pdq("1"), pdq("2"))


def test_the_fast_and_the_careful_path_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lines are checked in blocks; one unusual value sends its block item by item, and
    # the items come out the same, in order.
    monkeypatch.setattr(formats, "_BLOCK_LINES", 3)
    good = [
        {"path": f"{i}.mp4" if i % 2 else None, "md5": digest("md5", str(i)).upper()}
        for i in range(7)
    ]
    plain = parse_seizure("\n".join(map(json.dumps, good)).encode(), SeizureFormat.jsonl)
    assert [i.line for i in plain] == list(range(1, 8))
    unusual = [*good]
    unusual[4] = {"md5": " " + digest("md5", "x") + " ", "media_type": " IMAGE "}
    careful = parse_seizure("\n".join(map(json.dumps, unusual)).encode(), SeizureFormat.jsonl)
    assert careful[:4] == plain[:4] and careful[5:] == plain[5:]
    assert (careful[4].md5, careful[4].media_type) == (digest("md5", "x"), MediaType.image)
    # problems from several blocks and from reading come out in line order
    unusual[1], unusual[6] = {"md5": "bad"}, {"sha1": "bad"}
    lines = [json.dumps(u) for u in unusual]
    lines[3] = "{"
    message = seizure_error("\n".join(lines), SeizureFormat.jsonl)
    assert message.index("line 2:") < message.index("line 4:") < message.index("line 7:")


# --- seizure: detection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("seizure-vics-1.3-media.json", SeizureFormat.vics),
        ("seizure-vics-2.0-media.json", SeizureFormat.vics),
        ("seizure-vics-2.0-cases.json", SeizureFormat.vics),
        ("seizure.csv", SeizureFormat.csv),
    ],
)
def test_detection_of_the_samples(name: str, fmt: SeizureFormat) -> None:
    assert detect_seizure_format((DATA / name).read_bytes(), name) is fmt


def test_detection_by_content() -> None:
    one_line_vics = json.dumps({"@odata.context": "x#Media", "value": []}).encode()
    assert detect_seizure_format(one_line_vics) is SeizureFormat.vics
    # a pretty-printed document whose context is not at the top is still one document
    assert detect_seizure_format(b'{\n "value": [],\n "odata.metadata": "x"}') is (
        SeizureFormat.vics
    )
    assert detect_seizure_format(b'\xef\xbb\xbf{"md5": "x"}\n{"md5": "y"}\n') is (
        SeizureFormat.jsonl
    )
    assert detect_seizure_format(b"md5,name\n", "hashes.txt") is SeizureFormat.csv
    assert "the file is empty" in error_of(detect_seizure_format, b" \n ")
    assert "JSON list" in error_of(detect_seizure_format, b"[1]")
    assert "not JSON" in error_of(detect_seizure_format, b"md5\n", "seizure.json")


# --- seizure: bad input ------------------------------------------------------------------


def test_bad_jsonl_lines_are_all_named() -> None:
    md5 = digest("md5", "ok")
    lines = [
        json.dumps({"path": "ok.jpg", "md5": md5}),
        json.dumps({"md5": "xyz"}),  # bad hex
        json.dumps({"sha1": md5}),  # wrong length
        json.dumps({"path": "nothing.jpg"}),  # no hash
        '{"md5": ',  # bad JSON
        json.dumps({"md5": md5, "category": 7}),
        json.dumps({"path": "bad.txt", "error": "bad.txt: not an image format we can read"}),
        "[1, 2]",
        json.dumps({"md5": 12345}),
        json.dumps({"md5": md5, "media_type": "gif"}),
        json.dumps({"pdq": pdq("a"), "pdq_variants": ["00"]}),
        json.dumps({"pdq": pdq("a"), "pdq_frames": pdq("b")}),
    ]
    message = seizure_error("\n".join(lines), SeizureFormat.jsonl)
    assert message.startswith("JSON lines: 11 errors: line 2: invalid MD5 hash 'xyz'")
    for part in (
        "line 3: invalid SHA1 hash",
        "line 4: no md5, sha1, sha256 or pdq hash",
        "line 5: not a JSON object (Expecting value)",
        "line 6: unknown VICS category 7 (expected 0-4 or null)",
        "line 7: the file could not be hashed: bad.txt: not an image format we can read",
        "line 8: not a JSON object",
        "line 9: md5: expected a string, got int",
        "line 10: media type: unknown media type 'gif' (expected image or video)",
        "line 11: invalid PDQ hash '00'",
        "line 12: pdq_frames: expected a list beside pdq_variants",
    ):
        assert part in message
    assert "line 1:" not in message


def test_many_problems_are_counted_past_the_twentieth() -> None:
    text = "md5\n" + "nothex\n" * 25
    message = seizure_error(text, SeizureFormat.csv)
    assert message.startswith("CSV file: 25 errors: line 2: invalid MD5 hash 'nothex'")
    assert "line 21:" in message and "line 22:" not in message
    assert message.endswith("; and 5 more")


def test_bad_csv_rows_are_named() -> None:
    md5 = digest("md5", "ok")
    text = (
        "name,md5,sha256,category,media_type,error\n"
        f"a,{md5},,1,image,\n"
        f"b,{md5[:-1]},,,,\n"
        f"c,,{digest('sha256', 'c')},five,,\n"
        "d,,,,,\n"
        f"e,{md5},,,sound,\n"
        f"f,{md5},,,,could not read\n"
    )
    message = seizure_error(text)
    assert message.startswith("CSV file: 5 errors: line 3: invalid MD5 hash")
    assert "line 4: unknown VICS category 'five'" in message
    assert "line 5: no md5, sha1, sha256 or pdq hash" in message
    assert "line 6: media type: unknown media type 'sound'" in message
    assert "line 7: the file could not be hashed: could not read" in message


def test_csv_needs_a_header() -> None:
    headerless = f"a.jpg,{digest('md5', 'a')}\n"
    assert seizure_error(headerless, SeizureFormat.csv) == (
        "CSV file: line 1: no header: the first line must name the columns "
        "(at least one of md5, sha1, sha256, pdq)"
    )
    assert "column 'MD5' appears twice" in seizure_error("md5,MD5\n", SeizureFormat.csv)
    assert "no files in the seizure" in seizure_error("name,md5\n\n", SeizureFormat.csv)


def test_bad_vics_media_name_their_path() -> None:
    doc = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
        "value": [
            {"MD5": digest("md5", "a"), "Category": 9},
            {"MD5": "xyz"},
            {"PhotoDNA": "A" * 192},
            {"AlternativeHashes": [{"HashName": "PDQ", "HashValue": "abc"}]},
            {
                "MD5": digest("md5", "b"),
                "AlternativeHashes": [{"HashName": "md5", "HashValue": digest("md5", "c")}],
            },
            "not an object",
        ],
    }
    message = seizure_error(json.dumps(doc))
    assert message.startswith("VICS JSON: 6 errors: value[0]: unknown VICS category 9")
    assert "value[1].MD5: invalid MD5 hash 'xyz'" in message
    assert "value[2]: no md5, sha1, sha256 or pdq hash" in message
    assert "value[3].AlternativeHashes[0].HashValue: invalid PDQ hash 'abc'" in message
    assert "value[4].AlternativeHashes[0].HashValue: a second, different MD5 hash" in message
    assert "value[5]: a media must be an object" in message


def test_vics_documents_that_are_not_vics() -> None:
    assert "malformed JSON at line 1" in seizure_error('{"value": [', SeizureFormat.vics)
    assert "no '@odata.context'" in seizure_error('{"value": []}', SeizureFormat.vics)
    assert "no files in the seizure" in seizure_error('{"@odata.context": "x#Media", "value": []}')


@pytest.mark.parametrize("fmt", list(SeizureFormat))
def test_empty_files_are_refused(fmt: SeizureFormat) -> None:
    assert "the file is empty" in seizure_error("\ufeff \n", fmt)


def test_not_utf8_is_refused() -> None:
    assert "not UTF-8" in error_of(parse_seizure, b"md5\n\xff\n", SeizureFormat.csv)


@pytest.mark.parametrize("fmt", [SeizureFormat.jsonl, SeizureFormat.csv])
def test_too_many_items(fmt: SeizureFormat) -> None:
    hashes = [digest("md5", str(i)) for i in range(4)]
    text = (
        "\n".join(json.dumps({"md5": h}) for h in hashes)
        if fmt is SeizureFormat.jsonl
        else "md5\n" + "\n".join(hashes)
    )
    assert len(parse_seizure(text.encode(), fmt, max_items=4)) == 4
    with pytest.raises(PayloadTooLarge, match="more than 3 items"):
        parse_seizure(text.encode(), fmt, max_items=3)


def test_long_names_are_refused() -> None:
    text = json.dumps({"path": "x" * 501, "md5": digest("md5", "x")})
    assert "line 1: name: longer than 500 characters" in seizure_error(text)


# --- known-media records -----------------------------------------------------------------


def row(seed: str, **changes: object) -> MediaRow:
    values: dict[str, object] = {
        "md5": digest("md5", seed),
        "sha1": digest("sha1", seed),
        "sha256": None,
        "pdq": None,
        "image_id": f"IMG-{seed}",
        "media_type": MediaType.image,
        "category": None,
        "baseline": False,
        "victim_identified": False,
        "offender_identified": False,
        "is_distributed": False,
        "submissions": 1,
        "file_available": False,
        "series_name": None,
    }
    values.update(changes)
    return MediaRow(**values)  # type: ignore[arg-type]


ICSE_ROWS = [
    row("a"),
    row(
        "b",
        sha1=None,
        image_id=None,
        media_type=MediaType.video,
        baseline=True,
        victim_identified=True,
        offender_identified=True,
        is_distributed=True,
        submissions=12,
        file_available=True,
        series_name='Synthetic "series"; one',
    ),
    row("c", md5=None, submissions=0, series_name="Ünïcode series"),
]


def test_icse_round_trip() -> None:
    text = "".join(render_icse_csv(ICSE_ROWS))
    assert parse_icse_csv(text.encode()) == ICSE_ROWS


def test_icse_export_shape() -> None:
    lines = list(render_icse_csv(ICSE_ROWS))
    assert lines[0] == ";".join(ICSE_COLUMNS) + "\n"
    assert lines[0].startswith("MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;")
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    cells = next(csv.reader(io.StringIO(lines[2]), delimiter=";"))
    assert cells == [
        digest("md5", "b"),
        "",
        "",  # PhotoDNA, never held
        "",
        "true",
        "true",
        "true",
        'Synthetic "series"; one',
        "12",
        "true",
        "video",
        "true",
    ]


def test_icse_leaves_out_what_it_cannot_hold() -> None:
    only_new_hashes = row("d", md5=None, sha1=None, sha256=digest("sha256", "d"), pdq=pdq("d"))
    with_sha256 = row("e", sha256=digest("sha256", "e"), pdq=pdq("e"), category=1)
    text = "".join(render_icse_csv([only_new_hashes, with_sha256]))
    assert digest("sha256", "e") not in text and pdq("e") not in text
    assert parse_icse_csv(text.encode()) == [row("e")]
    assert list(render_icse_csv([])) == [";".join(ICSE_COLUMNS) + "\n"]


def test_icse_sample_as_iped_reads_it() -> None:
    first, second, third = parse_icse_csv((DATA / "icse-iped.csv").read_bytes())
    assert first == row(
        "icse-1",
        image_id="IMG-0001",
        is_distributed=True,
        series_name="Synthetic series one",
        submissions=3,
        file_available=True,
    )
    assert second == row(
        "icse-2",
        sha1=None,
        image_id="IMG-0002",
        victim_identified=True,
        offender_identified=True,
        series_name="Series; with semicolon",
        media_type=MediaType.video,
        baseline=True,
    )
    # empty cells: no image id, image, one submission, flags false
    assert third == row("icse-3", md5=None, image_id=None, baseline=True)


def test_icse_bad_lines_are_named() -> None:
    header = ";".join(ICSE_COLUMNS)
    md5 = digest("md5", "x")
    text = "\n".join(
        [
            header,
            f"{md5};;;;maybe;;;;;;;",
            f"{md5};;;;;;;;-1;;;",
            f"{md5};;;;;;;;;;audio;",
            ";;;IMG-9;;;;;;;;",
            f"{md5[:30]};;;;;;;;;;;",
        ]
    )
    message = error_of(parse_icse_csv, text.encode())
    assert message.startswith("ICSE CSV: 5 errors: line 2: Is distributed: expected true/false")
    assert "line 3: Number of submissions: expected a whole number, got '-1'" in message
    assert "line 4: Media Type: unknown media type 'audio'" in message
    assert "line 5: no MD5, SHA1, SHA256 or PDQ hash" in message
    assert "line 6: invalid MD5 hash" in message


def test_icse_needs_its_header() -> None:
    headerless = f"{digest('md5', 'x')};{digest('sha1', 'x')};;;;;;;;;;\n"
    assert "line 1: no header" in error_of(parse_icse_csv, headerless.encode())
    assert "no media records" in error_of(parse_icse_csv, (";".join(ICSE_COLUMNS) + "\n").encode())
    assert "the file is empty" in error_of(parse_icse_csv, b"")


VICS_ROWS = [
    *ICSE_ROWS,
    row("d", md5=None, sha1=None, sha256=digest("sha256", "d"), pdq=pdq("d"), category=0),
    row("e", image_id="0042", category=4, sha256=digest("sha256", "e")),
    row("f", image_id="17", category=2, baseline=True, media_type=MediaType.video),
]


def test_vics_round_trip() -> None:
    text = "".join(render_vics(VICS_ROWS))
    assert parse_vics_records(text.encode()) == VICS_ROWS
    # and as a seizure: the same hashes, the media ids, categories and types
    items = parse_seizure(text.encode())
    assert [(i.md5, i.sha256, i.pdq, i.media_id, i.category) for i in items] == [
        (r.md5, r.sha256, r.pdq, r.image_id, r.category) for r in VICS_ROWS
    ]


def test_vics_export_shape() -> None:
    text = "".join(render_vics(VICS_ROWS))
    assert text.startswith(
        '{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/'
        '2.0.xml/Default/$metadata#Media",\n"value": ['
    )
    doc = json.loads(text)
    assert list(doc) == ["@odata.context", "value"]  # IPED reads them in this order
    b, d, e, f = (doc["value"][i] for i in (1, 3, 4, 5))
    assert b["MD5"] == digest("md5", "b").upper() and "SHA1" not in b and "MediaID" not in b
    assert (b["VictimIdentified"], b["OffenderIdentified"], b["IsDistributed"]) == (True,) * 3
    assert (b["Series"], b["Tags"], b["Category"]) == ('Synthetic "series"; one', "Baseline", None)
    assert d["AlternativeHashes"] == [
        {"HashName": "SHA256", "HashValue": digest("sha256", "d")},
        {"HashName": "PDQ", "HashValue": pdq("d")},
    ]
    assert (e["MediaID"], f["MediaID"], f["MediaType"]) == ("0042", 17, "video")
    assert "Tags" not in e and "Series" not in e


def test_vics_export_streams_in_chunks() -> None:
    rows = [row(str(i)) for i in range(2500)]
    chunks = list(render_vics(rows))
    assert len(chunks) == 4  # the opening, two full chunks, the rest with the closing
    assert len(json.loads("".join(chunks))["value"]) == 2500
    assert json.loads("".join(render_vics([])))["value"] == []


def test_vics_records_from_other_tools() -> None:
    doc = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
        "value": [
            {
                "CaseID": "c-1",
                "Media": [
                    {
                        "mediaid": 5,
                        "category": "1",
                        "md5": digest("md5", "g").upper(),
                        "VictimIdentified": "True",
                        "isdistributed": "false",
                        "Tags": "iwf:A|baseline",
                        "Series": "Made-up series",
                        "MediaFiles": [{"FileName": "clip.avi"}],
                        "PhotoDNA": "A" * 192,
                    }
                ],
            }
        ],
    }
    (record,) = parse_vics_records(json.dumps(doc).encode())
    assert record == row(
        "g",
        sha1=None,
        image_id="5",
        category=1,
        victim_identified=True,
        baseline=True,
        series_name="Made-up series",
        media_type=MediaType.video,
    )


def test_bad_vics_records_are_named() -> None:
    doc = {
        "odata.metadata": "x/1.3.xml#Media",
        "value": [
            {"MD5": digest("md5", "a"), "VictimIdentified": "perhaps"},
            {"MD5": digest("md5", "b"), "NumberOfSubmissions": -2},
            {"Category": 1},
            {"MD5": digest("md5", "c"), "Series": "x" * 121},
        ],
    }
    message = error_of(parse_vics_records, json.dumps(doc).encode())
    assert message.startswith("VICS JSON: 4 errors: value[0]: VictimIdentified: expected true")
    assert "value[1]: NumberOfSubmissions: expected a whole number, got -2" in message
    assert "value[2]: no MD5, SHA1, SHA256 or PDQ hash" in message
    assert "value[3]: Series: longer than 120 characters" in message
    empty = '{"odata.metadata": "x#Media", "value": []}'
    assert "no media in the file" in error_of(parse_vics_records, empty.encode())


def test_a_large_parse_leaves_the_cycle_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector is process-wide: a parse in one server thread must not pause it for
    the others (it once did, to save a few seconds a million lines)."""

    def refuse() -> None:
        raise AssertionError("a seizure parse touched the process-wide cycle collector")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "freeze", refuse)
    lines = [json.dumps({"md5": digest("md5", str(n))}) for n in range(formats._BLOCK_LINES + 1)]
    items = parse_seizure("\n".join(lines).encode(), SeizureFormat.jsonl)
    assert len(items) == formats._BLOCK_LINES + 1
    assert gc.isenabled()


def test_every_field_of_the_hash_record_reaches_the_seizure_item() -> None:
    """The seizure reader reads ``alliance hash`` lines a column at a time, not through
    HashRecord.from_json (three times slower a line): this pins the two to one format."""
    record = HashRecord(
        "a.gif",
        {
            "pdq": SignalHash(pdq("a"), 80, variants={"rotate90": pdq("b")}, frames=(pdq("c"),)),
            "md5": SignalHash(digest("md5", "a")),
            "sha1": SignalHash(digest("sha1", "a")),
            "sha256": SignalHash(digest("sha256", "a")),
        },
    )
    failed = HashRecord("b.jpg", error="b.jpg: not an image")
    (item,) = parse_seizure(record.to_json().encode(), SeizureFormat.jsonl)
    assert (item.name, item.pdq, item.md5, item.sha1, item.sha256) == (
        record.path,
        record.value("pdq"),
        record.value("md5"),
        record.value("sha1"),
        record.value("sha256"),
    )
    assert item.pdq_variants == (pdq("b"), pdq("c"))
    both = f"{record.to_json()}\n{failed.to_json()}\n".encode()
    with pytest.raises(InvalidInput, match="line 2: the file could not be hashed"):
        parse_seizure(both, SeizureFormat.jsonl)
