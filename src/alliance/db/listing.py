"""A page of a list: the order a user chose among allowed columns, and where the page starts.

Services that return lists that can grow take a :class:`Listing` and apply it with
:func:`ordered`; the web layer builds one from a table's query (alliance.web.tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.sql.elements import ColumnElement

from alliance.errors import InvalidInput

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Listing:
    """Sort by ``sort`` (a column key the service allows), newest-first when descending."""

    sort: str | None = None
    descending: bool = False
    limit: int | None = 50
    offset: int = 0


def ordered(
    stmt: S,
    listing: Listing,
    columns: Mapping[str, ColumnElement[Any]],
    tiebreak: Sequence[ColumnElement[Any]],
) -> S:
    """``stmt`` ordered by the listing's column, then by ``tiebreak`` (so pages never
    overlap or skip rows of equal keys), limited to the listing's page."""
    order: list[ColumnElement[Any]] = []
    if listing.sort is not None:
        column = columns.get(listing.sort)
        if column is None:
            raise InvalidInput(
                f"cannot sort by {listing.sort!r}; choose one of {', '.join(sorted(columns))}",
                field="sort",
            )
        order.append(
            column.desc().nulls_last() if listing.descending else column.asc().nulls_last()
        )
    order.extend(tiebreak)
    stmt = stmt.order_by(*order).offset(listing.offset)
    if listing.limit is not None:
        stmt = stmt.limit(listing.limit)
    return stmt
