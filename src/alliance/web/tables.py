"""Tables that can grow: sortable columns, pages, filters kept in every link, a CSV download.

A list page reads its query with :func:`read_table` (``sort=key`` or ``sort=-key``,
``page=N``, ``format=csv``), passes the :class:`~alliance.db.listing.Listing` to its
service, and renders with ``_tables.html``'s macros; or, for ``format=csv``, answers with
:func:`csv_response` of the same rows (all pages, up to :data:`CSV_MAX_ROWS`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from alliance.db.listing import Listing
from alliance.errors import InvalidInput
from alliance.web.labels import label

PAGE_SIZE = 50
CSV_MAX_ROWS = 50_000
#: Query parameters a table owns; every other one is a filter kept in its links.
OWN_PARAMS = ("sort", "page", "format")


@dataclass
class Table:
    """What the table macros need: the order, the page and the filters to keep."""

    path: str
    sort: str | None
    descending: bool
    page: int
    page_size: int
    filters: dict[str, str] = field(default_factory=dict)
    has_next: bool = False
    total: int | None = None
    csv: bool = False

    def _link(self, **own: str | int | None) -> str:
        params = {k: v for k, v in self.filters.items() if v}
        for key, value in own.items():
            if value is not None and value != "" and not (key == "page" and value == 1):
                params[key] = str(value)
        return self.path + ("?" + urlencode(params) if params else "")

    def _sort_param(self) -> str | None:
        if self.sort is None:
            return None
        return ("-" if self.descending else "") + self.sort

    def sort_link(self, key: str) -> str:
        """Sort by ``key``; a second click on the sorted column reverses it."""
        descending = self.sort == key and not self.descending
        return self._link(sort=("-" if descending else "") + key)

    def aria_sort(self, key: str) -> str | None:
        if self.sort != key:
            return None
        return "descending" if self.descending else "ascending"

    def page_link(self, page: int) -> str:
        return self._link(sort=self._sort_param(), page=page)

    def csv_link(self) -> str:
        return self._link(sort=self._sort_param(), format="csv")

    def rows(self, items: Sequence[object]) -> Sequence[object]:
        """The rows of this page from a service's answer of up to ``page_size + 1``."""
        self.has_next = len(items) > self.page_size
        return items[: self.page_size]


def read_table(
    request: Request,
    *,
    sortable: Iterable[str],
    default: str | None = None,
    filters: Mapping[str, str] | None = None,
    page_size: int = PAGE_SIZE,
) -> tuple[Table, Listing]:
    """The table a list page shows and the listing to ask its service for.

    ``default`` is the order without a choice (``"-received"`` for newest first). A page
    asks for one row more than it shows, to know whether there is a next page; a CSV asks
    for everything up to :data:`CSV_MAX_ROWS`.
    """
    query = request.query_params
    raw = query.get("sort") or default or ""
    key = raw.removeprefix("-") or None
    allowed = set(sortable)
    if key is not None and key not in allowed:
        raise InvalidInput(
            f"this table cannot be sorted by {key!r}; choose one of {', '.join(sorted(allowed))}",
            field="sort",
        )
    page_text = query.get("page") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= 1_000_000:
        raise InvalidInput("page must be a whole number from 1", field="page")
    page = int(page_text)
    wants_csv = query.get("format") == "csv"
    table = Table(
        path=request.url.path,
        sort=key,
        descending=raw.startswith("-"),
        page=page,
        page_size=page_size,
        filters={k: v for k, v in (filters or {}).items() if v},
        csv=wants_csv,
    )
    if wants_csv:
        listing = Listing(sort=key, descending=table.descending, limit=CSV_MAX_ROWS, offset=0)
    else:
        listing = Listing(
            sort=key,
            descending=table.descending,
            limit=page_size + 1,
            offset=(page - 1) * page_size,
        )
    return table, listing


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula: reported text (a URL, a
    # description) must not (CWE-1236). A leading apostrophe makes it text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV download: ``header`` then ``rows``; enums as their labels, times in UTC ISO."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
