"""Reading hash files: the input of ``alliance index build`` and ``alliance match``.

A hash file holds the values of one signal type (``pdq`` unless said otherwise), in two
line formats, mixable, blank lines and ``#`` comments ignored:

* JSON lines as ``alliance hash`` writes them, read by
  :meth:`~alliance.hashing.record.HashRecord.from_json` for that one signal (so
  ``pdq_variants`` and ``pdq_frames`` come along, validated; other signals are not
  read). A line without the signal is passed over when it records an ``error`` or when
  the signal does not apply to its file (a video's line in a PDQ file, a picture's in a
  vPDQ file), refused otherwise;
* plain text, for signals whose value is one fixed-length hex string (PDQ, MD5...):
  ``HEX`` (the id is the line number) or ``ID<TAB>HEX``.

Every entry is a :class:`~alliance.hashing.record.HashRecord` named by
:meth:`~alliance.hashing.record.HashRecord.name` (its id, else its path, else its line
number). A bad line stops the read with an error naming the file and line: an index is
built from all of a file or none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.record import HashRecord
from alliance.hashing.signal_type import SignalHash
from alliance.hashing.signals import get

#: How many lines, of at most how many characters, :func:`looks_like_hashfile` reads (a
#: vPDQ line holds a frame a second: two hours are about 600,000 characters).
_HEAD_LINES = 20
_MAX_LINE = 1 << 23


def read_hashfile(path: Path, signal: str = "pdq") -> Iterator[HashRecord]:
    """Every entry of the hash file ``path`` that has a ``signal`` value."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 — closed by the with below
    except OSError as exc:
        raise InvalidMedia(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                record = parse_line(line, number, signal)
                if record is not None:
                    yield record
        except InvalidHash as exc:
            raise InvalidHash(f"{path}:{number}: {exc.message}") from exc
        except UnicodeDecodeError as exc:
            raise InvalidHash(f"{path}: not a text hash file ({exc.reason})") from exc


def parse_line(line: str, number: int, signal: str = "pdq") -> HashRecord | None:
    """The entry on one line, or None for a blank, comment or passed-over line."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    kind = get(signal)
    if text.startswith("{"):
        record = HashRecord.from_json(text, only=(signal,))
        if record.get(signal) is None:
            if record.error is not None or not kind.applies_to(record.path):
                return None
            raise InvalidHash(f'a JSON line needs a "{signal}" field')
        return record if record.name() else replace(record, id=str(number))
    if kind.hex_length is None:
        raise InvalidHash(f'{signal} hashes are read from JSON lines with a "{signal}" field')
    identifier, tab, value = text.rpartition("\t")
    return HashRecord(
        id=identifier.strip() if tab else str(number),
        signals={signal: SignalHash(kind.validate(value))},
    )


def looks_like_hashfile(path: Path, signal: str = "pdq") -> bool:
    """True if one of the first lines of ``path`` is a ``signal`` entry and none before it
    is bad: a hash file, not a media file (which is not UTF-8 text, or not hash lines)."""
    try:
        with open(path, encoding="utf-8") as handle:
            for number in range(1, _HEAD_LINES + 1):
                line = handle.readline(_MAX_LINE)
                if not line or (len(line) == _MAX_LINE and not line.endswith("\n")):
                    return False
                if parse_line(line, number, signal) is not None:
                    return True
    except (OSError, UnicodeDecodeError, InvalidHash):
        return False
    return False
