"""python-threatexchange / HMA dataset CSV: ``signal_type,signal_str,collab,category,tags``.

``threatexchange dataset --csv`` writes these five columns; we add a sixth, ``note``, which
readers that go by the header ignore. Import takes the header if the first row starts with
``signal_type`` (columns then go by name, in any order) and positional columns otherwise.

Mapping (signal type names and vPDQ strings: :mod:`~alliance.banks.formats.te_signals`):

- ``category``: python-threatexchange's opinion, ``POSITIVE_CLASS`` on export. Import
  takes ``POSITIVE_CLASS``, ``INVESTIGATION_SEED`` and empty; ``NEGATIVE_CLASS`` rows (known
  false positives) are skipped and counted, never imported as hashes to match.
- ``tags`` (space separated) carry our classification: ``baseline``, ``iwf:A``..``iwf:C``,
  ``ncmec:A1``..``ncmec:B2``, ``vics:0``..``vics:4``. Other tags are ignored on import; a
  malformed or contradictory classification tag (``iwf:D``, ``vics:1 vics:2``) is an error.
- ``collab`` is ignored on import and written empty.
- ``note``: the entry's note, written as is.

Our export re-imports losslessly; vPDQ frame numbers are the exception (renumbered).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from alliance.banks.formats import te_signals
from alliance.banks.formats.base import (
    Collector,
    Entry,
    ImportBatch,
    Problems,
    Skips,
    csv_rows,
    decode_text,
    exported,
)
from alliance.banks.formats.tags import classification_from_tags, classification_tags
from alliance.errors import InvalidInput

WHAT = "CSV file"
COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags", "note")
CATEGORIES = frozenset({"", "POSITIVE_CLASS", "INVESTIGATION_SEED", "NEGATIVE_CLASS"})

_FIELD_LIMIT = 2_100_000  # a vPDQ of a long video (EntryIn allows 2,000,000 characters)


def parse(data: bytes, *, max_entries: int) -> ImportBatch:
    text = decode_text(data, WHAT)
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    problems = Problems(WHAT)
    collector = Collector(problems, max_entries)
    skips = Skips()
    index: dict[str, int] | None = None
    for number, row in csv_rows(text, problems):
        if index is None:
            index = _header(row)
            if index is not None:
                continue
            index = {name: i for i, name in enumerate(COLUMNS)}
        _row(f"line {number}", row, index, collector, skips)
    problems.check()
    if not collector.entries and not skips.summary():
        raise InvalidInput(f"{WHAT}: no signals in the file")
    return ImportBatch(collector.entries, skipped=skips.summary())


def _header(row: list[str]) -> dict[str, int] | None:
    names = [cell.strip().lower() for cell in row]
    if not names or names[0] != "signal_type":
        return None
    index = {name: i for i, name in enumerate(names) if name}
    if "signal_str" not in index:
        raise InvalidInput(f"{WHAT}: line 1: the header has no signal_str column")
    return index


def _row(
    where: str, row: list[str], index: dict[str, int], collector: Collector, skips: Skips
) -> None:
    def cell(name: str) -> str:
        i = index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    name, value = cell("signal_type"), cell("signal_str")
    if not name or not value:
        collector.problems.add(where, "expected at least signal_type and signal_str")
        return
    category = cell("category").upper()
    if category not in CATEGORIES:
        known = ", ".join(sorted(c for c in CATEGORIES if c))
        collector.problems.add(where, f"unknown category {category!r} (known: {known})")
        return
    try:
        signal_type = te_signals.our_name(name)
        if signal_type is None:
            skips.add(where, f"{name} signal (not held in hash banks)")
            return
        if category == "NEGATIVE_CLASS":
            skips.add(where, "NEGATIVE_CLASS row (a known false positive, not imported)")
            return
        value = te_signals.import_value(signal_type, value)
        classification = classification_from_tags(cell("tags").replace(",", " ").split())
    except InvalidInput as exc:
        collector.problems.add(where, exc.message)
        return
    note_at = index.get("note")
    note = row[note_at] if note_at is not None and note_at < len(row) else ""
    collector.add(where, signal_type, value, classification, note or None)


def render(entries: Sequence[Entry]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry, value in exported(entries):
        writer.writerow(
            (
                te_signals.their_name(entry.signal_type),
                te_signals.export_value(entry.signal_type, value),
                "",
                "POSITIVE_CLASS",
                " ".join(classification_tags(entry.classification)),
                entry.note or "",
            )
        )
    return out.getvalue().encode()
