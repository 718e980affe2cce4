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
from collections.abc import Sequence
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
    doc = _load(decode_text(data, WHAT))
    problems = Problems(WHAT)
    collector = Collector(problems, max_entries)
    skips = Skips()
    context = doc.get("@odata.context", doc.get("odata.metadata"))
    if not isinstance(context, str):
        raise InvalidInput(
            f"{WHAT}: not a VICS document: no '@odata.context' (2.0) or 'odata.metadata' (1.3)"
        )
    model = context.rpartition("#")[2]
    if model not in ("Media", "Cases"):
        raise InvalidInput(
            f"{WHAT}: unsupported VICS data model {context!r}: expected ...#Media or ...#Cases"
        )
    items = doc.get("value")
    if not isinstance(items, list):
        raise InvalidInput(f"{WHAT}: 'value' must be a list of {model.lower()}")
    for i, item in enumerate(items):
        if model == "Media":
            _media(f"value[{i}]", item, collector, skips)
            continue
        case = _fields(item)
        media = case.get("media", [])
        if not isinstance(item, dict) or not isinstance(media, list):
            problems.add(f"value[{i}]", "a case must be an object with a 'Media' list")
            continue
        for j, one in enumerate(media):
            _media(f"value[{i}].Media[{j}]", one, collector, skips)
    problems.check()
    if not collector.entries and not skips.summary():
        raise InvalidInput(f"{WHAT}: no media in the file")
    return ImportBatch(collector.entries, skipped=skips.summary())


def _load(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{WHAT}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{WHAT}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{WHAT}: the top level must be an object with a 'value' list")
    return doc


def _fields(item: object) -> dict[str, Any]:
    """An object's fields by lower-case name (VICS readers match names case-insensitively)."""
    if not isinstance(item, dict):
        return {}
    return {str(k).lower(): v for k, v in item.items()}


def _media(where: str, item: object, collector: Collector, skips: Skips) -> None:
    problems = collector.problems
    if not isinstance(item, dict):
        problems.add(where, "a media must be an object")
        return
    fields = _fields(item)
    try:
        classification = _classification(fields)
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
    for k, item in enumerate(items):
        fields = _fields(item)
        name, value = fields.get("hashname"), fields.get("hashvalue")
        if not isinstance(name, str) or value in (None, ""):
            continue
        signal_type = HASH_NAMES.get(name.strip().lower())
        if signal_type is None:
            skips.add(f"{where}[{k}]", f"{name.strip()} hash (not supported)")
        else:
            found.append((f"{where}[{k}].HashValue", signal_type, value))
    return found


def _classification(fields: dict[str, Any]) -> Classification:
    category = fields.get("category")
    if isinstance(category, str) and category.strip().isdigit():
        category = int(category)
    if category is not None and (
        isinstance(category, bool) or not isinstance(category, int) or not 0 <= category <= 4
    ):
        raise InvalidInput(f"unknown VICS category {category!r} (expected 0-4 or null)")
    tags = fields.get("tags")
    tokens = tags.replace("|", " ").replace(",", " ").split() if isinstance(tags, str) else []
    classification = classification_from_tags(tokens)
    if category is None:
        return classification
    return classification.model_copy(update={"vics": category})


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
