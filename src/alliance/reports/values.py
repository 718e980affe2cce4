"""Turning counts and estimates into :class:`~alliance.reports.schemas.Value` rows: one per
indicator, country (and alliance-wide) and period, with its n, its status and its
coverage, the same way for every indicator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from alliance.reports.catalogue import get_indicator
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.reports.survival import Survival


def meets(indicator_id: str, value: float | None) -> bool | None:
    """Whether ``value`` meets the indicator's target (None without a target or value)."""
    target = get_indicator(indicator_id).target
    if target is None or value is None:
        return None
    return value >= target.at_least - 1e-12


def from_survival(
    indicator_id: str,
    period: Period,
    estimates: Mapping[str | None, Survival | None],
    keys: Iterable[str | None],
    read: Callable[[Survival], float | None],
    *,
    coverage: float | None,
    not_reached: str,
) -> list[Value]:
    """A time or share indicator read from each key's estimate (a country, or None for the
    alliance): "no data" without clocks, "not reached" when the estimate never gets there."""
    out = []
    for key in keys:
        estimate = estimates.get(key)
        if estimate is None:
            out.append(Value(indicator_id, key, period.key, None, 0, Status.no_data, coverage))
            continue
        value = read(estimate)
        out.append(
            Value(
                indicator_id,
                key,
                period.key,
                None if value is None else round(value, 4),
                estimate.n,
                Status.ok if value is not None else Status.not_reached,
                coverage,
                meets(indicator_id, value),
                () if value is not None else (not_reached,),
            )
        )
    return out


def from_shares(
    indicator_id: str,
    period: Period,
    parts: Mapping[str | None, tuple[int, int]],
    keys: Iterable[str | None],
    *,
    coverage: float | None = None,
) -> list[Value]:
    """A share per key from (how many of them, of how many): "no data" where there are
    none to take a share of."""
    out = []
    for key in keys:
        part, whole = parts.get(key, (0, 0))
        if whole == 0:
            out.append(Value(indicator_id, key, period.key, None, 0, Status.no_data))
        else:
            share = round(part / whole, 4)
            out.append(Value(indicator_id, key, period.key, share, whole, coverage=coverage))
    return out


def from_counts(
    indicator_id: str,
    period: Period,
    counts: Mapping[str | None, int],
    keys: Iterable[str | None],
    *,
    active: set[str | None],
    coverage: float | None,
) -> list[Value]:
    """A count per key: 0 where the key had other records of the kind (``active``), "no
    data" where it had none at all."""
    out = []
    for key in keys:
        count = counts.get(key, 0)
        if count == 0 and key not in active:
            out.append(Value(indicator_id, key, period.key, None, 0, Status.no_data, coverage))
        else:
            out.append(
                Value(indicator_id, key, period.key, float(count), count, Status.ok, coverage)
            )
    return out
