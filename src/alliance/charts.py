"""Charts drawn on the server as SVG: no JavaScript, no CDN, nothing fetched by the browser.

Each chart is one ``<svg role="img">`` whose ``<title>`` (and ``<desc>``) a screen reader
announces; every bar carries a text label and a ``<title>`` tooltip, so the figures can be
read without telling colours apart. All text is XML-escaped here: a page may insert the
result as it is.

:func:`horizontal_bars` suits many named groups (takedown times per country);
:func:`columns` suits a time series, optionally with a target line over the columns
(identified victims per year against +10 % on the year before).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

TEXT = "#1b1f24"
MUTED = "#5b6570"
GRID = "#d8dde3"
DARK = "#1d4f91"
LIGHT = "#b8cde8"
TARGET = "#b3261e"
TICKS = (0.0, 0.5, 1.0)  # grid lines at these fractions of the scale

# horizontal_bars: one row per bar, labels on the left.
ROW = 34
LABEL_WIDTH = 170
PLOT_WIDTH = 560
LABEL_CHARS = 28

# columns: one column per bar, the value axis on the left.
AXIS_WIDTH = 56
PLOT_HEIGHT = 220
TOP = 44  # room for the legend
MIN_SLOT, MAX_SLOT, MAX_PLOT_WIDTH = 30.0, 80.0, 720.0

ValueLabel = Callable[[float], str]


@dataclass(frozen=True)
class Bar:
    """One bar. ``value`` sets its length; ``inner`` is an optional thinner bar drawn over
    it (a median inside its 90th percentile). ``note`` is written at the bar's end."""

    label: str
    value: float | None
    tip: str
    note: str = ""
    inner: float | None = None
    inner_tip: str = ""


def scale_max(values: Iterable[float | None]) -> float:
    """The largest value, the top of the scale; 1 when there is nothing above zero."""
    return max((v for v in values if v is not None), default=0.0) or 1.0


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11) -> str:
    fill = TEXT if size >= 12 else MUTED
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, fill: str, tip: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
        f'fill="{fill}"><title>{escape(tip)}</title></rect>'
    )


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    )


def _svg(
    width: float, height: float, title: str, body: Sequence[str], *, testid: str, desc: str = ""
) -> str:
    ident = f"{testid}-title"
    description = f"<desc>{escape(desc)}</desc>" if desc else ""
    return (
        f'<svg class="chart" data-testid={quoteattr(testid)} role="img" '
        f'aria-labelledby="{escape(ident)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(ident)}">{escape(title)}</title>{description}'
        + "".join(body)
        + "</svg>"
    )


def empty(message: str, *, testid: str) -> str:
    """A small chart that says there is nothing to draw."""
    return (
        f'<svg class="chart" data-testid={quoteattr(testid)} role="img" '
        f'aria-label={quoteattr(message)} viewBox="0 0 400 40" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">{_text(10, 25, message, size=13)}</svg>'
    )


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    testid: str,
    axis_label: ValueLabel,
    empty_message: str = "Nothing to show.",
) -> str:
    """One row per bar, labelled on the left, with the value axis at the bottom."""
    if not bars:
        return empty(empty_message, testid=testid)
    top = scale_max(v for b in bars for v in (b.value, b.inner))
    height = 40 + len(bars) * ROW

    def width(value: float | None) -> float:
        return round(PLOT_WIDTH * (value or 0) / top, 1)

    body = []
    for fraction in TICKS:
        x = LABEL_WIDTH + PLOT_WIDTH * fraction
        body.append(_line(x, 10, x, height - 22))
        body.append(_text(x, height - 8, axis_label(top * fraction), anchor="middle"))
    for index, bar in enumerate(bars):
        y = 20 + index * ROW
        body.append(_text(LABEL_WIDTH - 8, y + 15, bar.label[:LABEL_CHARS], anchor="end", size=12))
        body.append(_rect(LABEL_WIDTH, y, width(bar.value), 22, LIGHT, bar.tip))
        if bar.inner is not None or bar.inner_tip:
            body.append(_rect(LABEL_WIDTH, y + 5, width(bar.inner), 12, DARK, bar.inner_tip))
        if bar.note:
            body.append(_text(LABEL_WIDTH + width(bar.value) + 6, y + 15, bar.note))
    return _svg(LABEL_WIDTH + PLOT_WIDTH + 120, height, title, body, testid=testid)


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at least ``value``: a scale top with round ticks."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value)


