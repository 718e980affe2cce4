"""The audit log page: every event, in pages, filtered, sorted by time, as CSV; verify
the chain.

Events are shown in words: the event type by its label, the subject by name ("user
jdoe", "organisation Example Hotline", not "user 4"), the actor by who it is, the
details as "Username: jdoe · Role: Hotline analyst".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope
from alliance.accounts.subjects import (
    SUBJECT_TYPE_LABELS,
    describe,
    subject_names,
    subjects_named,
)
from alliance.audit import anchors
from alliance.audit import services as audit
from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent
from alliance.audit.schemas import SignedHead, VerifyResult
from alliance.errors import AllianceError, InvalidInput
from alliance.web import forms
from alliance.web.errors import failed_form
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import LABELS, label, zone
from alliance.web.pages.rendering import TIME_ZONE_COOKIE, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)

#: Groups of event types, by the part before the colon, as the filter offers them.
EVENT_GROUPS: dict[str, str] = {
    "auth": "Logins and access",
    "user": "Users",
    "org": "Organisations",
    "api_key": "API keys",
    "jurisdiction": "Countries",
    "share": "Sharing",
    "bank": "Banks",
    "match": "Matches",
    "report": "Reports",
    "item": "Items",
    "hold": "Holds",
    "deconfliction": "Deconfliction",
    "notice": "Notices",
    "provider": "Hosting providers",
    "series": "Series",
    "victim": "Victims",
    "seizure": "Seizures",
    "media": "Records exchange",
    "referral": "Referrals",
    "member_country": "Member countries",
    "commitment": "Commitments",
    "demo": "Demo",
}
FILTER_FIELDS = {
    "from": "From",
    "to": "To",
    "actor": "Actor",
    "event_type": "Event",
    "subject_type": "Subject type",
    "subject": "Subject",
}
#: Links to the page of a subject, where there is one, for those who may open it.
SUBJECT_PAGES = {
    "item": ("/items/{}", Permission.ITEM_READ),
    "bank": ("/banks/{}", Permission.BANK_READ),
    "series": ("/series/{}", Permission.SERIES_READ),
}
#: Details whose value is an enum's code, by the enum's name in the label table.
DETAIL_ENUMS = {
    "role": "Role",
    "old_role": "Role",
    "new_role": "Role",
    "kind": "OrgKind",
    "classification": "Classification",
    "verdict": "Verdict",
    "stage": "ItemStage",
    "age_group": "AgeGroup",
    "commerciality": "Commerciality",
    "source": "ReportSource",
    "target_kind": "TargetKind",
}
#: The same for details named only within one event ("from" and "to" of a role change).
EVENT_DETAIL_ENUMS = {EventType.USER_ROLE_CHANGED.value: {"from": "Role", "to": "Role"}}


def event_type_options() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(value, text)]) for the event filter: "All user events", then each one."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for prefix, text in EVENT_GROUPS.items():
        members = [e for e in EventType if e.value.split(":", 1)[0] == prefix]
        if not members:
            continue
        words = text if text.split(" ", 1)[0].isupper() else text[:1].lower() + text[1:]
        options = [(f"{prefix}:", f"All {words}")]
        options += [(e.value, label(e)) for e in members]
        groups.append((text, options))
    return groups


def _known_event_filters() -> set[str]:
    return {value for _, options in event_type_options() for value, _ in options}


def actor_words(actor: str) -> str:
    """``user:jdoe`` → "jdoe", ``api_key:alk_…`` → "API key alk_…"."""
    kind, _, name = actor.partition(":")
    if not name:
        return actor
    if kind == "user":
        return name
    if kind == "api_key":
        return f"API key {name}"
    if kind == "operator":
        return f"{name} (server console)"
    return f"{kind.replace('_', ' ')} {name}"


@dataclass(frozen=True)
class Detail:
    label: str
    text: str
    moment: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One event as a page and a CSV show it."""

    seq: int
    occurred_at: datetime
    actor: str
    event: str
    event_type: str
    subject: str
    link: str | None
    details: list[Detail]

    def details_text(self) -> str:
        return "; ".join(
            f"{d.label}: {d.moment.isoformat(timespec='seconds') if d.moment else d.text}"
            for d in self.details
        )


