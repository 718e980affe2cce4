"""Project VIC VICS JSON (data model 1.3 and 2.0), as open readers (IPED, Autopsy) accept it.

Shapes read::

    {"odata.metadata": ".../DataModels/1.3.xml#Media", "value": [MEDIA, ...]}
    {"@odata.context": ".../DataModels/2.0.xml/Default/$metadata#Media", "value": [MEDIA, ...]}
    {"@odata.context": ".../DataModels/2.0.xml/Default/$metadata#Cases",
     "value": [{"CaseID": ..., "Media": [MEDIA, ...]}, ...]}

Field names are matched case-insensitively, as IPED does. Each media gives one entry per
hash it has, all with the media's classification:

- ``MD5`` -> md5, ``SHA1`` -> sha1;
- in any list of the media (VICS 2.0 ``AlternativeHashes``), ``{"HashName": N,
  "HashValue": V}`` with N = ``MD5``, ``SHA1``, ``SHA256``, ``PDQ`` or ``vPDQ`` -> that
  signal type; other names are skipped and counted;
- ``Category`` (0-4, or null) -> ``vics``. Note that many VICS datasets use category 0
  for non-pertinent (known benign) files;
- ``Tags`` (a ``|``-separated string) -> ``baseline``, ``iwf``, ``ncmec`` from the tags
  of :mod:`~alliance.banks.formats.tags` (other tags are ignored);
- ``PhotoDNA`` (top level or as an alternative hash) is skipped and counted: we do not
  hold PhotoDNA. ``MediaID``, ``VictimIdentified``, ``IsDistributed``, ``MediaFiles`` and
  the other descriptive fields are not held either (ignored).

A media with no hash we hold is skipped and counted.

Export writes a 2.0 ``#Media`` document: one media object per entry (a bank holds hashes,
not media, so it cannot tell which hashes were one file), ``MediaID`` the entry id (or
its position), ``MD5``/``SHA1`` in upper case as VICS files have them, any other signal
as an ``AlternativeHashes`` item, ``Category`` from ``vics`` (omitted when unset) and
``Tags`` for baseline/IWF/NCMEC. The note is not written (VICS has no field for it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from alliance.banks.formats.base import (
    Collector,
    Entry,
    ImportBatch,
    Problems,
    Skips,
    decode_text,
    exported,
)
from alliance.banks.formats.tags import classification_from_tags, classification_tags
from alliance.banks.schemas import Classification, EntryOut
from alliance.errors import InvalidInput

WHAT = "VICS JSON"
CONTEXT_MEDIA = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
)

#: ``HashName`` (lower case) of an alternative hash -> our signal type.
HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "pdq": "pdq", "vpdq": "vpdq"}
#: Our signal type -> ``HashName`` on export.
EXPORT_HASH_NAMES = {"sha256": "SHA256", "pdq": "PDQ", "vpdq": "vPDQ"}


def parse(data: bytes, *, max_entries: int) -> ImportBatch:
    problems = Problems(WHAT)
    collector = Collector(problems, max_entries)
    skips = Skips()
    for where, item in media_items(data, problems):
        _media(where, item, collector, skips)
    problems.check()
    if not collector.entries and not skips.summary():
        raise InvalidInput(f"{WHAT}: no media in the file")
    return ImportBatch(collector.entries, skipped=skips.summary())


# --- shared with other VICS readers (victims.formats) ------------------------------------


def media_items(data: bytes, problems: Problems) -> Iterator[tuple[str, object]]:
    """Each media of a VICS document with its JSON path (``value[3]``,
    ``value[0].Media[2]``), for ``#Media`` and ``#Cases`` alike.

    A document that is not VICS JSON raises InvalidInput at once; a case without a media
    list is added to ``problems`` and skipped.
    """
    doc = _load(decode_text(data, problems.what), problems.what)
    context = doc.get("@odata.context", doc.get("odata.metadata"))
    if not isinstance(context, str):
        raise InvalidInput(
            f"{problems.what}: not a VICS document: "
            "no '@odata.context' (2.0) or 'odata.metadata' (1.3)"
        )
    model = context.rpartition("#")[2]
    if model not in ("Media", "Cases"):
        raise InvalidInput(
            f"{problems.what}: unsupported VICS data model {context!r}: "
            "expected ...#Media or ...#Cases"
        )
    items = doc.get("value")
    if not isinstance(items, list):
        raise InvalidInput(f"{problems.what}: 'value' must be a list of {model.lower()}")
    for i, item in enumerate(items):
        if model == "Media":
            yield f"value[{i}]", item
            continue
        media = fields(item).get("media", [])
        if not isinstance(item, dict) or not isinstance(media, list):
            problems.add(f"value[{i}]", "a case must be an object with a 'Media' list")
            continue
        for j, one in enumerate(media):
            yield f"value[{i}].Media[{j}]", one


def fields(item: object) -> dict[str, Any]:
    """An object's fields by lower-case name (VICS readers match names case-insensitively)."""
    if not isinstance(item, dict):
        return {}
    return {str(k).lower(): v for k, v in item.items()}


