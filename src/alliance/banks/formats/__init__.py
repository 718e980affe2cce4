"""Interchange formats for hash banks: parse a file into entries, render entries to a file.

Pure: no database, no web. One module per format; this module is the interface::

    batch = formats.parse("vics", data)              # ImportBatch, or one InvalidInput
    data = formats.render("csv", bank_entries)       # bytes

========  ==============================================  ======  ======
name      format                                          import  export
========  ==============================================  ======  ======
vics      Project VIC VICS JSON 1.3 / 2.0                 yes     yes (2.0 #Media)
csv       python-threatexchange / HMA dataset CSV          yes     yes
txt       python-threatexchange ``<signal_type> <hash>``  yes     yes
ncmec     NCMEC hash-sharing API v2 ``queryResult`` XML    yes     no
========  ==============================================  ======  ======

Parsing is all-or-nothing: the whole input is read, and either every entry comes back or
one :class:`~alliance.errors.InvalidInput` names the first problems by line, JSON path or
XML element. What each format maps, and what it cannot hold, is in each module's
docstring and in ``docs/bank-formats.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alliance.banks.formats import csv_dataset, ncmec, text_lines, vics
from alliance.banks.formats.base import DEFAULT_MAX_ENTRIES, Entry, ImportBatch
from alliance.errors import InvalidInput

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "FORMATS",
    "Format",
    "ImportBatch",
    "parse",
    "render",
]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    description: str
    media_type: str
    suffix: str
    parser: Callable[..., ImportBatch] | None
    renderer: Callable[[Sequence[Entry]], bytes] | None

    @property
    def can_import(self) -> bool:
        return self.parser is not None

    @property
    def can_export(self) -> bool:
        return self.renderer is not None


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "vics",
            "Project VIC VICS JSON (1.3 and 2.0; exports 2.0 #Media)",
            "application/json",
            ".json",
            vics.parse,
            vics.render,
        ),
        Format(
            "csv",
            "python-threatexchange / HMA dataset CSV (signal_type,signal_str,collab,category,tags)",
            "text/csv",
            ".csv",
            csv_dataset.parse,
            csv_dataset.render,
        ),
        Format(
            "txt",
            "python-threatexchange signal lines (<signal_type> <signal>)",
            "text/plain",
            ".txt",
            text_lines.parse,
            text_lines.render,
        ),
        Format(
            "ncmec",
            "NCMEC hash-sharing API v2 entries XML (import only; includes deletions)",
            "application/xml",
            ".xml",
            ncmec.parse,
            None,
        ),
    )
}


def get(name: str) -> Format:
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        known = ", ".join(FORMATS)
        raise InvalidInput(f"unknown bank file format {name!r} (known: {known})") from None


def parse(fmt: str, data: bytes, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> ImportBatch:
    """Read a whole file of format ``fmt``: everything in it, or one InvalidInput.

    More than ``max_entries`` entries raise :class:`~alliance.errors.PayloadTooLarge`
    (bound the byte size before calling: the file is held in memory).
    """
    found = get(fmt)
    if found.parser is None:
        importable = ", ".join(f.name for f in FORMATS.values() if f.can_import)
        raise InvalidInput(f"format {found.name!r} cannot be imported (importable: {importable})")
    result: ImportBatch = found.parser(data, max_entries=max_entries)
    return result


def render(fmt: str, entries: Sequence[Entry]) -> bytes:
    """Write entries (bank entries or entries to add) in format ``fmt``.

    Removed (tombstoned) bank entries are left out. An empty sequence gives a valid, empty
    document (which ``parse`` refuses as empty).
    """
    found = get(fmt)
    if found.renderer is None:
        exportable = ", ".join(f.name for f in FORMATS.values() if f.can_export)
        raise InvalidInput(f"format {found.name!r} cannot be exported (exportable: {exportable})")
    return found.renderer(entries)
