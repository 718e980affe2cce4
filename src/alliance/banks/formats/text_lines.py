"""Plain signal lines, as python-threatexchange's local file exchange reads them.

One ``<signal_type> <signal>`` per line, separated by the first space (names as in
:mod:`~alliance.banks.formats.te_signals`)::

    pdq 3f0a...e1
    video_md5 9e107d9d372bb6826bd81d3542a419d6

Import also allows blank lines and ``#`` comment lines. The format holds signals only:
classification and note are not written, and entries import unclassified.
"""

from __future__ import annotations

from collections.abc import Sequence

from alliance.banks.formats import te_signals
from alliance.banks.formats.base import (
    Collector,
    Entry,
    ImportBatch,
    Problems,
    Skips,
    decode_text,
    exported,
)
from alliance.banks.schemas import Classification
from alliance.errors import InvalidInput

WHAT = "text signal list"


def parse(data: bytes, *, max_entries: int) -> ImportBatch:
    text = decode_text(data, WHAT)
    problems = Problems(WHAT)
    collector = Collector(problems, max_entries)
    skips = Skips()
    unclassified = Classification()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        name, _, value = line.partition(" ")
        if not value.strip():
            problems.add(where, "expected '<signal_type> <signal>'")
            continue
        try:
            signal_type = te_signals.our_name(name)
            if signal_type is None:
                skips.add(where, f"{name} signal (not held in hash banks)")
                continue
            value = te_signals.import_value(signal_type, value)
        except InvalidInput as exc:
            problems.add(where, exc.message)
            continue
        collector.add(where, signal_type, value, unclassified)
    problems.check()
    if not collector.entries and not skips.summary():
        raise InvalidInput(f"{WHAT}: no signals in the file")
    return ImportBatch(collector.entries, skipped=skips.summary())


def render(entries: Sequence[Entry]) -> bytes:
    lines = [
        f"{te_signals.their_name(e.signal_type)} {te_signals.export_value(e.signal_type, value)}\n"
        for e, value in exported(entries)
    ]
    return "".join(lines).encode()
