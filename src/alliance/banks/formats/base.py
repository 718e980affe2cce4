"""What every format module shares: the import result, error collection, signal checks.

A parser reads the whole input into an :class:`ImportBatch` or raises one
:class:`~alliance.errors.InvalidInput` naming where (``line 7``, ``value[3].MD5``,
``images/image[2]``) and what went wrong, for the first :data:`MAX_REPORTED_PROBLEMS`
problems. More entries than the caller's ``max_entries`` raise
:class:`~alliance.errors.PayloadTooLarge` as soon as the limit is passed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from alliance.banks.schemas import Classification, EntryIn, EntryOut
from alliance.errors import InvalidInput, PayloadTooLarge
from alliance.hashing import signals

#: How many problems one error message names before "... and N more".
MAX_REPORTED_PROBLEMS = 5

#: Default limit on the entries one import may hold. An import is applied as one
#: all-or-nothing ``add_entries`` call, which holds an ORM object per entry in one
#: transaction: 100,000 is what it does in seconds on both back ends
#: (``banks.services.MAX_ENTRIES_PER_CALL`` is this same number).
DEFAULT_MAX_ENTRIES = 100_000

#: What the renderers accept: bank entries as stored, or entries about to be added.
Entry = EntryIn | EntryOut


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """Everything one file holds, ready for ``banks.services.add_entries``.

    ``entries``: the signals to add or update, in file order, without duplicates.
    ``deletions``: ``(signal_type, signal)`` pairs the source withdrew (NCMEC tombstones).
    ``deleted_refs``: source record references withdrawn without their fingerprints (an
    NCMEC ``deletedImage`` names only its entry); entries imported from that record carry
    the same reference as their ``note`` (``ncmec:<member>/<id>``).
    ``skipped``: one line per kind of thing the format carried and we do not hold, with a
    count and the first place it occurred (``"3 × PhotoDNA hash (not supported), first at
    value[0].PhotoDNA"``).
    """

    entries: list[EntryIn]
    deletions: list[tuple[str, str]] = field(default_factory=list)
    deleted_refs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Problems:
    """Collects problems by place; :meth:`check` raises them as one InvalidInput."""

    def __init__(self, what: str, limit: int = MAX_REPORTED_PROBLEMS) -> None:
        self.what = what
        self.limit = limit
        self.count = 0
        self.first: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.first) < self.limit:
            self.first.append(f"{where}: {message}" if where else message)

    def check(self) -> None:
        if not self.count:
            return
        if self.count == 1:
            raise InvalidInput(f"{self.what}: {self.first[0]}")
        more = self.count - len(self.first)
        tail = f"; and {more} more" if more else ""
        raise InvalidInput(f"{self.what}: {self.count} errors: " + "; ".join(self.first) + tail)


class Skips:
    """Counts what an import leaves out, by reason, remembering where each reason first occurred."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, str]] = {}

    def add(self, where: str, reason: str) -> None:
        count, first = self._seen.get(reason, (0, where))
        self._seen[reason] = (count + 1, first)

    def summary(self) -> list[str]:
        return [
            f"{count} × {reason}, first at {first}" for reason, (count, first) in self._seen.items()
        ]


class Collector:
    """Builds the entry list: normalises signals, drops exact repeats, enforces the limit.

    A signal seen twice with different classification or note is an error (the file
    contradicts itself) unless ``last_wins`` (NCMEC: a later record updates an earlier one).
    """

    def __init__(self, problems: Problems, max_entries: int, *, last_wins: bool = False) -> None:
        self.problems = problems
        self.max_entries = max_entries
        self.last_wins = last_wins
        self._by_signal: dict[tuple[str, str], tuple[str, EntryIn]] = {}

    def add(
        self,
        where: str,
        signal_type: str,
        value: str,
        classification: Classification,
        note: str | None = None,
    ) -> EntryIn | None:
        """Check and keep one entry; on a problem record it and return None."""
        try:
            normalised = normalise(signal_type, value)
        except InvalidInput as exc:
            self.problems.add(where, exc.message)
            return None
        try:
            entry = EntryIn(
                signal_type=signal_type,
                signal=normalised,
                classification=classification,
                note=note,
            )
        except ValidationError as exc:
            self.problems.add(where, describe_validation(exc))
            return None
        key = (signal_type, normalised)
        previous = self._by_signal.get(key)
        if previous is not None and not self.last_wins:
            first_where, first = previous
            if first != entry:
                self.problems.add(
                    where,
                    f"{signal_type} {_short(normalised)} also at {first_where} "
                    "with a different classification or note",
                )
            return None
        if previous is not None:
            del self._by_signal[key]  # re-insert: the update takes the later position
        elif len(self._by_signal) >= self.max_entries:
            raise PayloadTooLarge(
                f"{self.problems.what}: more than {self.max_entries} entries; "
                "split the file or raise the limit"
            )
        self._by_signal[key] = (where, entry)
        return entry

    def discard(self, signal_type: str, value: str) -> None:
        self._by_signal.pop((signal_type, value), None)

    def get(self, signal_type: str, value: str) -> EntryIn | None:
        """The entry kept for a (normalised) signal, if any."""
        found = self._by_signal.get((signal_type, value))
        return found[1] if found is not None else None

    @property
    def entries(self) -> list[EntryIn]:
        return [entry for _, entry in self._by_signal.values()]


def normalise(signal_type: str, value: str) -> str:
    """The canonical text of a signal (raises InvalidInput with the reason)."""
    return signals.get(signal_type).validate(value.strip())


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 text of an input (a BOM is allowed); empty or blank input is an error, and
    so is a NUL byte (no text holds one; PostgreSQL cannot store it)."""
    if (at := data.find(b"\x00")) >= 0:
        raise InvalidInput(f"{what}: not text (a NUL byte at offset {at})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise InvalidInput(f"{what}: the file is empty")
    return text


def csv_rows(
    text: str, problems: Problems, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of a CSV text, each with the line it starts on (a quoted cell may
    span lines). Malformed CSV is a problem that ends the reading: the reader cannot
    resynchronise."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last = 0
    try:
        for row in reader:
            start, last = last + 1, reader.line_num
            # The first cell is seldom empty: test it before the generator.
            if row and (row[0].strip() or any(cell.strip() for cell in row)):
                yield start, row
    except csv.Error as exc:
        problems.add(f"line {reader.line_num}", f"malformed CSV: {exc}")


def exported(entries: Sequence[Entry]) -> Iterator[tuple[Entry, str]]:
    """The entries to export, each with its canonical signal text.

    A removed (tombstoned) bank entry is left out; an invalid signal raises InvalidInput.
    """
    for number, entry in enumerate(entries, start=1):
        if isinstance(entry, EntryOut) and entry.removed_at is not None:
            continue
        try:
            yield entry, normalise(entry.signal_type, entry.signal)
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number}: {exc.message}") from None


def describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(parts)


def _short(value: str) -> str:
    return value if len(value) <= 72 else value[:69] + "..."
