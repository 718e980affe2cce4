"""Audit subjects by name: "user jdoe", "organisation Example Hotline", not "user 4".

Events name users and organisations by row id (a name can change, an id cannot); a page
shows the current name, and a filter by name finds the ids it stands for. Other subjects
are named by their reference already (items, holds, series...). It lives with the
accounts, whose records it names (the audit package stands below every domain).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.models import ApiKey, Jurisdiction, Organisation, User
from alliance.audit.models import AuditEvent

#: Subject types in words, as a sentence's noun ("hosting provider acme").
SUBJECT_TYPE_LABELS: dict[str, str] = {
    "api_key": "API key",
    "bank": "bank",
    "bank_entry": "bank entry",
    "demo": "demo",
    "hold": "hold",
    "item": "item",
    "jurisdiction": "country",
    "media": "media",
    "notice": "notice",
    "organisation": "organisation",
    "provider": "hosting provider",
    "referral": "referral",
    "report": "report",
    "request": "request",
    "seizure": "seizure",
    "series": "series",
    "user": "user",
    "victim": "victim",
}


def subject_type_label(subject_type: str) -> str:
    return SUBJECT_TYPE_LABELS.get(subject_type, subject_type.replace("_", " "))


def _ids(events: Iterable[AuditEvent], subject_type: str) -> set[str]:
    return {e.subject_id for e in events if e.subject_type == subject_type}


def _numbers(values: set[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit() and len(v) < 10}


def subject_names(session: Session, events: Iterable[AuditEvent]) -> dict[tuple[str, str], str]:
    """The name of each subject of ``events`` that is stored by id or code, by
    (subject type, subject id); one query per kind of subject."""
    events = list(events)
    names: dict[tuple[str, str], str] = {}
    users = _numbers(_ids(events, "user"))
    if users:
        for user_id, username in session.execute(
            select(User.id, User.username).where(User.id.in_(users))
        ):
            names["user", str(user_id)] = username
    orgs = _numbers(_ids(events, "organisation"))
    if orgs:
        for org_id, org_name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))
        ):
            names["organisation", str(org_id)] = org_name
    codes = _ids(events, "jurisdiction")
    if codes:
        rows = session.execute(
            select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))
        )
        names.update({("jurisdiction", code): name for code, name in rows})
    prefixes = _ids(events, "api_key")
    if prefixes:
        rows = session.execute(
            select(ApiKey.prefix, ApiKey.name).where(ApiKey.prefix.in_(prefixes))
        )
        names.update({("api_key", prefix): f"{name} ({prefix})" for prefix, name in rows})
    return names


def describe(event: AuditEvent, names: dict[tuple[str, str], str]) -> str:
    """The event's subject in words: "user jdoe"; an unknown id stays as it is."""
    key = (event.subject_type, event.subject_id)
    return f"{subject_type_label(event.subject_type)} {names.get(key, event.subject_id)}"


def subjects_named(
    session: Session, text: str, subject_type: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The (subject type, subject id) pairs ``text`` may stand for: the id or reference
    itself (of any type, ``"*"``, without ``subject_type``), a username, an
    organisation's name or short name, a country's name, an API key's name; only of
    ``subject_type`` when given."""
    text = text.strip()

    def wanted(kind: str) -> bool:
        return subject_type in (None, "", kind)

    found: set[tuple[str, str]] = set()
    found.add((subject_type or "*", text))  # "*": of any type
    lowered = text.lower()
    if wanted("user"):
        user_ids = session.execute(select(User.id).where(User.username == lowered)).scalars()
        found.update(("user", str(i)) for i in user_ids)
    if wanted("organisation"):
        org_ids = session.execute(
            select(Organisation.id).where(
                or_(Organisation.slug == lowered, func.lower(Organisation.name) == lowered)
            )
        ).scalars()
        found.update(("organisation", str(i)) for i in org_ids)
    if wanted("jurisdiction"):
        rows = session.execute(
            select(Jurisdiction.code).where(func.lower(Jurisdiction.name) == lowered)
        ).scalars()
        found.update(("jurisdiction", code) for code in rows)
        found.add(("jurisdiction", text.upper()))
    if wanted("api_key"):
        rows = session.execute(
            select(ApiKey.prefix).where(func.lower(ApiKey.name) == lowered)
        ).scalars()
        found.update(("api_key", prefix) for prefix in rows)
    return tuple(sorted(found))
