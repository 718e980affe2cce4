"""API for deconfliction alerts: another organisation touched a target your agency
watches (a hold's URL, domain, hash or report; a series).

Routes only parse and call :mod:`alliance.cooperation`; who may see what is decided there.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.cooperation.schemas import AlertOut
from alliance.validation import RecordId
from alliance.web.guards import DbSession, requires

router = APIRouter(prefix="/api/v1", tags=["cooperation"])


@router.get("/alerts")
def list_alerts(
    session: DbSession,
    unacknowledged: bool = False,
    source: Literal["hold", "series"] | None = None,
    principal: Principal = requires(Permission.ALERT_READ),
) -> list[AlertOut]:
    """Deconfliction alerts to your agency, newest first (at most 500): who touched which
    of your targets, how and when. ``source`` keeps those of holds or of series only."""
    found = cooperation.list_alerts(
        session, principal, unacknowledged_only=unacknowledged, source=source
    )
    return [cooperation.alert_out(alert) for alert in found]


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    alert_id: RecordId, session: DbSession, principal: Principal = requires(Permission.ALERT_MANAGE)
) -> AlertOut:
    """Mark an alert to your agency as seen, recording who did (repeating it changes
    nothing). Only the watching agency acknowledges: another agency's alert you may read
    (the secretariat's view of hold alerts) is 403, one you may not read 404."""
    return cooperation.alert_out(cooperation.acknowledge(session, principal, alert_id))
