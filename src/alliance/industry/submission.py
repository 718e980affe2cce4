"""A platform's confirmed case becomes an industry report, routed in the same transaction.

:func:`submit` checks who sends it (a platform's key), makes the report once per case
reference (a resend returns the same report; a different case under a used reference is a
conflict), finds what the alliance already knows of its hashes (a live bank entry, a
known series), routes it (:mod:`alliance.industry.routing`) and touches what it names —
its hashes, its series, the uploader's account — through deconfliction, so an agency
watching any of them is alerted. The media never come here: only what the schema allows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.banks.models import Bank, BankEntry
from alliance.cooperation import services as cooperation
from alliance.db.base import utcnow
from alliance.errors import Conflict, PermissionDenied
from alliance.hosting.geo import GeoDatabase
from alliance.industry.access import get_report
from alliance.industry.models import (
    PRIORITY_RANK,
    IndustryReport,
    Priority,
    ReportStatus,
    ReportStep,
    RoutingBasis,
    StepKind,
)
from alliance.industry.routing import SUBJECT, locate, route_to
from alliance.industry.schemas import IndustryReportIn, OutcomeOut, PlatformReportOut
from alliance.victims.models import MediaRecord, Series

#: The deconfliction action an industry report's touch is recorded as.
TOUCH_ACTION = "industry_report"


def digest_of(data: IndustryReportIn) -> str:
    body = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def account_key(platform: Organisation, account_id: str) -> str:
    """An account as deconfliction names it: account ids are the platform's own."""
    return f"{platform.slug}:{account_id}"


def _platform(session: Session, principal: Principal) -> Organisation:
    authorize(principal, Permission.INDUSTRY_REPORT_SUBMIT)
    if principal.organisation_kind is not OrgKind.industry or principal.organisation_id is None:
        raise PermissionDenied("only a platform (an industry member) sends industry reports")
    return session.get_one(Organisation, principal.organisation_id)


def _matched_entries(session: Session, data: IndustryReportIn) -> list[tuple[str, str]]:
    """(signal type, value) of the live bank entries the platform's matches name (a bank
    by name and an entry by its id at the hub): an upload matched through its query forms
    (a frame trimmed, a mirror image) has hashes of its own that no bank holds exactly."""
    named = [(m.bank, m.entry_id) for m in data.bank_matches if m.entry_id is not None]
    if not named:
        return []
    rows = session.execute(
        select(BankEntry.signal_type, BankEntry.signal_value)
        .join(Bank, Bank.id == BankEntry.bank_id)
        .where(tuple_(Bank.name, BankEntry.id).in_(named), BankEntry.removed_at.is_(None))
    )
    return [(str(kind), str(value)) for kind, value in rows]


def known_in_bank(session: Session, data: IndustryReportIn, matched: list[tuple[str, str]]) -> bool:
    """Whether a live entry of any bank holds one of the report's hashes exactly, or is
    one the platform's matches name (``matched``)."""
    if matched:
        return True
    pairs = [(h.signal_type, h.value) for h in data.hashes]
    found = session.execute(
        select(BankEntry.id)
        .where(
            tuple_(BankEntry.signal_type, BankEntry.signal_value).in_(pairs),
            BankEntry.removed_at.is_(None),
        )
        .limit(1)
    ).first()
    return found is not None


def known_series(
    session: Session, data: IndustryReportIn, matched: list[tuple[str, str]]
) -> list[str]:
    """Codes of the series whose members hold one of the report's hashes, or of the bank
    entries its matches name, exactly."""
    by_type: dict[str, list[str]] = {}
    for kind, value in [*((h.signal_type, h.value) for h in data.hashes), *matched]:
        by_type.setdefault(kind, []).append(value)
    columns = {
        "md5": MediaRecord.md5,
        "sha1": MediaRecord.sha1,
        "sha256": MediaRecord.sha256,
        "pdq": MediaRecord.pdq,
    }
    conditions = [columns[kind].in_(values) for kind, values in by_type.items() if kind in columns]
    if not conditions:
        return []
    codes = session.execute(
        select(Series.code)
        .join(MediaRecord, MediaRecord.series_id == Series.id)
        .where(or_(*conditions), Series.merged_into_id.is_(None))
        .distinct()
    ).scalars()
    return sorted(codes)


def priority_of(child_at_risk: bool, in_bank: bool, series: list[str]) -> Priority:
    if child_at_risk:
        return Priority.child_at_risk
    if series:
        return Priority.known_series
    if not in_bank:
        return Priority.new_material
    return Priority.known_material


@dataclass(frozen=True)
class Submitted:
    report: IndustryReport
    created: bool


def _existing(session: Session, organisation_id: int, case_reference: str) -> IndustryReport | None:
    return session.execute(
        select(IndustryReport).where(
            IndustryReport.organisation_id == organisation_id,
            IndustryReport.case_reference == case_reference,
        )
    ).scalar_one_or_none()


