"""Where an industry report goes: the police of the uploader's country.

The country is the one the uploader's IP addresses geolocate to (the most of them; on a
tie the first located), else the country the account declared; the report goes to that
country's law-enforcement member. Without a country, or when the country has no
law-enforcement member in the alliance, it waits in the secretariat's triage with the
reason, until the secretariat assigns a country. An agency may forward a report to
another country's police; the same :func:`route_to` does every routing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Jurisdiction, Organisation
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import AuditActor
from alliance.countries.names import country_name
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.hosting.geo import GeoDatabase
from alliance.industry.access import get_report
from alliance.industry.models import (
    IndustryReport,
    ReportStatus,
    ReportStep,
    RoutingBasis,
    StepKind,
)
from alliance.industry.schemas import AssignIn

SUBJECT = "industry_report"


@dataclass(frozen=True)
class Located:
    """Each IP address's country (None where the database says nothing) and the country
    they point to."""

    countries: list[str | None]
    country: str | None


def locate(geo: GeoDatabase | None, ips: Sequence[str]) -> Located:
    """The country most of ``ips`` geolocate to; on a tie, the first located of them."""
    if geo is None:
        return Located([None] * len(ips), None)
    countries = [geo.lookup(ip).country_code for ip in ips]
    counts = Counter(c for c in countries if c is not None)
    if not counts:
        return Located(countries, None)
    most = max(counts.values())
    first = next(c for c in countries if c is not None and counts[c] == most)
    return Located(countries, first)


def lea_of(session: Session, country: str) -> Organisation | None:
    """The law-enforcement member of ``country`` (the first registered, if several)."""
    return session.execute(
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.law_enforcement,
            Organisation.country_code == country,
            Organisation.active.is_(True),
        )
        .order_by(Organisation.id)
        .limit(1)
    ).scalar_one_or_none()


def route_to(
    session: Session,
    actor: AuditActor,
    report: IndustryReport,
    country: str | None,
    basis: RoutingBasis | None,
    *,
    note: str | None = None,
    no_country_reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Send ``report`` to ``country``'s police, or to the secretariat's triage when there
    is no country or no agency there; records the step and the audit event."""
    now = now or utcnow()
    lea = lea_of(session, country) if country is not None else None
    report.country_code = country
    report.routing_basis = basis
    report.routed_at = now
    report.decided_at = None
    report.decided_by = None
    report.decline_reason = None
    if lea is None:
        if country is None:
            reason = no_country_reason or "no IP address geolocated and no country declared"
        else:
            reason = (
                f"{country_name(country)} ({country}) has no law-enforcement member in the alliance"
            )
        report.status = ReportStatus.triage
        report.lea_organisation_id = None
        report.triage_reason = reason
        kind, event = StepKind.triage, EventType.INDUSTRY_REPORT_TRIAGED
        details: dict[str, object] = {"country": country, "reason": reason}
    else:
        report.status = ReportStatus.routed
        report.lea_organisation_id = lea.id
        report.triage_reason = None
        kind, event = StepKind.routed, EventType.INDUSTRY_REPORT_ROUTED
        details = {"country": country, "lea": lea.slug, "basis": basis}
    session.add(
        ReportStep(
            report=report,
            kind=kind,
            at=now,
            actor=actor.audit_label,
            organisation_id=actor.organisation_id,
            country_code=country,
            lea_organisation_id=lea.id if lea else None,
            basis=basis,
            note=note or (report.triage_reason if lea is None else None),
        )
    )
    session.flush()
    # Filed under the reporting platform: the trail of its report, whoever acted.
    record(
        session,
        actor,
        event,
        SUBJECT,
        report.reference,
        details,
        organisation_id=report.organisation_id,
    )


def member_country(session: Session, country: str, field: str = "country") -> str:
    if session.get(Jurisdiction, country) is None:
        raise InvalidInput(f"{country} is not a country of the alliance", field=field)
    return country


def triage_count(session: Session, principal: Principal) -> int:
    """Reports waiting in the secretariat's triage (the navigation's count)."""
    if not principal.can(Permission.INDUSTRY_REPORT_TRIAGE):
        return 0
    return int(
        session.execute(
            select(func.count())
            .select_from(IndustryReport)
            .where(IndustryReport.status == ReportStatus.triage)
        ).scalar_one()
    )


def list_triage(session: Session, principal: Principal) -> list[IndustryReport]:
    """Reports no country's police received, oldest first (a child at risk before)."""
    authorize(principal, Permission.INDUSTRY_REPORT_TRIAGE)
    return list(
        session.execute(
            select(IndustryReport)
            .where(IndustryReport.status == ReportStatus.triage)
            .order_by(
                IndustryReport.child_at_risk.desc(),
                IndustryReport.received_at,
                IndustryReport.id,
            )
        ).scalars()
    )


def assign(
    session: Session, principal: Principal, reference: str, data: AssignIn
) -> IndustryReport:
    """The secretariat routes a report from its triage to ``data.country``'s police; a
    country still without an agency keeps it in triage, with the new reason."""
    authorize(principal, Permission.INDUSTRY_REPORT_TRIAGE)
    report = get_report(session, principal, reference, Permission.INDUSTRY_REPORT_TRIAGE)
    if report.status is not ReportStatus.triage:
        raise Conflict(f"report {report.reference} is not in triage (it is {report.status.value})")
    country = member_country(session, data.country)
    if lea_of(session, country) is None:
        raise InvalidInput(
            f"{country_name(country)} ({country}) has no law-enforcement member in the "
            "alliance: choose another country",
            field="country",
        )
    route_to(session, principal, report, country, RoutingBasis.secretariat, note=data.note or None)
    return report
