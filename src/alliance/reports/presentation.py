"""How a report's values read: in their unit, with their n and coverage, and what a value
that is not shown says instead. One wording for the page, the PDF and the command line."""

from __future__ import annotations

from alliance import charts
from alliance.reports.catalogue import get_indicator
from alliance.reports.schemas import Indicator, Origin, Status, Unit, Value

STATUS_TEXT = {
    Status.no_data: "no data",
    Status.not_reached: "not reached",
    Status.undefined: "—",
}
ORIGIN_TEXT = {
    Origin.computed: "computed from the workflows",
    Origin.self_reported: "self-reported by the member",
    Origin.reviewed: "from the alliance's legal review",
}


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def in_unit(unit: Unit, value: float) -> str:
    if unit is Unit.share:
        return f"{value * 100:.0f} %"
    if unit is Unit.change:
        return f"{value * 100:+.1f} %"
    if unit is Unit.hours:
        return f"{value:,.1f} h"
    if unit is Unit.days:
        return f"{value:,.1f} days"
    return number(value)


def value_text(value: Value, indicator: Indicator | None = None) -> str:
    """The value as a reader sees it: "30.0 h", "62 %", "fewer than 5", "no data"."""
    if value.suppressed:
        return value.suppressed if value.suppressed.startswith("fewer") else "hidden"
    if value.value is None:
        return STATUS_TEXT.get(value.status, "—")
    return in_unit((indicator or get_indicator(value.indicator)).unit, value.value)


def basis_text(value: Value) -> str:
    """What the value rests on: "n = 7", with its coverage when not all records could be
    used ("93 % with a country")."""
    if value.n is None or value.status is Status.no_data:
        return ""
    text = f"n = {value.n:,}"
    if value.coverage is not None and value.coverage < 1:
        text += f", {value.coverage * 100:.0f} % attributed"
    return text


def trend_chart(indicator: Indicator, trend: list[Value], *, testid: str) -> str:
    """The years' values as a small column chart, from the first year with a figure."""
    first = next((i for i, v in enumerate(trend) if v.value is not None), len(trend))
    points = [(v.period, v.value, value_text(v, indicator)) for v in trend[first:]]
    if not points:
        return ""
    return charts.trend(points, title=f"{indicator.name}, each year", testid=testid)