def _value_words(key: str, value: Any, event_type: str = "") -> Detail:
    name = key.replace("_", " ").capitalize()
    if isinstance(value, str) and key.endswith("_at"):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return Detail(name.removesuffix(" at"), "", moment)
    enum = EVENT_DETAIL_ENUMS.get(event_type, {}).get(key) or DETAIL_ENUMS.get(key)
    if enum and isinstance(value, str):
        return Detail(name, label_code(enum, value))
    if isinstance(value, bool):
        return Detail(name, "yes" if value else "no")
    if isinstance(value, list):
        return Detail(name, ", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return Detail(name, json.dumps(value, ensure_ascii=False, sort_keys=True))
    return Detail(name, "—" if value is None else str(value))


def label_code(enum_name: str, value: str) -> str:
    """The label of an enum's value stored as text (a role in an event's details)."""
    return LABELS.get((enum_name, value)) or label(value)


def _event_label(code: str) -> str:
    try:
        return label(EventType(code))
    except ValueError:
        return label(code)


def audit_rows(session: Session, principal: Principal, events: list[AuditEvent]) -> list[AuditRow]:
    """``events`` in words, their subjects named (one query per kind of subject) and
    linked where ``principal`` may open their page (an organisation's administrator reads
    its analysts' events, not the items they assessed)."""
    names = subject_names(session, events)
    rows = []
    for e in events:
        page, needed = SUBJECT_PAGES.get(e.subject_type, (None, None))
        if needed is not None and not principal.can(needed):
            page = None
        try:
            details = [_value_words(k, v, e.event_type) for k, v in audit.details_of(e).items()]
        except (ValueError, AssertionError):
            details = [Detail("Details", e.details)]
        rows.append(
            AuditRow(
                seq=e.seq,
                occurred_at=e.occurred_at,
                actor=actor_words(e.actor),
                event=_event_label(e.event_type),
                event_type=e.event_type,
                subject=describe(e, names),
                link=page.format(e.subject_id) if page else None,
                details=details,
            )
        )
    return rows


def _day(text: str, field: str, tz: tzinfo, *, end: bool = False) -> datetime | None:
    """The start of day ``text`` (YYYY-MM-DD) in the user's time zone, as UTC; for the end
    of a range, the start of the next day."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("give a date as YYYY-MM-DD", field=field) from None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _filters(request: Request) -> dict[str, str]:
    """The filter form's values (``since``/``until``/``subject_id`` are older names)."""
    q = request.query_params
    return {
        "from": (q.get("from") or q.get("since") or "").strip(),
        "to": (q.get("to") or q.get("until") or "").strip(),
        "actor": (q.get("actor") or "").strip(),
        "event_type": (q.get("event_type") or "").strip(),
        "subject_type": (q.get("subject_type") or "").strip(),
        "subject": (q.get("subject") or q.get("subject_id") or "").strip(),
    }


def _audit_filter(
    session: Session, principal: Principal, values: dict[str, str], tz: tzinfo
) -> audit.AuditFilter:
    since = _day(values["from"], "from", tz)
    until = _day(values["to"], "to", tz, end=True)
    if since and until and until <= since:
        raise InvalidInput("the end of the range comes before its start", field="to")
    event_type = values["event_type"]
    if event_type and event_type not in _known_event_filters():
        raise InvalidInput("choose an event from the list", field="event_type")
    subject_type = values["subject_type"]
    if subject_type and subject_type not in SUBJECT_TYPE_LABELS:
        raise InvalidInput("choose a subject type from the list", field="subject_type")
    subject = values["subject"]
    return audit.AuditFilter(
        actor=values["actor"] or None,
        event_type=event_type or None,
        subject_type=subject_type or None,
        subjects=subjects_named(session, subject, subject_type or None) if subject else None,
        since=since,
        until=until,
        organisation_id=organisation_scope(principal, Permission.AUDIT_READ),
    )


@router.get("/audit")
def audit_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.AUDIT_READ),
) -> Response:
    return _audit_page(request, session, principal)


