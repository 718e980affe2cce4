"""What a platform chooses to give of a case's uploader, as a reviewer types it.

The CyberTipline report and the industry report to the police both name the uploader: the
account's id on the platform, the addresses it used with when and doing what, and the
country it declared. A reviewer gives them on the case page or the command line, an
address as one ``IP@TIME`` or ``IP@TIME@EVENT`` per line (``TIME`` in ISO 8601 with its
zone; ``EVENT`` upload, login, registration or other); the API takes the same lines, or
the fields themselves (:func:`ip_event_given`). They become the industry report's
:class:`~alliance.industry.schemas.UploaderIn`, which NCMEC's report takes too
(:func:`ncmec_event`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from alliance.errors import InvalidInput
from alliance.industry.schemas import IpEvent, IpEventIn, UploaderIn
from alliance.platforms.cybertipline.schemas import EventName

MAX_ADDRESSES = 100
EXAMPLE = "203.0.113.5@2026-12-07T10:41:09Z@upload"

_NCMEC_EVENTS = {
    IpEvent.upload: EventName.UPLOAD,
    IpEvent.login: EventName.LOGIN,
    IpEvent.registration: EventName.REGISTRATION,
    IpEvent.other: EventName.OTHER,
}


def ip_event_fields(text: str) -> dict[str, str]:
    """``IP@TIME`` or ``IP@TIME@EVENT`` as :class:`IpEventIn`'s fields, not yet checked;
    :class:`ValueError` when it is not in two or three parts."""
    parts = text.strip().split("@")
    if len(parts) not in (2, 3):
        raise ValueError(f"{text.strip()!r}: give IP@TIME (and @EVENT), e.g. {EXAMPLE}")
    return {"ip": parts[0], "at": parts[1], **({"event": parts[2]} if len(parts) == 3 else {})}


def ip_event_given(value: object) -> object:
    """An address as the API takes it (pydantic's before-validator): ``IP@TIME[@EVENT]``
    as the page and the CLI take it, or :class:`IpEventIn`'s fields."""
    return ip_event_fields(value) if isinstance(value, str) else value


def ip_event(text: str) -> IpEventIn:
    """``IP@TIME`` or ``IP@TIME@EVENT`` (TIME in ISO 8601 with its zone)."""
    try:
        fields = ip_event_fields(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="ip") from None
    try:
        return IpEventIn.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]) if error["loc"] else "ip"
        said = {"at": "the time", "event": "the event"}.get(where, "")
        message = f"{said}: {error['msg']}" if said else str(error["msg"])
        raise InvalidInput(f"{text.strip()!r}: {message}", field="ip") from None


def ip_events(lines: Iterable[str]) -> list[IpEventIn]:
    """One event per non-blank line (or option); the first bad one refuses them all."""
    given = [line for line in lines if line.strip()]
    found = []
    for number, line in enumerate(given, 1):
        try:
            found.append(ip_event(line))
        except InvalidInput as exc:
            if len(given) == 1:
                raise
            raise InvalidInput(f"line {number}: {exc.message}", field="ip") from None
    if len(found) > MAX_ADDRESSES:
        raise InvalidInput(f"at most {MAX_ADDRESSES} addresses", field="ip")
    return found


def uploader_of(account: str | None, ip_lines: Iterable[str], country: str | None) -> UploaderIn:
    """The uploader as the reports name it; :class:`InvalidInput` with the field at fault."""
    events = ip_events(ip_lines)
    try:
        return UploaderIn(
            account_id=(account or "").strip() or None,
            ip_addresses=events,
            declared_country=(country or "").strip().upper() or None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = {"account_id": "account", "declared_country": "country"}.get(
            str(error["loc"][0]) if error["loc"] else "", "account"
        )
        raise InvalidInput(str(error["msg"]), field=field) from None


def ip_lines(uploader: UploaderIn) -> list[str]:
    """The uploader's addresses as the form shows them again."""
    return [f"{e.ip}@{e.at.isoformat()}@{e.event.value}" for e in uploader.ip_addresses]


def ncmec_event(event: IpEvent) -> EventName:
    """The industry report's event as NCMEC names it."""
    return _NCMEC_EVENTS[event]


#: How the CyberTipline report writes the declared country (alliance.member.cybertipline).
_DECLARED = re.compile(r"Country the account declared: .* \(([A-Z]{2})\)\.")
_EVENTS_BACK = {
    "Upload": IpEvent.upload,
    "Login": IpEvent.login,
    "Registration": IpEvent.registration,
}


def given_before(
    police_report: dict[str, Any] | None, cybertipline_report: dict[str, Any] | None
) -> UploaderIn | None:
    """The uploader as one of the case's reports gave it already (to fill the other's
    form): the industry report's uploader, else the CyberTipline report's reported user."""
    try:
        if police_report and isinstance(police_report.get("uploader"), dict):
            return UploaderIn.model_validate(police_report["uploader"])
        user = (cybertipline_report or {}).get("reported_user")
        if isinstance(user, dict):
            events = [
                {
                    "ip": e["ip"],
                    "at": e["time"],
                    "event": _EVENTS_BACK.get(str(e.get("event")), IpEvent.other),
                }
                for e in user.get("ip_events") or []
            ]
            declared = _DECLARED.search(str(user.get("additional_info") or ""))
            country = declared.group(1) if declared else None
            return UploaderIn.model_validate(
                {
                    "account_id": user.get("account_id"),
                    "ip_addresses": events,
                    "declared_country": country,
                }
            )
    except (ValidationError, KeyError, TypeError):
        return None
    return None
