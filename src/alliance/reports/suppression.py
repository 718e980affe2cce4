"""What a reader outside a country may see of its figures: small counts hidden.

A value computed from fewer than ``k`` records (``ALLIANCE_DISCLOSURE_K``, 5 by default)
could point at the few cases it counts, so outside the country it describes it is shown
as "fewer than k", value and n alike; the country's own readers see their own figures in
full. For an indicator that adds up (the alliance-wide value is the sum of the countries'
and of the records without a country), one hidden count could be worked out from the
total minus the others, so :func:`alliance.disclosure.suppress_row` hides one more (or the
total), counting the reader's own figure and the records without a country as known.

Figures from the alliance's legal review (origin ``reviewed``) are public already and
are never hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from alliance.disclosure import fewer_than, suppress_row
from alliance.reports.catalogue import get_indicator
from alliance.reports.schemas import Origin, Status, Value

#: The part of an additive total that no listed country holds.
_REST = ""


def _hidden(value: Value, reason: str) -> Value:
    return replace(value, value=None, n=None, meets_target=None, suppressed=reason)


def is_additive(value: Value) -> bool:
    """Whether hiding ``value`` may take hiding another of its row (an indicator that
    adds up, and is not from the public legal review)."""
    indicator = get_indicator(value.indicator)
    return indicator.additive and indicator.origin is not Origin.reviewed


def for_reader(values: Sequence[Value], *, k: int, own_country: str | None = None) -> list[Value]:
    """``values`` as a reader outside every country but ``own_country`` may see them."""
    if k < 1:
        raise ValueError("k is at least 1")
    out: list[Value | None] = [None] * len(values)
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, value in enumerate(values):
        indicator = get_indicator(value.indicator)
        if indicator.origin is Origin.reviewed or (value.country == own_country and value.country):
            out[index] = value
        elif indicator.additive:
            rows[(value.indicator, value.period)].append(index)
        elif value.status is not Status.no_data and (value.n or 0) < k:
            out[index] = _hidden(value, fewer_than(k))
        else:
            out[index] = value
    for indexes in rows.values():
        _additive_row(values, indexes, out, k, own_country)
    return [v for v in out if v is not None]


def _additive_row(
    values: Sequence[Value],
    indexes: list[int],
    out: list[Value | None],
    k: int,
    own_country: str | None,
) -> None:
    """One additive indicator in one period: the countries' counts and the alliance's."""
    alliance = next((i for i in indexes if values[i].country is None), None)
    counted = [i for i in indexes if values[i].country is not None]
    for i in counted:
        if values[i].status is Status.no_data:
            out[i] = values[i]
    counts = {
        values[i].country or "": int(values[i].n or 0)
        for i in counted
        if values[i].status is not Status.no_data
    }
    total = int(values[alliance].n or 0) if alliance is not None else sum(counts.values())
    counts[_REST] = max(total - sum(counts.values()), 0)
    known = {_REST} | ({own_country} if own_country else set())
    row = suppress_row(counts, k, known=known)
    for i in counted:
        if out[i] is None:
            cell = row.cells[values[i].country or ""]
            out[i] = values[i] if not cell.suppressed else _hidden(values[i], cell.reason)
    if alliance is not None:
        out[alliance] = (
            values[alliance]
            if not row.total.suppressed or values[alliance].status is Status.no_data
            else _hidden(values[alliance], row.total.reason)
        )
