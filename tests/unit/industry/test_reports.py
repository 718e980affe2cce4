"""Industry reports on the hub: routing, idempotence, deconfliction, the inbox, outcomes
and the time to acceptance."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.audit.models import AuditEvent
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, TargetKind
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.hosting.geo import GeoDatabase
from alliance.industry import inbox, metrics, outcomes, routing, submission
from alliance.industry.models import Outcome, Priority, ReportStatus, RoutingBasis
from alliance.industry.schemas import (
    AssignIn,
    DeclineIn,
    ForwardIn,
    IndustryReportIn,
    OutcomeIn,
)
from alliance.victims import series as series_
from alliance.victims.formats import MediaType
from alliance.victims.models import MediaRecord
from alliance.victims.schemas import SeriesIn
from tests import factories
from tests.unit.industry.conftest import Alliance, case


def sent(session: Session, alliance: Alliance, geo: GeoDatabase | None, data: IndustryReportIn):
    return submission.submit(session, alliance.platform, data, geo).report


def test_routed_by_the_country_most_ips_geolocate_to(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    data = case(ips=("203.0.113.5", "198.51.100.7", "192.0.2.1", "192.0.2.2"), declared="DE")
    report = sent(session, alliance, geo, data)

    assert (report.status, report.country_code, report.routing_basis) == (
        ReportStatus.routed,
        "NL",
        RoutingBasis.ip_geolocation,
    )
    assert report.lea_organisation_id == alliance.nl_police.organisation_id
    assert [e["country"] for e in report.ip_events] == [None, "DE", "NL", "NL"]
    assert [r.reference for r in inbox.list_inbox(session, alliance.nl_police)] == [
        report.reference
    ]
    assert inbox.list_inbox(session, alliance.de_police) == []


def test_a_tie_goes_to_the_first_located(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    report = sent(session, alliance, geo, case(ips=("198.51.100.7", "192.0.2.1")))
    assert report.country_code == "DE"


def test_routed_by_the_declared_country_when_no_ip_geolocates(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    report = sent(session, alliance, geo, case(ips=("203.0.113.5",), declared="DE"))
    assert (report.country_code, report.routing_basis) == ("DE", RoutingBasis.declared_country)
    assert report.lea_organisation_id == alliance.de_police.organisation_id


def test_an_ip_that_does_not_geolocate_goes_to_the_secretariats_triage(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    report = sent(session, alliance, geo, case(ips=("203.0.113.5",)))
    assert report.status is ReportStatus.triage
    assert report.country_code is None and report.lea_organisation_id is None
    assert report.triage_reason == "no IP address geolocated and no country declared"
    assert [r.reference for r in routing.list_triage(session, alliance.secretariat)] == [
        report.reference
    ]
    # Nobody's inbox holds it.
    assert inbox.list_inbox(session, alliance.nl_police) == []

    # The secretariat assigns a country; the report reaches its police.
    with pytest.raises(InvalidInput, match="no law-enforcement member"):
        routing.assign(session, alliance.secretariat, report.reference, AssignIn(country="FR"))
    routing.assign(session, alliance.secretariat, report.reference, AssignIn(country="NL"))
    assert (report.status, report.routing_basis) == (ReportStatus.routed, RoutingBasis.secretariat)
    assert routing.list_triage(session, alliance.secretariat) == []
    with pytest.raises(NotFound):  # out of triage: no longer the secretariat's to read
        routing.assign(session, alliance.secretariat, report.reference, AssignIn(country="DE"))


def test_a_country_without_police_in_the_alliance_goes_to_triage(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    report = sent(session, alliance, geo, case(ips=("2001:db8:f::9",)))
    assert (report.status, report.country_code) == (ReportStatus.triage, "FR")
    assert report.triage_reason is not None and "no law-enforcement member" in report.triage_reason


def test_without_a_geolocation_database_the_declared_country_routes(
    session: Session, alliance: Alliance
) -> None:
    report = sent(session, alliance, None, case(declared="NL"))
    assert (report.country_code, report.routing_basis) == ("NL", RoutingBasis.declared_country)


def test_a_resend_returns_the_same_report_and_a_different_case_is_refused(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    data = case("CASE-7")
    first = submission.submit(session, alliance.platform, data, geo)
    again = submission.submit(session, alliance.platform, data, geo)
    assert first.created and not again.created
    assert again.report.id == first.report.id
    with pytest.raises(Conflict, match="different contents"):
        submission.submit(session, alliance.platform, case("CASE-7", sha256="b" * 64), geo)
    # Another platform's case of the same reference is its own report.
    other = submission.submit(session, alliance.other_platform, data, geo)
    assert other.created and other.report.id != first.report.id
    received = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == "industry_report:received")
    ).scalars()
    assert len(list(received)) == 2


def test_media_are_refused_by_name_anywhere() -> None:
    body = case().model_dump(mode="json")
    for where in (body, body["uploader"], body["hashes"][0]):
        where["media"] = "aGVsbG8="
        with pytest.raises(InvalidInput, match="never the media"):
            IndustryReportIn.model_validate(body)
        del where["media"]
    body["image_base64"] = "aGVsbG8="
    with pytest.raises(InvalidInput, match="image_base64"):
        IndustryReportIn.model_validate(body)
    del body["image_base64"]
    body["hashes"][0]["value"] = "not-hex"
    with pytest.raises(ValidationError):
        IndustryReportIn.model_validate(body)


def test_only_a_platform_submits(session: Session, alliance: Alliance, geo: GeoDatabase) -> None:
    with pytest.raises(PermissionDenied):
        submission.submit(session, alliance.nl_police, case(), geo)
    with pytest.raises(PermissionDenied, match="only a platform"):
        submission.submit(session, alliance.secretariat, case(), geo)


def test_an_agency_watching_the_hash_or_the_account_is_alerted(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    watcher = alliance.de_police.organisation_id
    assert watcher is not None
    cooperation.register(
        session,
        organisation_id=watcher,
        kind=TargetKind.hash,
        value="sha256:" + "c" * 64,
        source="hold",
        source_reference="H-TEST0001",
    )
    report = sent(session, alliance, geo, case("CASE-H", sha256="c" * 64))
    [alert] = session.execute(
        select(DeconflictionAlert).where(DeconflictionAlert.organisation_id == watcher)
    ).scalars()
    assert (alert.action, alert.subject) == ("industry_report", report.reference)

    # NL accepts a report: it watches the uploader's account from then on.
    first = sent(session, alliance, geo, case("CASE-A1", account="uploader-9"))
    inbox.accept(session, alliance.nl_police, first.reference)
    second = sent(session, alliance, geo, case("CASE-A2", account="uploader-9", sha256="d" * 64))
    [account_alert] = session.execute(
        select(DeconflictionAlert).where(
            DeconflictionAlert.organisation_id == alliance.nl_police.organisation_id
        )
    ).scalars()
    assert account_alert.subject == second.reference
    assert account_alert.target.kind == TargetKind.account
    # The same account id at another platform is another account.
    submission.submit(session, alliance.other_platform, case("CASE-A3", account="uploader-9"), geo)
    assert (
        len(
            list(
                session.execute(
                    select(DeconflictionAlert).where(
                        DeconflictionAlert.organisation_id == alliance.nl_police.organisation_id
                    )
                ).scalars()
            )
        )
        == 1
    )


def test_a_hash_of_a_known_series_marks_the_report_and_alerts_the_series_agency(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    created = series_.create_series(session, alliance.de_police, SeriesIn(name="Grey Owl"))
    pdq = factories.pdq_hex(7)
    session.add(MediaRecord(pdq=pdq, media_type=MediaType.image, series_id=created.id))
    session.flush()
    report = sent(session, alliance, geo, case("CASE-S", pdq=pdq))
    assert report.series_codes == [created.code]
    assert report.priority is Priority.known_series
    alerts = session.execute(
        select(DeconflictionAlert).where(
            DeconflictionAlert.organisation_id == alliance.de_police.organisation_id
        )
    ).scalars()
    assert [a.target.source_reference for a in alerts] == [created.code]


def test_the_inbox_puts_a_child_at_risk_first_then_new_material_then_series(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    bank = factories.bank(session)
    from alliance.banks.models import BankEntry

    session.add(
        BankEntry(
            bank_id=bank.id,
            signal_type="sha256",
            signal_value="e" * 64,
            contributor_organisation_id=bank.owner_organisation_id,
            changed_seq=1,
        )
    )
    created = series_.create_series(session, alliance.de_police, SeriesIn(name="Red Kite"))
    session.add(MediaRecord(sha256="f" * 64, media_type=MediaType.image, series_id=created.id))
    session.flush()
    known = sent(session, alliance, geo, case("K", sha256="e" * 64, confirmed_hours_ago=9))
    in_series = sent(session, alliance, geo, case("S", sha256="f" * 64, confirmed_hours_ago=8))
    new_old = sent(session, alliance, geo, case("N1", sha256="1" * 64, confirmed_hours_ago=7))
    new_young = sent(session, alliance, geo, case("N2", sha256="2" * 64, confirmed_hours_ago=1))
    at_risk = sent(
        session,
        alliance,
        geo,
        case("R", sha256="e" * 64, child_at_risk=True, confirmed_hours_ago=0.5),
    )
    assert known.priority is Priority.known_material and known.known_in_bank
    order = [r.reference for r in inbox.list_inbox(session, alliance.nl_police)]
    assert order == [
        at_risk.reference,
        new_old.reference,
        new_young.reference,
        in_series.reference,
        known.reference,
    ]
    assert inbox.open_count(session, alliance.nl_police) == 5


def test_accept_decline_forward_and_the_outcome_the_platform_sees(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    report = sent(session, alliance, geo, case("CASE-F", confirmed_hours_ago=10))
    # Another agency may not touch it; a reason is needed to decline.
    with pytest.raises(NotFound):
        inbox.accept(session, alliance.de_police, report.reference)
    with pytest.raises(ValidationError):
        DeclineIn(reason="  ")
    with pytest.raises(Conflict, match="accept it before"):
        outcomes.record_outcome(
            session, alliance.nl_police, report.reference, OutcomeIn(outcome=Outcome.arrest)
        )

    inbox.forward(
        session, alliance.nl_police, report.reference, ForwardIn(country="DE", note="German ISP")
    )
    assert (report.country_code, report.routing_basis) == ("DE", RoutingBasis.forwarded)
    assert inbox.list_inbox(session, alliance.nl_police) == []
    with pytest.raises(NotFound):
        inbox.get_for_agency(session, alliance.nl_police, report.reference)
    with pytest.raises(InvalidInput, match="no law-enforcement member"):
        inbox.forward(session, alliance.de_police, report.reference, ForwardIn(country="FR"))

    inbox.accept(session, alliance.de_police, report.reference)
    with pytest.raises(Conflict, match="already accepted"):
        inbox.decline(session, alliance.de_police, report.reference, DeclineIn(reason="late"))
    outcomes.record_outcome(
        session,
        alliance.de_police,
        report.reference,
        OutcomeIn(outcome=Outcome.investigation_opened, note="Case opened"),
    )
    outcomes.record_outcome(
        session, alliance.de_police, report.reference, OutcomeIn(outcome=Outcome.arrest)
    )

    seen = submission.platform_out(submission.status_of(session, alliance.platform, "CASE-F"))
    assert (seen.status, seen.country, seen.outcome) == (
        ReportStatus.accepted,
        "DE",
        Outcome.arrest,
    )
    assert [o.outcome for o in seen.outcomes] == [Outcome.investigation_opened, Outcome.arrest]
    # Another platform sees nothing of it, by either reference.
    for ref in ("CASE-F", report.reference):
        with pytest.raises(NotFound):
            submission.status_of(session, alliance.other_platform, ref)
    with pytest.raises(PermissionDenied):
        submission.status_of(session, alliance.hotline, report.reference)

    # The metric counts the acceptance in DE, where it was finally accepted.
    declined = sent(session, alliance, geo, case("CASE-D"))
    inbox.decline(session, alliance.nl_police, declined.reference, DeclineIn(reason="no offence"))
    figures = metrics.acceptance_times(session, alliance.hotline)
    by_country = {c.country: c for c in figures.countries}
    assert by_country["DE"].accepted == 1
    assert by_country["DE"].median_hours is not None and 9.9 < by_country["DE"].median_hours < 10.1
    assert "NL" not in by_country
    assert figures.accepted == 1
    kinds = [s.kind.value for s in report.steps]
    assert kinds == ["received", "routed", "forwarded", "routed", "accepted", "outcome", "outcome"]
    events = session.execute(
        select(AuditEvent.event_type)
        .where(AuditEvent.event_type.startswith("industry_report:"))
        .where(AuditEvent.subject_id == report.reference)
        .order_by(AuditEvent.id)
    ).scalars()
    assert list(events) == [
        "industry_report:received",
        "industry_report:routed",
        "industry_report:forwarded",
        "industry_report:routed",
        "industry_report:accepted",
        "industry_report:outcome_recorded",
        "industry_report:outcome_recorded",
    ]