def _audit_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    verification: VerifyResult | None = None,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> Response:
    values = _filters(request)
    table, listing = read_table(
        request, sortable=audit.EVENT_SORTS, default="-when", filters=values
    )
    table.path = "/audit"  # also when answering the verification, whose URL signs a head
    tz = zone(request.cookies.get(TIME_ZONE_COOKIE))
    rows: list[AuditRow] = []
    filter_form = forms.Form(values=values, labels=FILTER_FIELDS, name="filter")
    try:
        flt = _audit_filter(session, principal, values, tz)
    except InvalidInput as exc:
        filter_form = forms.failed(exc, values, labels=FILTER_FIELDS, name="filter")
        status_code = max(status_code, 400)
    else:
        events = audit.list_events(session, flt, listing=listing)
        if table.csv:
            return _csv(audit_rows(session, principal, events))
        rows = audit_rows(session, principal, events[: table.page_size])
        table.rows(events)
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "table": table,
            "f": filter_form,
            "event_groups": event_type_options(),
            "subject_types": sorted(SUBJECT_TYPE_LABELS.items(), key=lambda kv: kv[1].lower()),
            "verification": verification,
            "form": form or forms.Form(),
            "can_verify": principal.can(Permission.AUDIT_VERIFY),
        },
        status_code=status_code,
    )


def _csv(rows: list[AuditRow]) -> Response:
    return csv_response(
        "audit-log.csv",
        ["Number", "When (UTC)", "Actor", "Event", "Event code", "Subject", "Details"],
        [
            [r.seq, r.occurred_at, r.actor, r.event, r.event_type, r.subject, r.details_text()]
            for r in rows
        ],
    )


@router.get("/audit/verify")
def audit_verify_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.AUDIT_VERIFY),
) -> Response:
    return _verified(request, session, principal, [])


@router.post("/audit/verify", dependencies=[Depends(csrf_protect)])
def audit_verify_against_file(
    request: Request,
    session: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    principal: Principal = page_requires(Permission.AUDIT_VERIFY),
) -> Response:
    """Verify against an exported anchor file, as `alliance audit verify --anchor`."""
    try:
        if file is None or not file.filename:
            raise InvalidInput(
                "choose a file of signed heads (from “Download signed heads” or "
                "`alliance audit anchor export`)",
                field="file",
            )
        try:
            given = anchors.parse_file(file.file.read(), file.filename)
        except AllianceError as exc:
            exc.field = exc.field or "file"
            raise
        return _verified(request, session, principal, given)
    except AllianceError as exc:
        form, status = failed_form(
            exc, {"file": ""}, labels={"file": "Signed heads"}, name="verify"
        )
        return _audit_page(request, session, principal, form=form, status_code=status)


@router.get("/audit/anchors.jsonl")
def audit_anchors_file(
    session: DbSession, principal: Principal = page_requires(Permission.AUDIT_READ)
) -> Response:
    """The signed heads as the JSON lines `alliance audit anchor export` writes."""
    text = "".join(f"{line}\n" for line in anchors.export_lines(session))
    return PlainTextResponse(
        text,
        media_type="application/jsonl",
        headers={"Content-Disposition": 'attachment; filename="audit-anchors.jsonl"'},
    )


def _verified(
    request: Request, session: Session, principal: Principal, given: list[SignedHead]
) -> Response:
    state = app_state(request)
    result = anchors.verify_and_sign(
        session, state.signer, state.settings.platform_name, given=given
    )
    return _audit_page(request, session, principal, verification=result)
