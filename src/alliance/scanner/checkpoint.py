"""The results of a bulk scan, which are also its checkpoint.

One JSON line per object scanned (``alliance scan``'s record with ``etag`` and ``size``),
appended a batch at a time and fsynced before the next batch is taken. Opening the file
again reads which (object, version) pairs are done, so a rerun scans only the rest: a
killed driver or a lost worker loses at most the batches in flight, and nothing is
written twice because a line is the only mark that its object is done. A last line cut
by a crash is dropped on opening (its object is scanned again).

Every object listed gets a line, those that could not be read included (``error``): a
rerun does not retry them. An object changed since (another ETag, another size and time
for a local file) is a new version and is scanned again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from alliance.errors import InvalidInput
from alliance.scanner.objects import ObjectRef


@dataclass
class ResultsFile:
    path: Path
    #: (name, etag) of every object with a line.
    done: set[tuple[str, str]] = field(default_factory=set)
    #: Lines read on opening: results of earlier runs.
    earlier: int = 0

    @classmethod
    def open(cls, path: Path) -> ResultsFile:
        """The file at ``path``, created if missing; a torn last line is cut off."""
        results = cls(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch()
            return results
        data = path.read_bytes()
        whole = data.rfind(b"\n") + 1
        if whole < len(data):
            with path.open("r+b") as handle:
                handle.truncate(whole)
                handle.flush()
                os.fsync(handle.fileno())
        for number, line in enumerate(data[:whole].splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                results.done.add((str(record["path"]), str(record["etag"])))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise InvalidInput(
                    f"{path}, line {number}: not a result of a bulk scan; "
                    "give --output a new file or the results of the same scan"
                ) from None
            results.earlier += 1
        return results

    def is_done(self, name: str, ref: ObjectRef) -> bool:
        return (name, ref.etag) in self.done

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Write one batch's lines durably; they mark their objects done."""
        lines = list(records)
        if not lines:
            return
        with self.path.open("ab") as handle:
            handle.write(b"".join(orjson.dumps(r) + b"\n" for r in lines))
            handle.flush()
            os.fsync(handle.fileno())
        self.done.update((str(r["path"]), str(r["etag"])) for r in lines)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every line, earlier runs' included."""
        with self.path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield orjson.loads(line)
