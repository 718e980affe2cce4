"""Victim-identification interchange formats: seizure hash sets in, known-media records in and out.

Pure: no database, no web. Parsing is all-or-nothing like the bank formats
(:mod:`alliance.banks.formats`): the whole input is read, and either every item comes back
or one :class:`~alliance.errors.InvalidInput` names the first :data:`MAX_REPORTED_PROBLEMS`
problems by line (``line 7``) or JSON path (``value[3].MD5``) and counts the rest.

**Seizure hash sets** (:func:`parse_seizure`), one :class:`SeizureHashes` per file:

``vics``
    Project VIC VICS JSON 1.3 / 2.0, ``#Media`` or ``#Cases``, as Griffeye-type tools export
    it. Field names are matched case-insensitively (as IPED does). ``MD5``, ``SHA1`` and
    ``AlternativeHashes`` items named MD5, SHA1, SHA256 or PDQ give the hashes (a second
    PDQ goes to ``pdq_variants``); ``Category`` (0-4 or null), ``MediaID`` and the first
    ``MediaFiles`` item's ``FileName`` (or ``FilePath``) are kept. PhotoDNA and other
    hash names are ignored: we do not hold them. ``line`` is the media's 1-based position
    in the document.
``jsonl``
    What ``alliance hash`` prints (the JSON line of
    :class:`~alliance.hashing.record.HashRecord`, read here a column at a time for speed
    rather than a record a line): one JSON object per line with ``path``, ``md5``,
    ``sha1``, ``sha256``, ``pdq``, ``pdq_variants`` (name -> hex, or a list) and
    optionally ``media_type`` (or ``kind``) and ``category``; other keys (``pdq_quality``,
    ``vpdq``...) are ignored. A line with ``error`` (a file that could not be hashed) is
    refused: the set would be incomplete.
``csv``
    A header, then one file a row. Columns by name, case-insensitive, in any order:
    ``name`` (or ``path``, ``file``), ``md5``, ``sha1``, ``sha256``, ``pdq``,
    ``media_type``, ``category``; others are ignored, a non-empty ``error`` cell (the CSV
    of ``alliance hash``) is refused. Comma, semicolon or tab separated (from the header).

Every item needs at least one of MD5, SHA-1, SHA-256, PDQ. Without an explicit media type,
a video file suffix gives ``video`` and a PDQ hash ``image``. A JSON lines or CSV file is
checked a column at a time (:func:`_build_fast`), item by item only when something is
wrong: a million lines take seconds, most of it ``json.loads`` and ``csv.reader``.

**Known-media records** (:class:`MediaRow`), for exchange with other databases:

ICSE CSV (:func:`render_icse_csv`, :func:`parse_icse_csv`)
    The INTERPOL ICSE export that IPED's ``HashDBTool`` imports: ``;``-separated, RFC 4180
    quoting, header :data:`ICSE_COLUMNS` (IPED matches names case-insensitively). Flags
    are written ``true``/``false``; read as IPED does (``y``/``yes``/``t``/``true`` and
    ``n``/``no``/``f``/``false``, any case) plus ``1``/``0``. PhotoDNA is written empty
    and ignored on import. ICSE has no SHA-256, PDQ or category: export leaves them out
    and a record with neither MD5 nor SHA-1 is not written (an ICSE row needs one).
VICS 2.0 ``#Media`` JSON (:func:`render_vics`, :func:`parse_vics_records`)
    ``MediaID``, ``Category``, ``MD5``/``SHA1`` (upper case, as VICS files have them),
    ``VictimIdentified``, ``OffenderIdentified``, ``IsDistributed``, ``Series``, ``Tags``
    (``Baseline``), SHA-256 and PDQ as ``AlternativeHashes``. Three fields VICS has no
    name for are written as extensions so that an export re-imports losslessly:
    ``MediaType`` (``image``/``video``), ``NumberOfSubmissions``, ``FileAvailable``
    (readers such as IPED ignore fields they do not know). The context line comes first
    and ``value`` second: IPED's reader requires that order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any, cast

from alliance.banks.formats import vics
from alliance.banks.formats.base import Problems, csv_rows, decode_text, normalise
from alliance.errors import InvalidInput, PayloadTooLarge
from alliance.hashing.crypto import HEX_LENGTHS
from alliance.hashing.pdq import HEX_LENGTH as PDQ_HEX_LENGTH
from alliance.hashing.signals import VIDEO_SUFFIXES

#: How many problems one error message names before "and N more".
MAX_REPORTED_PROBLEMS = 20
#: Default limit on the items of one seizure or records file.
DEFAULT_MAX_ITEMS = 2_000_000
#: Longest text kept, as the database columns hold them.
NAME_MAX_LENGTH = 500
IMAGE_ID_MAX_LENGTH = 64
SERIES_NAME_MAX_LENGTH = 120

ICSE_COLUMNS = (
    "MD5",
    "SHA1",
    "PhotoDNA",
    "Image ID",
    "Is distributed",
    "Victim identified",
    "Offender identified",
    "Series name",
    "Number of submissions",
    "File Available",
    "Media Type",
    "Baseline",
)

_HASHES = ("md5", "sha1", "sha256", "pdq")
_HEX_LENGTHS = {**HEX_LENGTHS, "pdq": PDQ_HEX_LENGTH}
_HEX_DIGITS = b"0123456789abcdef"
_CATEGORIES: dict[object, int] = {**{c: c for c in range(5)}, **{str(c): c for c in range(5)}}
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})
_VIDEO_EXTENSIONS = frozenset(suffix.lstrip(".") for suffix in VIDEO_SUFFIXES)
_CHUNK_ROWS = 1000  # media objects per chunk of a streamed VICS export
_BLOCK_LINES = 10_000  # lines checked together (see _build)


class MediaType(StrEnum):
    image = "image"
    video = "video"


_MEDIA_TYPES: dict[object, MediaType] = {"image": MediaType.image, "video": MediaType.video}


class SeizureFormat(StrEnum):
    vics = "vics"
    jsonl = "jsonl"
    csv = "csv"


@dataclass(frozen=True, slots=True)
class SeizureHashes:
    """The hashes of one file of a seizure, as the agency submitted them."""

    line: int  # 1-based line (jsonl, csv) or position of the media (vics)
    name: str | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    pdq_variants: tuple[str, ...]  # further PDQ hashes of the same file
    media_type: MediaType | None
    category: int | None  # VICS 0-4
    media_id: str | None  # VICS MediaID


@dataclass(frozen=True, slots=True)
class MediaRow:
    """One known-media record as the interchange formats carry it."""

    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    image_id: str | None  # ICSE "Image ID" / VICS MediaID
    media_type: MediaType
    category: int | None  # VICS 0-4
    baseline: bool
    victim_identified: bool
    offender_identified: bool
    is_distributed: bool
    submissions: int
    file_available: bool
    series_name: str | None
    file_name: str | None = None  # VICS MediaFiles[0].FileName (a seizure's triage export)
    verdict: str | None = None  # a triage verdict, written as the TriageVerdict extension


# --- seizure hash sets -------------------------------------------------------------------


def detect_seizure_format(data: bytes, filename: str | None = None) -> SeizureFormat:
    """The format of a seizure file, from its content.

    A file starting with ``{`` is VICS when it names an OData context near the top or its
    first line is not a whole JSON object, JSON lines otherwise; anything else is CSV. The
    file name only sharpens the error when a ``.json`` file holds no JSON.
    """
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise InvalidInput("seizure file: the file is empty")
    if head.startswith(b"{"):
        lowered = head.lower()
        if b'"odata.metadata"' in lowered or b'"@odata.context"' in lowered:
            return SeizureFormat.vics
        try:
            first = json.loads(head.split(b"\n", 1)[0])
        except ValueError:
            return SeizureFormat.vics  # a multi-line JSON document
        return SeizureFormat.jsonl if isinstance(first, dict) else SeizureFormat.vics
    if head.startswith(b"["):
        raise InvalidInput(
            "seizure file: a JSON list is not a seizure format "
            "(expected VICS JSON, JSON lines or CSV)"
        )
    if filename is not None and filename.lower().endswith((".json", ".jsonl", ".ndjson")):
        raise InvalidInput(f"{filename}: not JSON (expected VICS JSON or JSON lines)")
    return SeizureFormat.csv


def parse_seizure(
    data: bytes, fmt: SeizureFormat | None = None, *, max_items: int = DEFAULT_MAX_ITEMS
) -> list[SeizureHashes]:
    """Every file of a seizure hash set, or one InvalidInput naming what is wrong.

    More than ``max_items`` items raise :class:`~alliance.errors.PayloadTooLarge` (bound
    the byte size before calling: the file is held in memory).
    """
    fmt = detect_seizure_format(data) if fmt is None else SeizureFormat(fmt)
    if fmt is SeizureFormat.vics:
        problems = Problems("VICS JSON", MAX_REPORTED_PROBLEMS)
        items = _seizure_vics(data, problems, max_items)
    elif fmt is SeizureFormat.jsonl:
        problems = Problems("JSON lines", MAX_REPORTED_PROBLEMS)
        items = _seizure_jsonl(decode_text(data, problems.what), problems, max_items)
    else:
        problems = Problems("CSV file", MAX_REPORTED_PROBLEMS)
        items = _seizure_csv(decode_text(data, problems.what), problems, max_items)
    problems.check()
    if not items:
        raise InvalidInput(f"{problems.what}: no files in the seizure")
    return items


#: The raw values of one line: line, name, md5, sha1, sha256, pdq, pdq_variants,
#: media_type, category, media_id, as the file has them.
_Raw = tuple[int, object, object, object, object, object, object, object, object, object]


def _seizure_item(
    line: int,
    name: object,
    md5: object,
    sha1: object,
    sha256: object,
    pdq: object,
    variants: object,
    media_type: object,
    category: object,
    media_id: object,
) -> SeizureHashes:
    """One item from the raw values of a line (raises InvalidInput)."""
    md5, sha1, sha256 = _hex("md5", md5), _hex("sha1", sha1), _hex("sha256", sha256)
    pdq = _hex("pdq", pdq)
    if md5 is None and sha1 is None and sha256 is None and pdq is None:
        raise InvalidInput("no md5, sha1, sha256 or pdq hash")
    name = _text("name", name, NAME_MAX_LENGTH)
    return SeizureHashes(
        line=line,
        name=name,
        md5=md5,
        sha1=sha1,
        sha256=sha256,
        pdq=pdq,
        pdq_variants=_variants(variants, pdq),
        media_type=_media_type(media_type) or _guess_media_type(name, pdq),
        category=_category(category),
        media_id=_text("media id", _media_id(media_id), IMAGE_ID_MAX_LENGTH),
    )


def _build(
    raw: list[_Raw], errors: list[tuple[int, str]], problems: Problems
) -> list[SeizureHashes]:
    """The items of a jsonl or CSV file; ``errors`` (line, message) found while reading it
    go to ``problems`` with the others, in line order.

    A block of lines is checked a column at a time (:func:`_build_fast`); only a block
    with something unusual in it goes item by item, for the messages, so a few bad lines
    in a large file cost little more than none.
    """
    items: list[SeizureHashes] = []
    for start in range(0, len(raw), _BLOCK_LINES):
        block = raw[start : start + _BLOCK_LINES]
        try:
            items += _build_fast(block)
            continue
        except (InvalidInput, KeyError, TypeError):
            pass
        for values in block:
            try:
                items.append(_seizure_item(*values))
            except InvalidInput as exc:
                errors.append((values[0], exc.message))
    for number, message in sorted(errors):
        problems.add(f"line {number}", message)
    return items


def _build_fast(raw: list[_Raw]) -> list[SeizureHashes]:
    """:func:`_seizure_item` for lines that have no problem, several times faster: the
    hashes are checked a column at a time, in C. Raises on anything unusual (the caller
    then goes item by item, with the same results)."""
    lines, names, md5s, sha1s, sha256s, pdqs, variants, kinds, categories, ids = (
        list(map(itemgetter(i), raw)) for i in range(10)
    )
    columns = zip(
        lines,
        _text_column(names, NAME_MAX_LENGTH),
        _hex_column("md5", md5s),
        _hex_column("sha1", sha1s),
        _hex_column("sha256", sha256s),
        _hex_column("pdq", pdqs),
        variants,
        kinds,
        _typed_column(categories, (int, str, type(None))),
        _text_column(ids, IMAGE_ID_MAX_LENGTH),
        strict=True,
    )
    items: list[SeizureHashes] = []
    append = items.append
    for line, name, md5, sha1, sha256, pdq, more, kind, category, media_id in columns:
        if md5 is None and sha1 is None and sha256 is None and pdq is None:
            raise InvalidInput("no hash")
        append(
            SeizureHashes(
                line,
                name,
                md5,
                sha1,
                sha256,
                pdq,
                () if more is None else _variants(more, pdq),
                _MEDIA_TYPES[kind] if kind else _guess_media_type(name, pdq),
                None if category is None or category == "" else _CATEGORIES[category],
                media_id,
            )
        )
    return items


def _hex_column(kind: str, values: list[object]) -> list[str | None]:
    """A column of hashes in lower case, None where empty; InvalidInput if any is bad."""
    _typed_column(values, (str, type(None)))
    texts = cast(list[str | None], values)
    present = [v for v in texts if v]
    if len(present) < len(texts):
        texts = [v or None for v in texts]
    if set(map(len, present)) - {_HEX_LENGTHS[kind]}:
        raise InvalidInput(f"a bad {kind}")
    joined = "".join(present)
    if not _is_hex(joined):
        if not _is_hex(joined.lower()):
            raise InvalidInput(f"a bad {kind}")
        texts = [v.lower() if v else None for v in texts]
    return texts


def _is_hex(text: str) -> bool:
    """Whether ``text`` is all lower-case hex digits. Deleting them from the bytes is one
    table lookup a byte, several times faster than ``str.strip`` with the alphabet."""
    return text.isascii() and not text.encode("ascii").translate(None, _HEX_DIGITS)


def _text_column(values: list[object], max_length: int) -> list[str | None]:
    _typed_column(values, (str, type(None)))
    texts = [v or None for v in cast(list[str | None], values)]
    if max(map(len, filter(None, texts)), default=0) > max_length:
        raise InvalidInput("a long text")
    return texts


def _typed_column(values: list[object], types: tuple[type, ...]) -> list[object]:
    if not set(map(type, values)) <= set(types):
        raise InvalidInput("an unexpected type")
    return values


def _seizure_jsonl(text: str, problems: Problems, max_items: int) -> list[SeizureHashes]:
    raw: list[_Raw] = []
    errors: list[tuple[int, str]] = []
    loads = json.loads
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and other separators.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line.isspace():
            continue
        try:
            record = loads(line)
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            errors.append((number, f"not a JSON object ({reason})"))
            continue
        except RecursionError:
            errors.append((number, "JSON nested too deeply"))
            continue
        if not isinstance(record, dict):
            errors.append((number, "not a JSON object"))
            continue
        if "error" in record:
            errors.append((number, f"the file could not be hashed: {record['error']}"))
            continue
        get = record.get
        forms = get("pdq_variants")
        if (frames := get("pdq_frames")) is not None:
            # An animation's later frames (`alliance hash --all-frames`): searched as well.
            if not isinstance(frames, list) or not isinstance(forms, dict | list | None):
                errors.append((number, "pdq_frames: expected a list beside pdq_variants"))
                continue
            forms = [*(forms.values() if isinstance(forms, dict) else forms or []), *frames]
        _append(
            raw,
            (
                number,
                get("path", get("name")),
                get("md5"),
                get("sha1"),
                get("sha256"),
                get("pdq"),
                forms,
                get("media_type", get("kind")) or ("video" if "vpdq" in record else None),
                get("category"),
                get("media_id"),
            ),
            max_items,
            problems,
        )
    return _build(raw, errors, problems)


#: Seizure CSV header names (lower case, without spaces, ``_`` or ``-``) -> field.
_SEIZURE_COLUMNS = {
    "name": "name",
    "path": "name",
    "file": "name",
    "filename": "name",
    "filepath": "name",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "pdq": "pdq",
    "mediatype": "media_type",
    "kind": "media_type",
    "category": "category",
    "mediaid": "media_id",
    "error": "error",
}
_SEIZURE_FIELDS = ("name", "md5", "sha1", "sha256", "pdq", "media_type", "category", "media_id")


def _seizure_csv(text: str, problems: Problems, max_items: int) -> list[SeizureHashes]:
    raw: list[_Raw] = []
    errors: list[tuple[int, str]] = []
    rows = csv_rows(text, problems, _delimiter(text, ",;\t"))
    index = _header(rows, _SEIZURE_COLUMNS, ("md5", "sha1", "sha256", "pdq"), problems.what)
    if index is None:
        return []
    # A field the header lacks reads the padding cell after the last column: ''.
    width = max(index.values()) + 1
    padding = [""] * (width + 1)
    name, md5, sha1, sha256, pdq, media_type, category, media_id = (
        index.get(field, width) for field in _SEIZURE_FIELDS
    )
    error = index.get("error", width)
    for number, cells in rows:
        row = list(map(str.strip, cells[:width]))
        row += padding[len(row) :]
        if row[error]:
            errors.append((number, f"the file could not be hashed: {row[error]}"))
            continue
        _append(
            raw,
            (
                number,
                row[name],
                row[md5],
                row[sha1],
                row[sha256],
                row[pdq],
                None,
                row[media_type],
                row[category],
                row[media_id],
            ),
            max_items,
            problems,
        )
    return _build(raw, errors, problems)


def _seizure_vics(data: bytes, problems: Problems, max_items: int) -> list[SeizureHashes]:
    items: list[SeizureHashes] = []
    for position, (where, media) in enumerate(vics.media_items(data, problems), start=1):
        try:
            found, hashes, more_pdq = _vics_media(where, media)
            item = _seizure_item(
                position,
                _vics_file_name(found),
                hashes.get("md5"),
                hashes.get("sha1"),
                hashes.get("sha256"),
                hashes.get("pdq"),
                more_pdq,
                found.get("mediatype"),
                found.get("category"),
                found.get("mediaid"),
            )
        except _PlacedError as exc:
            problems.add(exc.where, exc.message)
            continue
        except InvalidInput as exc:
            problems.add(where, exc.message)
            continue
        _append(items, item, max_items, problems)
    return items


# --- known-media records: ICSE CSV -------------------------------------------------------


def render_icse_csv(rows: Iterable[MediaRow]) -> Iterator[str]:
    """ICSE CSV, one line at a time (header first), for a streamed download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")

    def line(cells: Iterable[object]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(ICSE_COLUMNS)
    for row in rows:
        if row.md5 is None and row.sha1 is None:
            continue
        yield line(
            (
                row.md5 or "",
                row.sha1 or "",
                "",  # PhotoDNA: never held
                row.image_id or "",
                _flag_text(row.is_distributed),
                _flag_text(row.victim_identified),
                _flag_text(row.offender_identified),
                row.series_name or "",
                row.submissions,
                _flag_text(row.file_available),
                row.media_type.value,
                _flag_text(row.baseline),
            )
        )


#: ICSE header names (lower case, without spaces, ``_`` or ``-``) -> MediaRow field.
#: SHA-256, PDQ and category are not ICSE columns; read when a file has them.
_ICSE_FIELDS = {
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "pdq": "pdq",
    "imageid": "image_id",
    "isdistributed": "is_distributed",
    "victimidentified": "victim_identified",
    "offenderidentified": "offender_identified",
    "seriesname": "series_name",
    "numberofsubmissions": "submissions",
    "fileavailable": "file_available",
    "mediatype": "media_type",
    "baseline": "baseline",
    "category": "category",
}
#: Field -> its ICSE column name, for error messages.
_ICSE_NAMES = dict(
    zip(
        (
            "md5",
            "sha1",
            "photodna",
            "image_id",
            "is_distributed",
            "victim_identified",
            "offender_identified",
            "series_name",
            "submissions",
            "file_available",
            "media_type",
            "baseline",
        ),
        ICSE_COLUMNS,
        strict=True,
    ),
    category="category",
)


def parse_icse_csv(data: bytes, *, max_items: int = DEFAULT_MAX_ITEMS) -> list[MediaRow]:
    """Every record of an ICSE CSV export, or one InvalidInput naming the bad lines.

    An empty ``Media Type`` reads as image, an empty ``Number of submissions`` as 1.
    """
    problems = Problems("ICSE CSV", MAX_REPORTED_PROBLEMS)
    text = decode_text(data, problems.what)
    result: list[MediaRow] = []
    rows = csv_rows(text, problems, _delimiter(text, ";,"))
    index = _header(rows, _ICSE_FIELDS, ("md5", "sha1"), problems.what)
    if index is not None:
        cells = _cells(index)
        for number, row in rows:
            cell = cells(row)
            try:
                record = _media_row(
                    {kind: _hex(kind, cell(kind)) for kind in _HASHES},
                    {field: cell(field) for field in _ROW_FIELDS},
                    _ICSE_NAMES,
                )
            except InvalidInput as exc:
                problems.add(f"line {number}", exc.message)
                continue
            _append(result, record, max_items, problems)
    problems.check()
    if not result:
        raise InvalidInput(f"{problems.what}: no media records in the file")
    return result


# --- known-media records: VICS JSON ------------------------------------------------------


def render_vics(rows: Iterable[MediaRow]) -> Iterator[str]:
    """A VICS 2.0 ``#Media`` document in chunks of text, for a streamed download."""
    yield "{" + f'"@odata.context": {json.dumps(vics.CONTEXT_MEDIA)},\n"value": ['
    separator = "\n"
    chunk: list[str] = []
    for row in rows:
        chunk.append(separator + json.dumps(_vics_object(row), ensure_ascii=False))
        separator = ",\n"
        if len(chunk) >= _CHUNK_ROWS:
            yield "".join(chunk)
            chunk.clear()
    chunk.append("\n]}\n")
    yield "".join(chunk)


def _vics_object(row: MediaRow) -> dict[str, object]:
    media: dict[str, object] = {}
    if row.image_id is not None:
        # A numeric id is written as a number, as VICS files have it.
        numeric = row.image_id.isdigit() and str(int(row.image_id)) == row.image_id
        media["MediaID"] = int(row.image_id) if numeric else row.image_id
    media["Category"] = row.category
    if row.md5 is not None:
        media["MD5"] = row.md5.upper()
    if row.sha1 is not None:
        media["SHA1"] = row.sha1.upper()
    media["VictimIdentified"] = row.victim_identified
    media["OffenderIdentified"] = row.offender_identified
    media["IsDistributed"] = row.is_distributed
    if row.series_name is not None:
        media["Series"] = row.series_name
    if row.baseline:
        media["Tags"] = "Baseline"
    alternative = [
        {"HashName": vics.EXPORT_HASH_NAMES[kind], "HashValue": value}
        for kind, value in (("sha256", row.sha256), ("pdq", row.pdq))
        if value is not None
    ]
    if alternative:
        media["AlternativeHashes"] = alternative
    media["MediaType"] = row.media_type.value
    media["NumberOfSubmissions"] = row.submissions
    media["FileAvailable"] = row.file_available
    if row.file_name is not None:
        media["MediaFiles"] = [{"FileName": row.file_name}]
    if row.verdict is not None:
        media["TriageVerdict"] = row.verdict
    return media


def parse_vics_records(data: bytes, *, max_items: int = DEFAULT_MAX_ITEMS) -> list[MediaRow]:
    """Every media of a VICS 1.3 / 2.0 document (``#Media`` or ``#Cases``) as a record.

    Missing flags read as false, a missing media type as the file name's (else image), a
    missing ``NumberOfSubmissions`` as 1; a second PDQ hash of a media is ignored.
    """
    problems = Problems("VICS JSON", MAX_REPORTED_PROBLEMS)
    result: list[MediaRow] = []
    for where, media in vics.media_items(data, problems):
        try:
            found, hashes, _ = _vics_media(where, media)
            name = _text("name", _vics_file_name(found), NAME_MAX_LENGTH)
            tags = vics.tag_tokens(found.get("tags"))
            values = {field: found.get(key.lower()) for field, key in _VICS_NAMES.items()}
            values["media_type"] = values["media_type"] or _guess_media_type(name, None)
            values["baseline"] = any(tag.lower() == "baseline" for tag in tags)
            record = _media_row({kind: hashes.get(kind) for kind in _HASHES}, values, _VICS_NAMES)
        except _PlacedError as exc:
            problems.add(exc.where, exc.message)
            continue
        except InvalidInput as exc:
            problems.add(where, exc.message)
            continue
        _append(result, record, max_items, problems)
    problems.check()
    if not result:
        raise InvalidInput(f"{problems.what}: no media in the file")
    return result


_ROW_FIELDS = (
    "image_id",
    "media_type",
    "category",
    "baseline",
    "victim_identified",
    "offender_identified",
    "is_distributed",
    "submissions",
    "file_available",
    "series_name",
)
#: MediaRow field -> its VICS name (our extensions included).
_VICS_NAMES = {
    "image_id": "MediaID",
    "media_type": "MediaType",
    "category": "Category",
    "baseline": "Tags",
    "victim_identified": "VictimIdentified",
    "offender_identified": "OffenderIdentified",
    "is_distributed": "IsDistributed",
    "submissions": "NumberOfSubmissions",
    "file_available": "FileAvailable",
    "series_name": "Series",
}


def _media_row(
    hashes: dict[str, str | None], values: dict[str, object], names: dict[str, str]
) -> MediaRow:
    """A record from checked hashes and the raw value of each of :data:`_ROW_FIELDS`;
    ``names`` gives a field's name in the file, for messages."""
    if not any(hashes.values()):
        raise InvalidInput("no MD5, SHA1, SHA256 or PDQ hash")

    def flag(field: str) -> bool:
        try:
            return _flag(values[field])
        except InvalidInput as exc:
            raise InvalidInput(f"{names[field]}: {exc.message}") from None

    return MediaRow(
        md5=hashes["md5"],
        sha1=hashes["sha1"],
        sha256=hashes["sha256"],
        pdq=hashes["pdq"],
        image_id=_text(names["image_id"], _media_id(values["image_id"]), IMAGE_ID_MAX_LENGTH),
        media_type=_media_type(values["media_type"], names["media_type"]) or MediaType.image,
        category=_category(values["category"]),
        baseline=flag("baseline"),
        victim_identified=flag("victim_identified"),
        offender_identified=flag("offender_identified"),
        is_distributed=flag("is_distributed"),
        submissions=_count(names["submissions"], values["submissions"]),
        file_available=flag("file_available"),
        series_name=_text(names["series_name"], values["series_name"], SERIES_NAME_MAX_LENGTH),
    )


# --- VICS media --------------------------------------------------------------------------


class _PlacedError(InvalidInput):
    """A problem at a place more precise than the media's own path (``value[2].MD5``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


def _vics_media(
    where: str, media: object
) -> tuple[dict[str, Any], dict[str, str], tuple[str, ...]]:
    """A VICS media's fields by lower-case name, its hashes, and any further PDQ hashes."""
    if not isinstance(media, dict):
        raise InvalidInput("a media must be an object")
    hashes: dict[str, str] = {}
    more_pdq: list[str] = []

    def keep(place: str, kind: str, value: object) -> None:
        try:
            text = _hex(kind, value)
        except InvalidInput as exc:
            raise _PlacedError(place, exc.message) from None
        if text is None:
            return
        first = hashes.setdefault(kind, text)
        if first == text:
            return
        if kind != "pdq":
            raise _PlacedError(place, f"a second, different {kind.upper()} hash")
        if text not in more_pdq:
            more_pdq.append(text)

    for key, value in media.items():
        name = str(key).lower()
        if name in ("md5", "sha1"):
            keep(f"{where}.{key}", name, value)
        elif isinstance(value, list):
            for place, hash_name, hash_value in vics.alternative_hashes(f"{where}.{key}", value):
                kind = hash_name.lower()
                if kind in _HASHES:
                    keep(f"{place}.HashValue", kind, hash_value)
    return vics.fields(media), hashes, tuple(more_pdq)


def _vics_file_name(found: dict[str, Any]) -> object:
    """The first ``MediaFiles`` item's ``FileName``, else its ``FilePath``."""
    files = found.get("mediafiles")
    if not isinstance(files, list) or not files:
        return None
    first = vics.fields(files[0])
    return first.get("filename") or first.get("filepath")


def _media_id(value: object) -> object:
    # MediaID is a number in most files; keep its digits as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --- values ------------------------------------------------------------------------------


def _hex(kind: str, value: object) -> str | None:
    """Lower-case hex of a hash, None when absent; InvalidInput when malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        # The common case without a further call; anything else goes to the registry's
        # validator, for its message.
        text = value.lower()
        if len(text) == _HEX_LENGTHS[kind] and _is_hex(text):
            return text
        return normalise(kind, value)
    raise InvalidInput(f"{kind}: expected a string, got {type(value).__name__}")


def _category(value: object) -> int | None:
    if value is None or value == "":
        return None
    found = _CATEGORIES.get(value) if value.__class__ in (str, int) else None
    return found if found is not None else vics.category(value)


def _variants(value: object, pdq: str | None) -> tuple[str, ...]:
    """``pdq_variants`` of ``alliance hash`` (name -> hex, or a list), without ``pdq`` itself."""
    if value is None:
        return ()
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list | tuple):
        raise InvalidInput("pdq_variants: expected an object or a list of PDQ hashes")
    found: dict[str, None] = {}
    for one in value:
        text = _hex("pdq", one)
        if text is not None and text != pdq:
            found[text] = None
    return tuple(found)


def _media_type(value: object, label: str = "media type") -> MediaType | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label}: expected image or video, got {value!r}")
    text = value.strip().lower()
    if not text:
        return None
    if text in ("image", "photo", "picture"):
        return MediaType.image
    if text == "video":
        return MediaType.video
    raise InvalidInput(f"{label}: unknown media type {value!r} (expected image or video)")


def _guess_media_type(name: str | None, pdq: str | None) -> MediaType | None:
    if name is not None and name.rpartition(".")[2].lower() in _VIDEO_EXTENSIONS and "." in name:
        return MediaType.video
    return MediaType.image if pdq is not None else None


def _text(label: str, value: object, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label}: expected text, got {type(value).__name__}")
    if len(value) > max_length:
        raise InvalidInput(f"{label}: longer than {max_length} characters")
    return value or None


def _flag(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise InvalidInput(f"expected true/false or yes/no, got {value!r}")


def _flag_text(value: bool) -> str:
    return "true" if value else "false"


def _count(label: str, value: object) -> int:
    """A number of submissions: a whole number >= 0; absent means 1."""
    if value is None or value == "":
        return 1
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InvalidInput(f"{label}: expected a whole number, got {value!r}")


def _append(items: list[Any], item: object, max_items: int, problems: Problems) -> None:
    if len(items) >= max_items:
        raise PayloadTooLarge(
            f"{problems.what}: more than {max_items} items; split the file or raise the limit"
        )
    items.append(item)


# --- CSV ---------------------------------------------------------------------------------


def _delimiter(text: str, candidates: str) -> str:
    """The candidate that occurs most in the first line (the header); the first on a tie."""
    first = text.lstrip("\r\n").partition("\n")[0]
    return max(candidates, key=first.count)


def _header(
    rows: Iterator[tuple[int, list[str]]],
    names: dict[str, str],
    required: tuple[str, ...],
    what: str,
) -> dict[str, int] | None:
    """Field -> column index from the first row, which must name at least one of
    ``required``; None when the file has no rows at all."""
    first = next(rows, None)
    if first is None:
        return None
    number, row = first
    index: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = cell.strip().lower().replace(" ", "").replace("_", "").replace("-", "")
        field = names.get(key)
        if field is None:
            continue
        if field in index:
            raise InvalidInput(f"{what}: line {number}: column {cell.strip()!r} appears twice")
        index[field] = i
    if not any(field in index for field in required):
        wanted = ", ".join(dict.fromkeys(required))
        raise InvalidInput(
            f"{what}: line {number}: no header: the first line must name the columns "
            f"(at least one of {wanted})"
        )
    return index


def _cells(index: dict[str, int]) -> Callable[[list[str]], Callable[[str], str]]:
    """For a row, a function giving the stripped cell of a field ('' when absent)."""

    def for_row(row: list[str]) -> Callable[[str], str]:
        width = len(row)

        def cell(field: str) -> str:
            i = index.get(field)
            return row[i].strip() if i is not None and i < width else ""

        return cell

    return for_row