def alternative_hashes(where: str, items: list[Any]) -> Iterator[tuple[str, str, object]]:
    """``(place, HashName, HashValue)`` of each ``{"HashName", "HashValue"}`` item of a
    list that has both (the VICS 2.0 ``AlternativeHashes`` shape)."""
    for k, item in enumerate(items):
        found = fields(item)
        name, value = found.get("hashname"), found.get("hashvalue")
        if isinstance(name, str) and value not in (None, ""):
            yield f"{where}[{k}]", name.strip(), value


def category(value: object) -> int | None:
    """A VICS ``Category``: 0-4 (a number or its digits), or None; else InvalidInput."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4
    ):
        raise InvalidInput(f"unknown VICS category {value!r} (expected 0-4 or null)")
    return value


def tag_tokens(value: object) -> list[str]:
    """The tags of a VICS ``Tags`` string (``|``-separated; commas and spaces also split)."""
    if not isinstance(value, str):
        return []
    return value.replace("|", " ").replace(",", " ").split()


def _load(text: str, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{what}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{what}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{what}: the top level must be an object with a 'value' list")
    return doc


# --- bank entries ------------------------------------------------------------------------


def _media(where: str, item: object, collector: Collector, skips: Skips) -> None:
    problems = collector.problems
    if not isinstance(item, dict):
        problems.add(where, "a media must be an object")
        return
    try:
        classification = _classification(fields(item))
    except InvalidInput as exc:
        problems.add(where, exc.message)
        return
    hashes: list[tuple[str, str, object]] = []  # (where, signal type, value)
    for key, value in item.items():
        name = str(key).lower()
        if name in ("md5", "sha1") and value not in (None, ""):
            hashes.append((f"{where}.{key}", name, value))
        elif name == "photodna" and value not in (None, ""):
            skips.add(f"{where}.{key}", "PhotoDNA hash (not supported)")
        elif isinstance(value, list):
            hashes.extend(_alternative_hashes(f"{where}.{key}", value, skips))
    if not hashes:
        skips.add(where, "media with no MD5, SHA1, SHA256, PDQ or vPDQ hash")
    for place, signal_type, value in hashes:
        if not isinstance(value, str):
            problems.add(place, f"expected a string, got {type(value).__name__}")
            continue
        collector.add(place, signal_type, value, classification)


def _alternative_hashes(
    where: str, items: list[Any], skips: Skips
) -> list[tuple[str, str, object]]:
    found: list[tuple[str, str, object]] = []
    for place, name, value in alternative_hashes(where, items):
        signal_type = HASH_NAMES.get(name.lower())
        if signal_type is None:
            skips.add(place, f"{name} hash (not supported)")
        else:
            found.append((f"{place}.HashValue", signal_type, value))
    return found


def _classification(found: dict[str, Any]) -> Classification:
    vics = category(found.get("category"))
    classification = classification_from_tags(tag_tokens(found.get("tags")))
    if vics is None:
        return classification
    return classification.model_copy(update={"vics": vics})


def render(entries: Sequence[Entry]) -> bytes:
    media: list[dict[str, object]] = []
    for number, (entry, value) in enumerate(exported(entries), start=1):
        one: dict[str, object] = {"MediaID": entry.id if isinstance(entry, EntryOut) else number}
        c = entry.classification
        if c.vics is not None:
            one["Category"] = c.vics
        if entry.signal_type in ("md5", "sha1"):
            one[entry.signal_type.upper()] = value.upper()
        else:
            one["AlternativeHashes"] = [
                {"HashName": EXPORT_HASH_NAMES[entry.signal_type], "HashValue": value}
            ]
        tags = classification_tags(c, vics=False)
        if tags:
            one["Tags"] = "|".join(tags)
        media.append(one)
    doc = {"@odata.context": CONTEXT_MEDIA, "value": media}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