def _same_or_conflict(report: IndustryReport, digest: str) -> Submitted:
    if report.digest != digest:
        raise Conflict(
            f"case {report.case_reference} was already reported ({report.reference}) with "
            "different contents; a new case needs a new case reference",
            field="case_reference",
        )
    return Submitted(report, created=False)


def submit(
    session: Session, principal: Principal, data: IndustryReportIn, geo: GeoDatabase | None
) -> Submitted:
    """Make (or find again) the report of ``data``'s case and route it."""
    platform = _platform(session, principal)
    digest = digest_of(data)
    existing = _existing(session, platform.id, data.case_reference)
    if existing is not None:
        return _same_or_conflict(existing, digest)
    now = utcnow()
    events = data.uploader.ip_addresses
    located = locate(geo, [e.ip for e in events])
    matched = _matched_entries(session, data)
    in_bank = known_in_bank(session, data, matched)
    series = known_series(session, data, matched)
    priority = priority_of(data.child_at_risk, in_bank, series)
    report = IndustryReport(
        reference=references.new("IR"),
        organisation_id=platform.id,
        case_reference=data.case_reference,
        digest=digest,
        confirmed_at=data.confirmed_at,
        received_at=now,
        classification=data.classification,
        child_at_risk=data.child_at_risk,
        note=data.note.strip() or None,
        account_id=data.uploader.account_id,
        declared_country=data.uploader.declared_country,
        ip_events=[
            {"ip": e.ip, "at": e.at.isoformat(), "event": e.event.value, "country": country}
            for e, country in zip(events, located.countries, strict=True)
        ],
        hashes=[{"signal_type": h.signal_type, "value": h.value} for h in data.hashes],
        bank_matches=[m.model_dump(mode="json") for m in data.bank_matches],
        known_in_bank=in_bank,
        series_codes=series,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        status=ReportStatus.triage,
    )
    try:
        # Two sends of one case at once: the second finds the first's row.
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        again = _existing(session, platform.id, data.case_reference)
        if again is None:
            raise
        return _same_or_conflict(again, digest)
    session.add(
        ReportStep(
            report=report,
            kind=StepKind.received,
            at=now,
            actor=principal.audit_label,
            organisation_id=platform.id,
        )
    )
    record(
        session,
        principal,
        EventType.INDUSTRY_REPORT_RECEIVED,
        SUBJECT,
        report.reference,
        {
            "case_reference": data.case_reference,
            "hashes": len(data.hashes),
            "ip_addresses": len(events),
            "priority": priority.value,
        },
    )
    if located.country is not None:
        route_to(session, principal, report, located.country, RoutingBasis.ip_geolocation, now=now)
    elif data.uploader.declared_country is not None:
        route_to(
            session,
            principal,
            report,
            data.uploader.declared_country,
            RoutingBasis.declared_country,
            now=now,
        )
    else:
        reason = (
            "no IP address geolocated and no country declared"
            if events
            else "no IP address given and no country declared"
        )
        route_to(session, principal, report, None, None, no_country_reason=reason, now=now)
    touched = cooperation.Touched(
        hashes={h.key for h in data.hashes},
        series=set(series),
        accounts={account_key(platform, data.uploader.account_id)}
        if data.uploader.account_id
        else set(),
    )
    cooperation.touch(session, principal, touched, TOUCH_ACTION, subject=report.reference)
    return Submitted(report, created=True)


def status_of(session: Session, principal: Principal, reference: str) -> IndustryReport:
    """The platform's own report, by the hub's reference or its case reference."""
    return get_report(session, principal, reference, Permission.INDUSTRY_REPORT_READ)


def list_sent(session: Session, principal: Principal) -> list[IndustryReport]:
    """The platform's reports, newest first (every platform's with ALL reach: the
    secretariat reads where each stands, never their contents)."""
    authorize(principal, Permission.INDUSTRY_REPORT_READ)
    query = select(IndustryReport).order_by(
        IndustryReport.received_at.desc(), IndustryReport.id.desc()
    )
    if principal.reach(Permission.INDUSTRY_REPORT_READ) is not Reach.ALL:
        query = query.where(IndustryReport.organisation_id == (principal.organisation_id or -1))
    return list(session.execute(query.limit(1000)).scalars())


def platform_out(report: IndustryReport, *, created: bool = False) -> PlatformReportOut:
    accepted = report.decided_at if report.status is ReportStatus.accepted else None
    return PlatformReportOut(
        reference=report.reference,
        case_reference=report.case_reference,
        status=report.status,
        country=report.country_code,
        received_at=report.received_at,
        accepted_at=accepted,
        outcome=report.outcome,
        outcome_note=report.outcome_note,
        outcome_at=report.outcome_at,
        outcomes=[
            OutcomeOut(outcome=s.outcome, note=s.note, at=s.at)
            for s in report.steps
            if s.kind is StepKind.outcome and s.outcome is not None
        ],
        created=created,
    )
