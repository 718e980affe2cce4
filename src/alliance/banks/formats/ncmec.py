"""NCMEC hash-sharing API v2 entries (``queryResult`` XML): import only, NCMEC is a source.

Shape (namespace ``https://hashsharing.ncmec.org/hashsharing/v2``, or none)::

    <queryResult>
      <images>
        <image>
          <member id="42">Example Member</member> <timestamp>...</timestamp>
          <id>image1</id> <classification>A1</classification>
          <fingerprints><md5>...</md5><sha1>...</sha1><pdq>...</pdq><pdna>...</pdna></fingerprints>
          <feedback>...</feedback>
        </image>
        <deletedImage><member id="43"/><id>image4</id><timestamp>...</timestamp></deletedImage>
      </images>
      <videos> <video>...</video> <deletedVideo>...</deletedVideo> </videos>
      <paging><next>...</next></paging>
    </queryResult>

Mapping: each ``image``/``video`` gives one entry per fingerprint we hold (``md5``,
``sha1``, ``sha256``, ``pdq``), with ``classification`` (A1, A2, B1, B2 or absent) ->
``ncmec`` and the note ``ncmec:<member id>/<image|video>/<id>`` (the reference a later
tombstone names). Other fingerprints (``pdna``, ``netclean``, ``videntifier``,
``tmk-pdqf``, ``ssvh-*``...), and fingerprints given only as a link, are skipped and
counted. ``timestamp``, ``feedback`` and ``paging`` are not held.

Tombstones (``deletedImage``/``deletedVideo``) name their entry and usually no
fingerprint: the reference goes to ``ImportBatch.deleted_refs`` (tombstone the bank's
entries whose note is that reference) and any fingerprints they do carry to
``ImportBatch.deletions``. Records apply in document order: a tombstone removes entries
the same file added earlier under its reference (moving their fingerprints to
``deletions``), a later record for the same reference or the same fingerprint replaces
an earlier one.

The XML is parsed with ``defusedxml`` and any DOCTYPE is refused (no entity expansion,
no external references).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

from alliance.banks.formats.base import Collector, ImportBatch, Problems, Skips, normalise
from alliance.banks.schemas import Classification
from alliance.errors import InvalidInput, PayloadTooLarge

WHAT = "NCMEC XML"
CLASSIFICATIONS = ("A1", "A2", "B1", "B2")
#: NCMEC fingerprint element -> our signal type.
FINGERPRINTS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "pdq": "pdq"}
RECORDS = {"image", "video", "deletedimage", "deletedvideo"}


def parse(data: bytes, *, max_entries: int) -> ImportBatch:
    root = _load(data)
    if _local(root) != "queryResult":
        raise InvalidInput(f"{WHAT}: expected a <queryResult> document, got <{_local(root)}>")
    problems = Problems(WHAT)
    collector = Collector(problems, max_entries, last_wins=True)
    skips = Skips()
    by_ref: dict[str, list[tuple[str, str]]] = {}  # live reference -> its fingerprints
    deleted: dict[str, None] = {}  # tombstoned references, in order
    deletions: dict[tuple[str, str], None] = {}
    for container in root:
        counts: dict[str, int] = {}
        for record in container:
            tag = _local(record)
            if tag.lower() not in RECORDS:
                continue
            counts[tag] = counts.get(tag, 0) + 1
            where = f"{_local(container)}/{tag}[{counts[tag]}]"
            parsed = _record(where, record, problems, skips)
            if parsed is None:
                continue
            ref, classification, fingerprints = parsed
            if tag.lower().startswith("deleted"):
                deleted[ref] = None
                for signal_type, value in [*by_ref.pop(ref, []), *fingerprints]:
                    entry = collector.get(signal_type, value)
                    if entry is None or entry.note == ref:
                        collector.discard(signal_type, value)
                        deletions[(signal_type, value)] = None
                if len(deletions) > max_entries:
                    raise PayloadTooLarge(f"{WHAT}: more than {max_entries} deletions")
                continue
            deleted.pop(ref, None)
            by_ref[ref] = fingerprints
            for signal_type, value in fingerprints:
                deletions.pop((signal_type, value), None)
                collector.add(f"{where}/{signal_type}", signal_type, value, classification, ref)
    problems.check()
    if not collector.entries and not deleted and not skips.summary():
        raise InvalidInput(f"{WHAT}: no image or video entries in the file")
    return ImportBatch(
        collector.entries,
        deletions=[d for d in deletions if collector.get(*d) is None],
        deleted_refs=list(deleted),
        skipped=skips.summary(),
    )


def _load(data: bytes) -> Element:
    if not data.strip():
        raise InvalidInput(f"{WHAT}: the file is empty")
    try:
        root: Element = SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise InvalidInput(
            f"{WHAT}: refused: the document has a DOCTYPE, entity or external reference"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise InvalidInput(f"{WHAT}: malformed XML at line {line} column {column}") from None
    return root


def _record(
    where: str, record: Element, problems: Problems, skips: Skips
) -> tuple[str, Classification, list[tuple[str, str]]] | None:
    """``(reference, classification, fingerprints)`` of one entry; None after a problem."""
    fields = {_local(child): child for child in record}
    entry_id = (_text(fields.get("id")) or "").strip()
    member = fields.get("member")
    member_id = (member.get("id") or "").strip() if member is not None else ""
    if not entry_id or not member_id:
        problems.add(where, "an entry needs an <id> and a <member id=...>")
        return None
    where = f"{where} (id {entry_id!r})"
    kind = "video" if "video" in _local(record).lower() else "image"
    ref = f"ncmec:{member_id}/{kind}/{entry_id}"
    category = (_text(fields.get("classification")) or "").strip().upper() or None
    if category is not None and category not in CLASSIFICATIONS:
        problems.add(where, f"unknown NCMEC classification {category!r} (A1, A2, B1 or B2)")
        return None
    fingerprints: list[tuple[str, str]] = []
    container = fields.get("fingerprints")
    for fingerprint in container if container is not None else ():
        name = _local(fingerprint).lower()
        value = (_text(fingerprint) or "").strip()
        signal_type = FINGERPRINTS.get(name)
        if signal_type is None:
            skips.add(f"{where}/{name}", f"{name} fingerprint (not supported)")
        elif not value:
            skips.add(f"{where}/{name}", f"{name} fingerprint without a value (a link only)")
        else:
            try:
                fingerprints.append((signal_type, normalise(signal_type, value)))
            except InvalidInput as exc:
                problems.add(f"{where}/{name}", exc.message)
                return None
    return ref, Classification.model_validate({"ncmec": category}), fingerprints


def _local(element: Element) -> str:
    """An element's tag without its namespace."""
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def _text(element: Element | None) -> str | None:
    return element.text if element is not None else None
