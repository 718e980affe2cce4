"""The deconfliction alerts page: every alert to the agency, from holds and series alike.

The holds page shows the alerts about holds with the same table (``_alerts_table.html``,
rows from :func:`alert_rows`). Decisions are made by :mod:`alliance.cooperation`: who may
read an alert and who may acknowledge it (the watching agency only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, TargetKind
from alliance.cooperation.schemas import AlertOut
from alliance.errors import InvalidInput
from alliance.validation import RecordId
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import label
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
# Pages an acknowledgement may return to; anything else goes to the alerts page.
RETURN_PAGES = ("/alerts", "/holds")
#: The alerts page's filters and their choices (the empty choice: all).
STATUSES = {"open": False, "acknowledged": True}
SOURCES = ("hold", "series")
SOURCE_PAGES = {"hold": "/holds/", "series": "/series/", "industry_report": "/industry-inbox/"}


@dataclass(frozen=True)
class AlertRow:
    alert: AlertOut
    source_text: str  # "Hold H-…", "Series Grey Heron (S-…)"
    source_href: str | None  # the hold's or the series' page
    target_text: str | None  # what of the source was touched, when not the source itself
    subject_href: str | None  # an item's page; other subjects (a seizure) are text
    touched_by: str  # the person or key of the touching agency, in words
    may_acknowledge: bool | None  # None: the page's rule (rows built without a principal)


def _is_item(subject: str | None) -> bool:
    return subject is not None and subject.startswith("I-")  # takedown's item references


def actor_words(audit_label: str) -> str:
    """An audit label (``user:jdoe``, ``api_key:ak_1``, ``system``) as people read it."""
    kind, _, name = audit_label.partition(":")
    if not name:
        return "the system" if kind == "system" else kind
    return {"user": name, "api_key": f"API key {name}", "operator": name}.get(kind, name)


def source_text(out: AlertOut) -> str:
    if out.source == "series":
        name = out.source_label
        return (
            f"Series {name} ({out.source_reference})" if name else f"Series {out.source_reference}"
        )
    return f"{label(out.source)} {out.source_reference}"


def target_text(out: AlertOut) -> str | None:
    if out.target_kind is TargetKind.series and out.target_value == out.source_reference:
        return None  # the series itself: its name says it
    return f"{label(out.target_kind)} {out.target_value}"


def alert_rows(
    alerts: Iterable[DeconflictionAlert], principal: Principal | None = None
) -> list[AlertRow]:
    rows = []
    for alert in alerts:
        out = cooperation.alert_out(alert)
        page = SOURCE_PAGES.get(out.source)
        rows.append(
            AlertRow(
                alert=out,
                source_text=source_text(out),
                source_href=f"{page}{out.source_reference}" if page else None,
                target_text=target_text(out),
                subject_href=f"/items/{out.subject}" if _is_item(out.subject) else None,
                touched_by=actor_words(out.touched_by),
                may_acknowledge=(
                    cooperation.may_acknowledge(principal, alert) if principal else None
                ),
            )
        )
    return rows


CSV_HEADER = (
    "Raised (UTC)",
    "For agency",
    "Watched as",
    "Target",
    "What was touched",
    "Items",
    "Exact",
    "Near",
    "Matched hashes",
    "Touched by agency",
    "Touched by",
    "How",
    "Note they shared",
    "Acknowledged (UTC)",
    "Acknowledged by",
    "Acknowledging agency",
)


def _csv_rows(rows: Sequence[AlertRow]) -> Iterable[Sequence[object]]:
    for row in rows:
        a = row.alert
        yield (
            a.created_at,
            a.organisation,
            row.source_text,
            row.target_text,
            a.subject,
            a.count,
            a.exact_count,
            a.near_count,
            " ".join(
                f"{m.match}:{m.hash}" + (f"@{m.distance}" if m.distance is not None else "")
                for m in a.matches
            ),
            a.touched_by_organisation,
            row.touched_by,
            label(a.action),
            a.shared_note,
            a.acknowledged_at,
            a.acknowledged_by,
            a.acknowledged_by_organisation,
        )


def _choice(value: str, allowed: Iterable[str], name: str, text: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{text}: choose one of the options offered", field=name)
    return value


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: DbSession,
    status: str = "",
    source: str = "",
    match: str = "",
    unacknowledged: bool = False,
    principal: Principal = page_requires(Permission.ALERT_READ),
) -> Response:
    if unacknowledged and not status:
        status = "open"  # the older link, "?unacknowledged=true"
    chosen_status = _choice(status, STATUSES, "status", "Status")
    chosen_source = _choice(source, SOURCES, "source", "Watched as")
    chosen_match = _choice(match, cooperation.MATCH_FILTERS, "match", "Match")
    table, listing = read_table(
        request,
        sortable=cooperation.ALERT_SORTS,
        default="-created",
        filters={"status": status, "source": source, "match": match},
    )
    found = cooperation.list_alerts(
        session,
        principal,
        acknowledged=STATUSES[chosen_status] if chosen_status else None,
        source=chosen_source,
        match=chosen_match,
        listing=listing,
    )
    if table.csv:
        return csv_response("alerts.csv", CSV_HEADER, _csv_rows(alert_rows(found, principal)))
    rows = table.rows(alert_rows(found, principal))
    return render(
        request,
        "alerts.html",
        {
            "rows": rows,
            "table": table,
            "status": status,
            "source": source,
            "match": match,
            "may_acknowledge": principal.can(Permission.ALERT_MANAGE),
            "back": "/alerts",
        },
    )


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[csrf])
def alert_acknowledge(
    request: Request,
    session: DbSession,
    alert_id: RecordId,
    back: Annotated[str, Form(max_length=2000)] = "/alerts",
    principal: Principal = page_requires(Permission.ALERT_MANAGE),
) -> Response:
    """Acknowledge an alert to the agency; another agency's is refused by the service."""
    alert = cooperation.acknowledge(session, principal, alert_id)
    out = cooperation.alert_out(alert)
    return redirect(
        request,
        back if back in RETURN_PAGES else "/alerts",
        notice=f"Alert on {source_text(out)} acknowledged by {out.acknowledged_by}.",
    )
