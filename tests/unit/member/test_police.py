"""A confirmed case's industry report to the police of the uploader's country, kept on the
case: sent through the hub (here the hub's own services), its outcome read back later, a
hub that fails mid-way leaving the case stopped there, and a resend that is the same report
(the hub keys it by the case's reference)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks.hub_client import HubError
from alliance.errors import Conflict, InvalidInput
from alliance.industry import inbox, outcomes
from alliance.industry.models import IndustryReport
from alliance.industry.schemas import IndustryReportIn, OutcomeIn, PlatformReportOut
from alliance.member import police
from alliance.member.uploader import uploader_of
from alliance.review import reports
from alliance.review.models import Case
from alliance.review.reports import ReportKind, ReportStopped, Stage
from alliance.settings import Settings
from tests import factories
from tests.unit.member.conftest import ConfirmedCase, Platform

UPLOADER = uploader_of("user-9", ["192.0.2.9@2026-12-01T10:00:00+00:00@upload"], "NL")


class Flaky:
    """A hub that fails ``failures`` times, then answers as the hub's own services."""

    def __init__(self, hub: police.HubInProcess, failures: int) -> None:
        self.hub, self.failures, self.sent = hub, failures, 0

    def submit(self, report: IndustryReportIn) -> PlatformReportOut:
        self.sent += 1
        if self.failures:
            self.failures -= 1
            raise HubError("the platform answered 503 on POST /api/v1/industry-reports")
        return self.hub.submit(report)

    def status(self, reference: str) -> PlatformReportOut:
        return self.hub.status(reference)


def _state(sessions: sessionmaker[Session], reference: str) -> reports.ReportState:
    with sessions() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        return reports.state_of(case, ReportKind.police)


def test_a_case_reaches_the_police_and_its_outcome_comes_back(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings,
) -> None:  # fmt: skip
    with sessions.begin() as session:
        lea = factories.organisation(session, OrgKind.law_enforcement, "NL")
        investigator = factories.principal(factories.user(session, lea, Role.investigator))
    reference = confirmed_case()
    hub = police.HubInProcess(sessions, platform.reviewer, settings)
    sent = police.send_to_police(
        sessions, platform.reviewer, reference, channel=hub, uploader=UPLOADER,
        classification=None, child_at_risk=True, note="urgent", settings=settings,
    )  # fmt: skip
    assert sent.sent_now and sent.answer.country == "NL"
    state = _state(sessions, reference)
    assert state.stage is Stage.done and state.status == "routed"
    assert "sent to the police of NL" in state.detail
    with sessions() as session:
        report = session.execute(select(IndustryReport)).scalar_one()
        # The hashes of the file in the platform's storage (no member upload matched it).
        assert {h["signal_type"] for h in report.hashes} == {"md5", "sha1", "sha256", "pdq"}
        assert report.child_at_risk and report.account_id == "user-9"
    with sessions.begin() as session:
        inbox.accept(session, investigator, sent.answer.reference)
        outcomes.record_outcome(
            session, investigator, sent.answer.reference,
            OutcomeIn(outcome="arrest", note="thank you"),
        )  # fmt: skip
    with sessions.begin() as session:
        reports.close_case(session, platform.reviewer, reference)
    # A closed case still reads the police's answer.
    checked = police.send_to_police(sessions, platform.reviewer, reference, channel=hub)
    assert not checked.sent_now
    state = _state(sessions, reference)
    assert (state.status, state.outcome, state.outcome_note) == ("accepted", "arrest", "thank you")
    assert "accepted by the police of NL; outcome: arrest" in state.detail


def test_a_hub_failing_stops_the_case_and_the_resend_is_the_same_report(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings,
) -> None:  # fmt: skip
    reference = confirmed_case()
    flaky = Flaky(police.HubInProcess(sessions, platform.reviewer, settings), failures=1)
    with pytest.raises(ReportStopped, match="stopped at sending to the hub") as stopped:
        police.send_to_police(
            sessions, platform.reviewer, reference, channel=flaky, uploader=UPLOADER,
            settings=settings,
        )  # fmt: skip
    assert isinstance(stopped.value.cause, HubError)
    state = _state(sessions, reference)
    assert state.stage is Stage.stopped and "503" in (state.error or "")
    with pytest.raises(Conflict, match="stays open"), sessions.begin() as session:
        reports.close_case(session, platform.reviewer, reference)
    # Sent again with other details: the report first built goes (the hub keys it by the
    # case's reference and would refuse a different one).
    sent = police.send_to_police(
        sessions, platform.reviewer, reference, channel=flaky,
        uploader=uploader_of("another", [], "GB"), settings=settings,
    )  # fmt: skip
    assert sent.sent_now and sent.answer.created and flaky.sent == 2
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(IndustryReport)).scalar_one() == 1
        assert session.execute(select(IndustryReport.account_id)).scalar_one() == "user-9"
    # The hub's answer to the first send lost: the resend finds the same report.
    with sessions.begin() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        case.police_progress = None
    again = police.send_to_police(sessions, platform.reviewer, reference, channel=flaky)
    assert not again.answer.created and again.answer.reference == sent.answer.reference


def test_an_unconfirmed_case_or_a_bad_classification_sends_nothing(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings,
) -> None:  # fmt: skip
    reference = confirmed_case(category="baseline")
    hub = police.HubInProcess(sessions, platform.reviewer, settings)
    with pytest.raises(InvalidInput, match="classification") as raised:
        police.send_to_police(
            sessions, platform.reviewer, reference, channel=hub, uploader=UPLOADER,
            settings=settings,
        )  # fmt: skip
    assert raised.value.field == "classification"
    with pytest.raises(InvalidInput, match="classification"):
        police.send_to_police(
            sessions, platform.reviewer, reference, channel=hub, uploader=UPLOADER,
            classification="Z9", settings=settings,
        )  # fmt: skip
    assert _state(sessions, reference).stage is Stage.not_started
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(IndustryReport)).scalar_one() == 0
