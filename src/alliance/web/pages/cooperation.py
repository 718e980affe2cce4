"""The deconfliction alerts page: every alert to the agency, from holds and series alike.

The holds page shows the alerts about holds with the same table (``_alerts_table.html``,
rows from :func:`alert_rows`). Decisions are made by :mod:`alliance.cooperation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert
from alliance.cooperation.schemas import AlertOut
from alliance.validation import RecordId
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
# Pages an acknowledgement may return to; anything else goes to the alerts page.
RETURN_PAGES = ("/alerts", "/holds")


@dataclass(frozen=True)
class AlertRow:
    alert: AlertOut
    source_href: str | None  # the hold's page; series have none here
    subject_href: str | None  # an item's page; other subjects (a seizure) are text


def _is_item(subject: str | None) -> bool:
    return subject is not None and subject.startswith("I-")  # takedown's item references


def alert_rows(alerts: list[DeconflictionAlert]) -> list[AlertRow]:
    rows = []
    for alert in alerts:
        out = cooperation.alert_out(alert)
        rows.append(
            AlertRow(
                alert=out,
                source_href=f"/holds/{out.source_reference}" if out.source == "hold" else None,
                subject_href=f"/items/{out.subject}" if _is_item(out.subject) else None,
            )
        )
    return rows


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: DbSession,
    unacknowledged: bool = False,
    principal: Principal = page_requires(Permission.ALERT_READ),
) -> Response:
    found = cooperation.list_alerts(session, principal, unacknowledged_only=unacknowledged)
    return render(
        request,
        "alerts.html",
        {
            "rows": alert_rows(found),
            "unacknowledged": unacknowledged,
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
    cooperation.acknowledge(session, principal, alert_id)
    return redirect(request, back if back in RETURN_PAGES else "/alerts")
