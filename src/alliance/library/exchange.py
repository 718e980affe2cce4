"""Importing and exporting the library as CSV or JSON: all or nothing.

Both formats carry the same fields (:data:`FIELDS`); in CSV the lists (audiences,
languages, tags, links) are separated by ``|``. An import checks every row before writing
any; the first bad row is named by its line (CSV: the file's line, header being line 1;
JSON: the entry's position, from 1) and nothing is written. Imported entries are drafts
unless ``publish`` (the secretariat's). The export is the published library, or every
entry for the secretariat (``include_drafts``), with adoptions (read-only on import).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.errors import InvalidInput
from alliance.library.entries import Checked, add_checked, check_entry, entry_out, set_status
from alliance.library.models import LibraryEntry
from alliance.library.schemas import EntryIn
from alliance.library.vocabulary import EntryStatus

Format = Literal["csv", "json"]
FIELDS = (
    "kind",
    "title",
    "summary",
    "country",
    "organisation",
    "audiences",
    "languages",
    "tags",
    "starts_on",
    "ends_on",
    "reach",
    "links",
)
LISTS = ("audiences", "languages", "tags", "links")
MAX_ROWS = 200_000


def _rows(text: str, fmt: Format) -> list[tuple[int, dict[str, Any]]]:
    """(line, fields) of each entry of the file."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {exc.lineno}: not JSON ({exc.msg})", field="file") from None
        if isinstance(data, dict):
            data = data.get("entries")
        if not isinstance(data, list):
            raise InvalidInput('give a JSON list of entries (or {"entries": [...]})', field="file")
        out = []
        for n, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise InvalidInput(f"entry {n}: not an object", field="file")
            out.append((n, item))
        return out
    reader = csv.DictReader(io.StringIO(text))
    missing = {"kind", "title"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput(f"line 1: the header lacks {', '.join(sorted(missing))}", field="file")
    rows = []
    for row in reader:
        fields: dict[str, Any] = {k: (v or "") for k, v in row.items() if k in FIELDS}
        for name in LISTS:
            fields[name] = [v.strip() for v in str(fields.get(name, "")).split("|") if v.strip()]
        for name in ("starts_on", "ends_on"):
            if not fields.get(name):
                fields[name] = None
        rows.append((reader.line_num, fields))
    return rows


def import_library(
    session: Session, principal: Principal, text: str, fmt: Format, *, publish: bool = False
) -> list[LibraryEntry]:
    """Add every entry of ``text`` or none; the first fault names its line."""
    authorize(principal, Permission.LIBRARY_EDIT)
    if publish:
        authorize(principal, Permission.LIBRARY_PUBLISH)
    rows = _rows(text, fmt)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} entries per import", field="file")
    where = "line" if fmt == "csv" else "entry"
    organisations: dict[str, Organisation] = {}
    checked: list[Checked] = []
    for line, fields in rows:
        try:
            data = EntryIn.model_validate(fields)
            checked.append(check_entry(session, principal, data, organisations=organisations))
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"{where} {line}: {name}: {first['msg']}", field="file") from None
        except InvalidInput as exc:
            raise InvalidInput(
                f"{where} {line}: {exc.field or 'entry'}: {exc.message}", field="file"
            ) from None
    made = []
    for item in checked:
        entry = add_checked(session, principal, item, audit=False)
        if publish:
            set_status(entry, EntryStatus.published)
        made.append(entry)
    session.flush()
    record(
        session,
        principal,
        EventType.LIBRARY_IMPORTED,
        "library",
        "import",
        {
            "format": fmt,
            "count": len(made),
            "published": publish,
            "first_id": made[0].id if made else None,
            "last_id": made[-1].id if made else None,
        },
    )
    return made


def export_library(
    session: Session, principal: Principal, fmt: Format, *, include_drafts: bool = False
) -> str:
    """The library as ``fmt``: published entries, or all of them (the secretariat's)."""
    authorize(principal, Permission.LIBRARY_READ)
    stmt = select(LibraryEntry).order_by(LibraryEntry.id)
    if include_drafts:
        authorize(principal, Permission.LIBRARY_PUBLISH)
    else:
        stmt = stmt.where(LibraryEntry.status == EntryStatus.published)
    found = session.execute(stmt).scalars().all()
    record(
        session,
        principal,
        EventType.LIBRARY_EXPORTED,
        "library",
        "export",
        {"format": fmt, "count": len(found), "drafts": include_drafts},
    )
    outs = [entry_out(e) for e in found]
    if fmt == "json":
        return json.dumps(
            {
                "format": "alliance.library",
                "version": 1,
                "entries": [
                    {
                        **{k: v for k, v in o.model_dump(mode="json").items() if k in FIELDS},
                        "id": o.id,
                        "status": o.status,
                        "adopted_by": [
                            {"organisation": a.organisation, "notes": a.notes} for a in o.adoptions
                        ],
                    }
                    for o in outs
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FIELDS, "id", "status", "adopted_by"])
    for o in outs:
        data = o.model_dump(mode="json")
        cells: list[Any] = [
            "|".join(data[name]) if name in LISTS else (data[name] or "") for name in FIELDS
        ]
        cells += [o.id, o.status, "|".join(a.organisation for a in o.adoptions)]
        writer.writerow(cells)
    return buffer.getvalue()
