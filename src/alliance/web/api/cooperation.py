"""API for deconfliction alerts: another organisation touched a target your agency
watches (a hold's URL, domain, hash or report; a series).

Routes only parse and call :mod:`alliance.cooperation`; who may see what is decided there.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.cooperation.schemas import AlertOut
from alliance.errors import InvalidInput
from alliance.validation import RecordId
from alliance.web.guards import DbSession, requires

router = APIRouter(prefix="/api/v1", tags=["cooperation"])


@router.get("/alerts")
def list_alerts(
    session: DbSession,
    unacknowledged: bool = False,
    acknowledged: Annotated[
        bool | None,
        Query(description="true: acknowledged alerts only; false: those not acknowledged yet"),
    ] = None,
    source: Annotated[
        Literal["hold", "series"] | None,
        Query(description="alerts of targets watched for a hold, or for a series"),
    ] = None,
    reference: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="alerts of one hold or series, by its reference (H-…, S-…)",
        ),
    ] = None,
    match: Annotated[
        Literal["exact", "near"] | None,
        Query(description="alerts with exact matches, or with near (perceptual) matches"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    principal: Principal = requires(Permission.ALERT_READ),
) -> list[AlertOut]:
    """Deconfliction alerts to your agency, newest first (at most ``limit``, 500): who
    touched which of your targets, how and when. The filters are the alerts page's:
    ``acknowledged``, ``source`` (holds or series), ``reference`` (one hold or series) and
    ``match``; ``unacknowledged=true`` is the older ``acknowledged=false``."""
    if unacknowledged and acknowledged:
        raise InvalidInput(
            "unacknowledged=true and acknowledged=true ask for opposite alerts: give one",
            field="acknowledged",
        )
    found = cooperation.list_alerts(
        session,
        principal,
        unacknowledged_only=unacknowledged,
        acknowledged=acknowledged,
        source=source,
        reference=reference.strip().upper() if reference else None,
        match=match,
        limit=limit,
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
