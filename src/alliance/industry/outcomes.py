"""What came of an accepted report — an investigation opened, an arrest, no action — told
to the reporting platform. The agency records it, and may record a later one (an arrest
after the investigation opened); the platform reads every one, with the agency's note."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.audit import EventType, record
from alliance.db.base import utcnow
from alliance.errors import Conflict
from alliance.industry.access import get_report
from alliance.industry.models import IndustryReport, ReportStatus, ReportStep, StepKind
from alliance.industry.routing import SUBJECT
from alliance.industry.schemas import OutcomeIn


def record_outcome(
    session: Session, principal: Principal, reference: str, data: OutcomeIn
) -> IndustryReport:
    """The agency that accepted the report says what came of it."""
    report = get_report(session, principal, reference, Permission.INDUSTRY_REPORT_DECIDE)
    if report.status is not ReportStatus.accepted:
        raise Conflict(
            f"report {report.reference} is {report.status.value}: accept it before recording "
            "an outcome"
        )
    now = utcnow()
    note = data.note.strip() or None
    report.outcome = data.outcome
    report.outcome_note = note
    report.outcome_at = now
    session.add(
        ReportStep(
            report=report,
            kind=StepKind.outcome,
            at=now,
            actor=principal.audit_label,
            organisation_id=principal.organisation_id,
            country_code=report.country_code,
            lea_organisation_id=report.lea_organisation_id,
            outcome=data.outcome,
            note=note,
        )
    )
    session.flush()
    record(
        session,
        principal,
        EventType.INDUSTRY_REPORT_OUTCOME,
        SUBJECT,
        report.reference,
        {"outcome": data.outcome.value},
        organisation_id=report.organisation_id,
    )
    return report