def columns(
    bars: Sequence[Bar],
    *,
    title: str,
    testid: str,
    axis_label: ValueLabel,
    desc: str = "",
    legend: str = "",
    target: Sequence[float | None] = (),
    target_label: str = "target",
    target_tip: Callable[[int, float], str] | None = None,
    empty_message: str = "Nothing to show.",
) -> str:
    """One column per bar (oldest first) with its label and, below it, its note (the value);
    ``target`` (one value or None per bar) is drawn as dashed lines through markers."""
    if not bars:
        return empty(empty_message, testid=testid)
    top = nice_max(scale_max([*(b.value for b in bars), *target]))
    slot = max(MIN_SLOT, min(MAX_SLOT, MAX_PLOT_WIDTH / len(bars)))
    width = AXIS_WIDTH + slot * len(bars) + 16
    base = TOP + PLOT_HEIGHT

    def y(value: float) -> float:
        return round(base - PLOT_HEIGHT * value / top, 1)

    body = []
    for fraction in TICKS:
        level = y(top * fraction)
        body.append(_line(AXIS_WIDTH, level, width - 8, level))
        body.append(_text(AXIS_WIDTH - 6, level + 4, axis_label(top * fraction), anchor="end"))
    if legend:
        body.append(_rect(AXIS_WIDTH, 10, 12, 10, DARK, legend))
        body.append(_text(AXIS_WIDTH + 18, 19, legend))
    if target:
        x = AXIS_WIDTH + (24 + 6 * len(legend) if legend else 0)
        body.append(_dashed(f"{_n(x)},15 {_n(x + 22)},15"))
        body.append(_text(x + 28, 19, target_label))
    bar_width = round(slot * 0.6, 1)
    runs: list[list[str]] = [[]]  # the target line, broken where there is no target
    for index, bar in enumerate(bars):
        centre = AXIS_WIDTH + slot * (index + 0.5)
        bar_top = y(bar.value or 0)
        body.append(
            _rect(centre - bar_width / 2, bar_top, bar_width, base - bar_top, DARK, bar.tip)
        )
        body.append(_text(centre, base + 16, bar.label, anchor="middle", size=12))
        body.append(_text(centre, base + 31, bar.note, anchor="middle"))
        goal = target[index] if index < len(target) else None
        if goal is None:
            runs.append([])
            continue
        runs[-1].append(f"{_n(centre)},{_n(y(goal))}")
        tip = target_tip(index, goal) if target_tip else f"{target_label}: {goal:g}"
        body.append(
            f'<circle cx="{_n(centre)}" cy="{_n(y(goal))}" r="3.5" fill="{TARGET}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    body.extend(_dashed(" ".join(run)) for run in runs if len(run) > 1)
    return _svg(width, base + 40, title, body, testid=testid, desc=desc)


def _dashed(points: str) -> str:
    return (
        f'<polyline points="{points}" fill="none" stroke="{TARGET}" stroke-width="2" '
        'stroke-dasharray="5 3"/>'
    )


# trend: a small series beside a figure in a table.
TREND_HEIGHT = 36
TREND_SLOT = 11


def trend(points: Sequence[tuple[str, float | None, str]], *, title: str, testid: str) -> str:
    """A small column per point (label, value, what its tooltip says the value is), oldest
    first, with no axis: the shape of a series beside its latest figure. A point without a
    value is a gap; negative values hang below a zero line. The first and last labels are
    written under it."""
    if not any(value is not None for _, value, _ in points):
        return empty("no figures", testid=testid)
    values = [value for _, value, _ in points if value is not None]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    width = TREND_SLOT * max(len(points), 6) + 2  # room for the two labels under it

    def y(value: float) -> float:
        return round(2 + (TREND_HEIGHT - 4) * (high - value) / span, 1)

    zero = y(0.0)
    body = [_line(0, zero, width, zero)]
    for index, (label, value, shown) in enumerate(points):
        x = 1 + TREND_SLOT * index + 1.5
        if value is None:
            body.append(_rect(x, zero - 1, TREND_SLOT - 3, 1, GRID, f"{label}: {shown}"))
            continue
        top, bottom = sorted((y(value), zero))
        body.append(_rect(x, top, TREND_SLOT - 3, max(bottom - top, 1), DARK, f"{label}: {shown}"))
    if len(points) > 1:
        body.append(_text(1, TREND_HEIGHT + 11, points[0][0], size=10))
    body.append(_text(width - 1, TREND_HEIGHT + 11, points[-1][0], anchor="end", size=10))
    svg = _svg(width, TREND_HEIGHT + 14, title, body, testid=testid)
    # A fixed size: it sits in a table cell, not across the page.
    return svg.replace('width="100%"', f'width="{_n(width)}" height="{TREND_HEIGHT + 14}"', 1)
