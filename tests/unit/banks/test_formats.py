"""Bank interchange formats: samples parse, exports re-import losslessly, bad input is refused.

Pure: no database. Sample files are synthetic (``tests/data/formats/README.md``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.banks import formats
from alliance.banks.formats import te_signals
from alliance.banks.formats.tags import classification_from_tags, classification_tags
from alliance.banks.schemas import Classification, EntryIn, EntryOut
from alliance.errors import InvalidInput, PayloadTooLarge

DATA = Path(__file__).parents[2] / "data" / "formats"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vpdq(frames: list[int]) -> str:
    return "\n".join(
        f"{n},{sha256(f'frame-{i}')},{80 + i},{i * 1.5:.3f}" for i, n in enumerate(frames)
    )


def entries() -> list[EntryIn]:
    """One entry of every signal type, with every kind of classification and a note."""
    return [
        EntryIn(
            signal_type="pdq",
            signal=sha256("a"),
            classification=Classification(baseline=True, iwf="A", ncmec="A1", vics=1),
            note="series 7, image 3",
        ),
        EntryIn(signal_type="md5", signal=md5("b"), classification=Classification(vics=2)),
        EntryIn(
            signal_type="sha1",
            signal=sha1("c"),
            classification=Classification(iwf="C", ncmec="B2", vics=0),
            note='has, a comma and "quotes"',
        ),
        EntryIn(signal_type="sha256", signal=sha256("d"), classification=Classification(iwf="B")),
        EntryIn(
            signal_type="vpdq",
            signal=vpdq([0, 1, 2]),
            classification=Classification(ncmec="A2", vics=4),
        ),
    ]


def entry_out(entry: EntryIn, entry_id: int, *, removed: bool = False) -> EntryOut:
    now = datetime(2024, 1, 2, tzinfo=UTC)
    return EntryOut(
        id=entry_id,
        signal_type=entry.signal_type,
        signal=entry.signal,
        classification=entry.classification,
        contributor="hotline-nl",
        votes=3,
        verified=True,
        confirmed=0,
        disputed=0,
        flagged=False,
        note=entry.note,
        added_at=now,
        removed_at=now if removed else None,
        seq=entry_id,
    )


def parse_text(fmt: str, text: str, **kwargs: int) -> formats.ImportBatch:
    return formats.parse(fmt, text.encode(), **kwargs)


def error_of(fmt: str, text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidInput) as caught:
        formats.parse(fmt, data)
    return caught.value.message


# --- the registry ---------------------------------------------------------------------


def test_registry_names_what_each_format_supports() -> None:
    assert {n for n, f in formats.FORMATS.items() if f.can_import} == {
        "vics",
        "csv",
        "txt",
        "ncmec",
    }
    assert {n for n, f in formats.FORMATS.items() if f.can_export} == {"vics", "csv", "txt"}


def test_unknown_format_and_export_only_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown bank file format 'xls'"):
        formats.parse("xls", b"x")
    with pytest.raises(InvalidInput, match="cannot be exported"):
        formats.render("ncmec", entries())


# --- round trips ----------------------------------------------------------------------


def test_csv_round_trip_is_lossless() -> None:
    assert formats.parse("csv", formats.render("csv", entries())).entries == entries()


def test_vics_round_trip_keeps_everything_but_the_note() -> None:
    expected = [e.model_copy(update={"note": None}) for e in entries()]
    assert formats.parse("vics", formats.render("vics", entries())).entries == expected


def test_txt_round_trip_keeps_the_signals() -> None:
    expected = [EntryIn(signal_type=e.signal_type, signal=e.signal) for e in entries()]
    assert formats.parse("txt", formats.render("txt", entries())).entries == expected


@pytest.mark.parametrize("fmt", ["csv", "vics", "txt"])
def test_export_of_bank_entries_leaves_out_removed_ones(fmt: str) -> None:
    stored = [entry_out(e, i) for i, e in enumerate(entries(), start=1)]
    stored.append(entry_out(EntryIn(signal_type="md5", signal=md5("gone")), 99, removed=True))
    batch = formats.parse(fmt, formats.render(fmt, stored))
    assert [e.signal for e in batch.entries] == [e.signal for e in entries()]


def test_vics_export_shape() -> None:
    doc = json.loads(
        formats.render("vics", [entry_out(e, 10 + i) for i, e in enumerate(entries())])
    )
    assert doc["@odata.context"].endswith("/2.0.xml/Default/$metadata#Media")
    first, md5_media = doc["value"][0], doc["value"][1]
    assert first["AlternativeHashes"] == [{"HashName": "PDQ", "HashValue": sha256("a")}]
    assert first["Tags"] == "baseline|iwf:A|ncmec:A1"
    assert first["Category"] == 1 and first["MediaID"] == 10
    assert md5_media == {"MediaID": 11, "Category": 2, "MD5": md5("b").upper()}


def test_exports_use_threatexchange_names_and_vpdq_strings() -> None:
    lines = formats.render("txt", entries()).decode().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "pdq",
        "video_md5",
        "sha1",
        "video_sha256",
        "vpdq",
    ]
    frames = json.loads(lines[-1].split(" ", 1)[1])
    assert frames[0] == f"{sha256('frame-0')},80,0.000"


def test_threatexchange_accepts_our_vpdq_and_md5_strings() -> None:
    vpdq_signal = pytest.importorskip("threatexchange.extensions.vpdq.vpdq").VPDQSignal
    md5_signal = pytest.importorskip("threatexchange.signal_type.md5").VideoMD5Signal
    lines = formats.render("txt", entries()).decode().splitlines()
    vpdq_signal.validate_signal_str(lines[-1].split(" ", 1)[1])
    md5_signal.validate_signal_str(lines[1].split(" ", 1)[1])


def test_vpdq_frame_numbers_are_renumbered_through_threatexchange_strings() -> None:
    original = EntryIn(signal_type="vpdq", signal=vpdq([0, 30, 60]))
    [back] = formats.parse("txt", formats.render("txt", [original])).entries
    assert back.signal == vpdq([0, 1, 2])


def test_render_normalises_and_validates_signals() -> None:
    upper = EntryIn(signal_type="md5", signal=md5("x").upper())
    assert formats.render("txt", [upper]) == f"video_md5 {md5('x')}\n".encode()
    with pytest.raises(InvalidInput, match="entry 1: invalid MD5"):
        formats.render("csv", [EntryIn(signal_type="md5", signal="abc")])


def test_empty_export_is_a_valid_document() -> None:
    assert formats.render("csv", []) == b"signal_type,signal_str,collab,category,tags,note\n"
    assert json.loads(formats.render("vics", []))["value"] == []
    assert formats.render("txt", []) == b""


# --- the synthetic samples ------------------------------------------------------------


def test_vics_13_media_sample() -> None:
    batch = formats.parse("vics", (DATA / "vics-1.3-media.json").read_bytes())
    assert [(e.signal_type, e.signal, e.classification.vics) for e in batch.entries] == [
        ("md5", md5("sample-1"), 1),
        ("sha1", sha1("sample-1"), 1),
        ("md5", md5("sample-2"), 2),
        ("sha1", sha1("sample-3"), 0),
    ]
    assert batch.skipped == ["1 × PhotoDNA hash (not supported), first at value[1].PhotoDNA"]


def test_vics_20_media_sample_with_alternative_hashes_and_tags() -> None:
    batch = formats.parse("vics", (DATA / "vics-2.0-media.json").read_bytes())
    pdq_entry = batch.entries[2]
    assert (pdq_entry.signal_type, pdq_entry.signal) == ("pdq", sha256("pdq:sample-10"))
    assert pdq_entry.classification == Classification(baseline=True, iwf="A", vics=3)
    assert batch.entries[3].classification == Classification()
    assert len(batch.skipped) == 2
    assert batch.skipped[0].startswith("2 × PhotoDNA hash")
    assert "media with no MD5" in batch.skipped[1] and batch.skipped[1].endswith("value[2]")


def test_vics_20_cases_sample_drops_repeats_across_cases() -> None:
    batch = formats.parse("vics", (DATA / "vics-2.0-cases.json").read_bytes())
    assert [(e.signal, e.classification.vics) for e in batch.entries] == [
        (md5("case-1-a"), 1),
        (sha1("case-1-b"), 4),
    ]


def test_csv_sample() -> None:
    batch = formats.parse("csv", (DATA / "threatexchange-dataset.csv").read_bytes())
    assert [(e.signal_type, e.classification) for e in batch.entries] == [
        ("pdq", Classification(baseline=True, iwf="A", ncmec="A1", vics=1)),
        ("md5", Classification()),
        ("sha256", Classification(iwf="C")),
        ("vpdq", Classification(vics=2)),
    ]
    assert batch.entries[3].signal.splitlines()[1].startswith(f"1,{sha256('pdq:v1')},91,1.000")
    assert batch.skipped == [
        "1 × url signal (not held in hash banks), first at line 6",
        "1 × NEGATIVE_CLASS row (a known false positive, not imported), first at line 7",
    ]


def test_txt_sample() -> None:
    batch = formats.parse("txt", (DATA / "signals.txt").read_bytes())
    assert [e.signal_type for e in batch.entries] == ["pdq", "md5", "md5", "sha1", "vpdq"]
    assert batch.entries[2].signal == md5("txt-3")  # upper case normalised
    assert batch.skipped == ["1 × raw_text signal (not held in hash banks), first at line 7"]


def test_ncmec_sample_entries_deletions_and_skips() -> None:
    batch = formats.parse("ncmec", (DATA / "ncmec-entries.xml").read_bytes())
    assert [(e.signal_type, e.signal, e.classification.ncmec, e.note) for e in batch.entries] == [
        ("md5", md5("ncmec-image1"), "A1", "ncmec:42/image/image1"),
        ("sha1", sha1("ncmec-image1"), "A1", "ncmec:42/image/image1"),
        ("pdq", sha256("pdq:ncmec-image1"), "A1", "ncmec:42/image/image1"),
        ("md5", md5("ncmec-image2"), "B2", "ncmec:43/image/image2"),
        ("md5", md5("ncmec-video1"), None, "ncmec:42/video/video1"),
    ]
    # image3 was added, then deleted in the same file; video4's tombstone carried its md5
    assert batch.deletions == [("md5", md5("ncmec-image3")), ("md5", md5("ncmec-video4"))]
    assert batch.deleted_refs == [
        "ncmec:43/image/image4",
        "ncmec:42/image/image3",
        "ncmec:42/video/video4",
    ]
    assert [s.split(",")[0] for s in batch.skipped] == [
        "1 × pdna fingerprint (not supported)",
        "1 × tmk-pdqf fingerprint (not supported)",
        "1 × videntifier fingerprint (not supported)",
    ]


NCMEC_HEAD = (
    '<?xml version="1.0"?><queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">'
)


def ncmec_image(entry_id: str, fingerprints: str, classification: str = "A1") -> str:
    return (
        f'<image><member id="7">M</member><id>{entry_id}</id>'
        f"<classification>{classification}</classification>"
        f"<fingerprints>{fingerprints}</fingerprints></image>"
    )


def test_ncmec_later_record_updates_and_re_adds() -> None:
    xml = (
        NCMEC_HEAD
        + "<images>"
        + ncmec_image("x", f"<md5>{md5('x')}</md5>", "A1")
        + '<deletedImage><member id="7"/><id>x</id></deletedImage>'
        + ncmec_image("x", f"<md5>{md5('x')}</md5>", "B1")
        + "</images></queryResult>"
    )
    batch = parse_text("ncmec", xml)
    assert [(e.signal, e.classification.ncmec) for e in batch.entries] == [(md5("x"), "B1")]
    assert batch.deletions == [] and batch.deleted_refs == []


def test_ncmec_without_namespace_and_only_tombstones() -> None:
    xml = (
        '<queryResult><videos><deletedVideo><member id="1"/><id>v</id></deletedVideo>'
        "</videos></queryResult>"
    )
    batch = parse_text("ncmec", xml)
    assert batch.entries == [] and batch.deleted_refs == ["ncmec:1/video/v"]


# --- header, columns, tags ------------------------------------------------------------


def test_csv_without_header_and_with_reordered_header() -> None:
    plain = parse_text("csv", f"pdq,{sha256('a')}\nvideo_md5,{md5('b')},c,POSITIVE_CLASS,vics:3\n")
    assert [e.classification.vics for e in plain.entries] == [None, 3]
    reordered = parse_text("csv", f"signal_type,tags,signal_str\nmd5,iwf:b,{md5('c')}\n")
    assert reordered.entries[0].classification == Classification(iwf="B")


def test_csv_quoted_vpdq_in_our_text_form() -> None:
    value = vpdq([0, 30])
    batch = parse_text("csv", f'vpdq,"{value}"\n')
    assert batch.entries[0].signal == value


def test_tags_mapping_round_trips() -> None:
    c = Classification(baseline=True, iwf="B", ncmec="A2", vics=4)
    assert classification_tags(c) == ["baseline", "iwf:B", "ncmec:A2", "vics:4"]
    assert classification_from_tags([*classification_tags(c), "csam", "other:thing"]) == c
    with pytest.raises(InvalidInput, match="two iwf categories"):
        classification_from_tags(["iwf:A", "iwf:B"])


def test_threatexchange_names() -> None:
    assert te_signals.our_name("VIDEO_MD5") == "md5"
    assert te_signals.our_name("url") is None
    with pytest.raises(InvalidInput, match="unknown signal type 'tmk'"):
        te_signals.our_name("tmk")


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["vics", "csv", "txt", "ncmec"])
@pytest.mark.parametrize("data", [b"", b"  \n\n"])
def test_empty_input_is_refused(fmt: str, data: bytes) -> None:
    assert "empty" in error_of(fmt, data)


@pytest.mark.parametrize("fmt", ["vics", "csv", "txt"])
def test_non_utf8_input_is_refused(fmt: str) -> None:
    assert "not UTF-8 text (byte 0xff at offset 4)" in error_of(fmt, b"pdq \xff\xfe")


def test_txt_wrong_hash_length_names_the_line() -> None:
    text = f"# comment\npdq {sha256('a')}\n\npdq abc\n"
    assert error_of("txt", text) == (
        "text signal list: line 4: invalid PDQ hash 'abc': 64 hex digits expected, got 3 characters"
    )


def test_txt_unknown_signal_type_and_missing_value() -> None:
    message = error_of("txt", f"tmk {sha256('a')}\npdq\n")
    assert message.startswith("text signal list: 2 errors: line 1: unknown signal type 'tmk'")
    assert "line 2: expected '<signal_type> <signal>'" in message


def test_only_comments_is_refused() -> None:
    assert "no signals" in error_of("txt", "# nothing here\n")


def test_many_errors_report_the_first_five() -> None:
    text = "".join(f"md5 bad{i}\n" for i in range(8))
    message = error_of("txt", text)
    assert message.startswith("text signal list: 8 errors: line 1: invalid MD5")
    assert "line 5:" in message and "line 6:" not in message
    assert message.endswith("; and 3 more")


def test_csv_errors_name_lines_including_multiline_records() -> None:
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f'vpdq,"{vpdq([0, 1])}",c,POSITIVE_CLASS,\n'
        f"md5,{md5('a')},c,MAYBE,\n"
        f"md5,{md5('b')},c,,iwf:D\n"
    )
    message = error_of("csv", text)
    assert "line 4: unknown category 'MAYBE'" in message
    assert "line 5: unknown iwf category 'D'" in message


def test_csv_header_without_signal_column() -> None:
    assert "no signal_str column" in error_of("csv", "signal_type,hash\npdq,x\n")


def test_conflicting_duplicate_is_refused() -> None:
    text = f"md5,{md5('a')},,,vics:1\nmd5,{md5('a').upper()},,,vics:2\n"
    assert "line 2: md5" in error_of("csv", text)
    # an exact repeat is simply dropped
    assert len(parse_text("csv", f"md5,{md5('a')}\nmd5,{md5('a')}\n").entries) == 1


def test_vics_malformed_json_names_the_position() -> None:
    assert error_of("vics", '{"value": [\n  {"MD5": }\n]}') == (
        "VICS JSON: malformed JSON at line 2 column 11: Expecting value"
    )


def test_vics_documents_that_are_not_vics() -> None:
    assert "top level must be an object" in error_of("vics", "[1, 2]")
    assert "no '@odata.context'" in error_of("vics", '{"value": []}')
    assert "unsupported VICS data model" in error_of(
        "vics", '{"@odata.context": "http://example.test/$metadata#Series", "value": []}'
    )


def vics_doc(*media: object) -> str:
    return json.dumps({"odata.metadata": "x/1.3.xml#Media", "value": list(media)})


def test_vics_bad_records_name_their_path() -> None:
    message = error_of(
        "vics",
        vics_doc(
            {"MD5": md5("a"), "Category": 1},
            {"MD5": "xyz", "Category": 1},
            {"SHA1": sha1("c"), "Category": 7},
            {"SHA1": 12345},
            "not an object",
        ),
    )
    assert "value[1].MD5: invalid MD5 hash 'xyz'" in message
    assert "value[2]: unknown VICS category 7" in message
    assert "value[3].SHA1: expected a string, got int" in message
    assert "value[4]: a media must be an object" in message


def test_vics_cases_need_a_media_list() -> None:
    doc = {"@odata.context": "x/2.0.xml/Default/$metadata#Cases", "value": [{"Media": 3}]}
    assert "value[0]: a case must be an object with a 'Media' list" in error_of(
        "vics", json.dumps(doc)
    )


def test_vics_category_as_text_is_accepted() -> None:
    batch = parse_text("vics", vics_doc({"md5": md5("a"), "category": "2"}))
    assert batch.entries[0].classification.vics == 2


def test_ncmec_refuses_doctype_and_entity_bomb() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<queryResult><images>&lol2;</images></queryResult>"
    )
    assert "refused: the document has a DOCTYPE" in error_of("ncmec", bomb)
    external = '<?xml version="1.0"?><!DOCTYPE q SYSTEM "http://example.invalid/x.dtd"><q/>'
    assert "refused" in error_of("ncmec", external)


def test_ncmec_malformed_xml_names_the_position() -> None:
    assert error_of("ncmec", "<queryResult>\n<images></image>") == (
        "NCMEC XML: malformed XML at line 2 column 10"
    )


def test_ncmec_bad_records_name_their_element() -> None:
    xml = (
        NCMEC_HEAD
        + "<images>"
        + ncmec_image("ok", f"<md5>{md5('a')}</md5>")
        + ncmec_image("bad-hash", "<md5>123</md5>")
        + ncmec_image("bad-class", f"<md5>{md5('b')}</md5>", "C9")
        + "<image><id>no-member</id></image>"
        + "</images></queryResult>"
    )
    message = error_of("ncmec", xml)
    assert "images/image[2] (id 'bad-hash')/md5: invalid MD5 hash '123'" in message
    assert "images/image[3] (id 'bad-class'): unknown NCMEC classification 'C9'" in message
    assert "images/image[4]: an entry needs an <id> and a <member id=...>" in message


def test_ncmec_wrong_document() -> None:
    assert "expected a <queryResult> document, got <status>" in error_of("ncmec", "<status/>")
    assert "no image or video entries" in error_of("ncmec", "<queryResult/>")


@pytest.mark.parametrize("fmt", ["csv", "txt", "vics"])
def test_more_entries_than_the_limit_is_refused(fmt: str) -> None:
    many = [EntryIn(signal_type="md5", signal=md5(str(i))) for i in range(4)]
    with pytest.raises(PayloadTooLarge, match="more than 3 entries"):
        formats.parse(fmt, formats.render(fmt, many), max_entries=3)
    assert len(formats.parse(fmt, formats.render(fmt, many), max_entries=4).entries) == 4


def test_ncmec_limit() -> None:
    xml = (
        NCMEC_HEAD + "<images>" + ncmec_image("a", f"<md5>{md5('a')}</md5><sha1>{sha1('a')}</sha1>")
    )
    with pytest.raises(PayloadTooLarge):
        parse_text("ncmec", xml + "</images></queryResult>", max_entries=1)


def test_overlong_note_is_refused_with_its_line() -> None:
    text = f"md5,{md5('a')},,,,{'n' * 1001}\n"
    assert "line 1: note: String should have at most 1000 characters" in error_of("csv", text)
