"""Words for the codes that reach a page: one label for every enum value shown to people.

Templates write ``{{ item.stage|label }}``; a CSV download uses :func:`label` too, so a
spreadsheet and the page say the same thing. A value without an entry in :data:`LABELS`
reads as its words (``awaiting_assessment`` → "Awaiting assessment"); the table holds
only what that rule gets wrong or what needs more than the code says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alliance.accounts.permissions import ROLE_LABELS

#: Labels by enum class name and value; the class name keeps two enums' equal values apart.
LABELS: dict[tuple[str, str], str] = {
    **{("Role", role.value): text for role, text in ROLE_LABELS.items()},
    # Victim identification
    ("Verdict", "near"): "Near-duplicate",
    ("AgeGroup", "pre_pubescent"): "Pre-pubescent",
}


def label(value: object) -> str:
    """The words for ``value``: an enum member, or a plain string code."""
    if value is None:
        return "—"
    if isinstance(value, Enum):
        raw = str(value.value)
        found = LABELS.get((type(value).__name__, raw))
        if found:
            return found
    else:
        raw = str(value)
    text = raw.replace("_", " ").replace(":", " ").strip()
    return text[:1].upper() + text[1:]


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name`` (IANA, e.g. ``Europe/Berlin``), or UTC."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def when(moment: datetime | date | None, tz: tzinfo = UTC) -> str:
    """A time to the minute in ``tz`` with the zone's abbreviation; a date as it is."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if moment.tzinfo is None:  # stored as UTC (alliance.db.base.utcnow)
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
