"""The LEA inbox: the industry reports routed to an agency, most urgent first.

Order: a child possibly at risk, then new material (in no bank and no series), then a
known series, then material already in a bank; within each, the oldest confirmation
first. The agency accepts a report (and from then on watches the uploader's account:
another report naming it alerts the agency), declines it with a reason, or forwards it
to another country's police with a note (it leaves this inbox for theirs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import TargetKind
from alliance.countries.names import country_name
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.industry.access import get_report
from alliance.industry.models import (
    IndustryReport,
    ReportStatus,
    ReportStep,
    RoutingBasis,
    StepKind,
)
from alliance.industry.routing import SUBJECT, lea_of, member_country, route_to
from alliance.industry.schemas import DeclineIn, ForwardIn, IndustryReportOut, StepOut
from alliance.industry.submission import account_key

#: What deconfliction calls the watch an accepted report registers.
TARGET_SOURCE = "industry_report"
InboxView = Literal["open", "accepted", "declined"]
INBOX_VIEWS: tuple[InboxView, ...] = ("open", "accepted", "declined")
_VIEW_STATUS = {
    "open": ReportStatus.routed,
    "accepted": ReportStatus.accepted,
    "declined": ReportStatus.declined,
}


def _agency_id(principal: Principal) -> int:
    authorize(principal, Permission.INDUSTRY_REPORT_DECIDE)
    return principal.organisation_id if principal.organisation_id is not None else -1


def list_inbox(
    session: Session, principal: Principal, view: InboxView = "open"
) -> list[IndustryReport]:
    """The agency's reports in ``view``: open ones by priority, then age; decided ones
    newest decision first."""
    agency = _agency_id(principal)
    query = select(IndustryReport).where(
        IndustryReport.lea_organisation_id == agency,
        IndustryReport.status == _VIEW_STATUS[view],
    )
    if view == "open":
        query = query.order_by(
            IndustryReport.priority_rank, IndustryReport.confirmed_at, IndustryReport.id
        )
    else:
        query = query.order_by(IndustryReport.decided_at.desc(), IndustryReport.id.desc())
    return list(session.execute(query).scalars())


def open_count(session: Session, principal: Principal) -> int:
    """Reports waiting for the agency's decision (the navigation's count)."""
    if not principal.can(Permission.INDUSTRY_REPORT_DECIDE) or principal.organisation_id is None:
        return 0
    return int(
        session.execute(
            select(func.count())
            .select_from(IndustryReport)
            .where(
                IndustryReport.lea_organisation_id == principal.organisation_id,
                IndustryReport.status == ReportStatus.routed,
            )
        ).scalar_one()
    )


def _open(session: Session, principal: Principal, reference: str) -> IndustryReport:
    report = get_report(session, principal, reference, Permission.INDUSTRY_REPORT_DECIDE)
    if report.status is not ReportStatus.routed:
        raise Conflict(f"report {report.reference} was already {report.status.value}")
    return report


def _step(
    session: Session,
    principal: Principal,
    report: IndustryReport,
    kind: StepKind,
    note: str | None = None,
) -> None:
    session.add(
        ReportStep(
            report=report,
            kind=kind,
            actor=principal.audit_label,
            organisation_id=principal.organisation_id,
            country_code=report.country_code,
            lea_organisation_id=report.lea_organisation_id,
            note=note,
        )
    )


def accept(session: Session, principal: Principal, reference: str) -> IndustryReport:
    """The agency takes the report; it watches the uploader's account from now on."""
    report = _open(session, principal, reference)
    now = utcnow()
    report.status = ReportStatus.accepted
    report.decided_at = now
    report.decided_by = principal.audit_label
    _step(session, principal, report, StepKind.accepted)
    if report.account_id and principal.organisation_id is not None:
        cooperation.register(
            session,
            organisation_id=principal.organisation_id,
            kind=TargetKind.account,
            value=account_key(report.organisation, report.account_id),
            source=TARGET_SOURCE,
            source_reference=report.reference,
        )
    session.flush()
    record(
        session,
        principal,
        EventType.INDUSTRY_REPORT_ACCEPTED,
        SUBJECT,
        report.reference,
        {"country": report.country_code},
        organisation_id=report.organisation_id,
    )
    return report


def decline(
    session: Session, principal: Principal, reference: str, data: DeclineIn
) -> IndustryReport:
    """The agency declines the report, saying why (the secretariat reads the reason)."""
    report = _open(session, principal, reference)
    report.status = ReportStatus.declined
    report.decided_at = utcnow()
    report.decided_by = principal.audit_label
    report.decline_reason = data.reason
    _step(session, principal, report, StepKind.declined, data.reason)
    session.flush()
    record(
        session,
        principal,
        EventType.INDUSTRY_REPORT_DECLINED,
        SUBJECT,
        report.reference,
        # The reason stays out of the trail, as a referral's does: the agencies read it.
        {"country": report.country_code},
        organisation_id=report.organisation_id,
    )
    return report


def forward(
    session: Session, principal: Principal, reference: str, data: ForwardIn
) -> IndustryReport:
    """Send the report on to ``data.country``'s police, with a note for them."""
    report = _open(session, principal, reference)
    country = member_country(session, data.country)
    if country == report.country_code:
        raise InvalidInput(
            f"the report is already with {country_name(country)}'s police", field="country"
        )
    receiver: Organisation | None = lea_of(session, country)
    if receiver is None:
        raise InvalidInput(
            f"{country_name(country)} ({country}) has no law-enforcement member in the alliance",
            field="country",
        )
    from_country = report.country_code
    _step(session, principal, report, StepKind.forwarded, data.note or None)
    record(
        session,
        principal,
        EventType.INDUSTRY_REPORT_FORWARDED,
        SUBJECT,
        report.reference,
        {"from": from_country, "to": country, "lea": receiver.slug},
        organisation_id=report.organisation_id,
    )
    route_to(session, principal, report, country, RoutingBasis.forwarded, note=data.note or None)
    return report


def get_for_agency(session: Session, principal: Principal, reference: str) -> IndustryReport:
    return get_report(session, principal, reference, Permission.INDUSTRY_REPORT_DECIDE)


def steps_out(steps: Sequence[ReportStep]) -> list[StepOut]:
    return [
        StepOut(
            kind=s.kind,
            at=s.at,
            actor=s.actor,
            country=s.country_code,
            lea=s.lea.name if s.lea else None,
            basis=s.basis,
            outcome=s.outcome,
            note=s.note,
        )
        for s in steps
    ]


def report_out(report: IndustryReport) -> IndustryReportOut:
    return IndustryReportOut(
        reference=report.reference,
        platform=report.organisation.name,
        case_reference=report.case_reference,
        confirmed_at=report.confirmed_at,
        received_at=report.received_at,
        classification=report.classification,
        child_at_risk=report.child_at_risk,
        note=report.note,
        account_id=report.account_id,
        declared_country=report.declared_country,
        ip_addresses=list(report.ip_events),
        hashes=list(report.hashes),
        bank_matches=list(report.bank_matches),
        known_in_bank=report.known_in_bank,
        known_series=bool(report.series_codes),
        priority=report.priority,
        status=report.status,
        country=report.country_code,
        lea=report.lea.name if report.lea else None,
        routing_basis=report.routing_basis,
        routed_at=report.routed_at,
        triage_reason=report.triage_reason,
        decided_at=report.decided_at,
        decline_reason=report.decline_reason,
        outcome=report.outcome,
        outcome_note=report.outcome_note,
        outcome_at=report.outcome_at,
        steps=steps_out(report.steps),
    )
