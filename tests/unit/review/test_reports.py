"""A confirmed case keeps its reports' progress: checked to be the client's own record,
audited, given back to resume; refused before the case is confirmed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.db.base import utcnow
from alliance.errors import AllianceError, Conflict, InvalidInput, OutsideServiceFailed
from alliance.platforms.cybertipline.schemas import Progress as CyberTiplineProgress
from alliance.platforms.dsa.client import Entry, Progress, State
from alliance.review import cases, decisions, reports
from alliance.review.models import DecisionKind
from alliance.review.reports import ReportKind
from alliance.review.schemas import DecisionIn, PoliceProgress
from alliance.settings import Settings
from tests.unit.review.conftest import Platform, content, match


def test_a_confirmed_case_keeps_its_reports_progress(
    session: Session, platform: Platform, settings: Settings
) -> None:
    case = cases.open_case(session, platform.reviewer, content(), [match()], settings=settings)
    sent = CyberTiplineProgress(report_digest="ab" * 32, report_id="4711").model_dump(mode="json")
    with pytest.raises(Conflict, match="not confirmed"):
        reports.keep_progress(
            session, platform.reviewer, case.reference, ReportKind.cybertipline, sent
        )
    yes = DecisionIn(decision=DecisionKind.confirm)
    decisions.decide(session, platform.reviewer, case.reference, yes, settings=settings)
    reports.keep_progress(session, platform.reviewer, case.reference, ReportKind.cybertipline, sent)
    assert reports.progress_of(case, ReportKind.cybertipline) == sent
    dsa = Progress()
    dsa.entries[case.reference] = Entry(state=State.pending)
    reports.keep_progress(session, platform.reviewer, case.reference, ReportKind.dsa, dsa.to_json())
    assert Progress.from_json(reports.progress_of(case, ReportKind.dsa)).puids(State.pending) == [
        case.reference
    ]
    with pytest.raises(InvalidInput, match="not a CyberTipline progress record"):
        reports.keep_progress(
            session, platform.reviewer, case.reference, ReportKind.cybertipline, {"format": "x"}
        )
    with pytest.raises(InvalidInput, match="not a progress record"):
        reports.keep_progress(session, platform.reviewer, case.reference, ReportKind.dsa, sent)
    assert reports.progress_of(case, ReportKind.cybertipline) == sent  # unchanged
    kept = (
        session.execute(
            select(AuditEvent).where(AuditEvent.event_type == EventType.CASE_REPORT_PROGRESS)
        )
        .scalars()
        .all()
    )
    assert len(kept) == 2


def test_a_run_holds_a_report_until_it_ends_or_falls_silent(
    session: Session, platform: Platform, settings: Settings
) -> None:
    """Two runs of one report never overlap; a run silent past the lease (its process
    stopped) may be taken over, and its late end leaves the new run's claim alone."""
    case = cases.open_case(session, platform.reviewer, content(), [match()], settings=settings)
    yes = DecisionIn(decision=DecisionKind.confirm)
    decisions.decide(session, platform.reviewer, case.reference, yes, settings=settings)
    start = Progress().to_json()

    def begin() -> str:
        return reports.begin(
            session, platform.reviewer, case.reference, ReportKind.dsa,
            request={"puid": case.reference}, progress=start,
        )  # fmt: skip

    first = begin()
    state = reports.state_of(case, ReportKind.dsa)
    assert state.stage is reports.Stage.under_way and state.held
    with pytest.raises(Conflict, match="being sent right now"):
        begin()
    with pytest.raises(Conflict, match="stays open"):
        reports.close_case(session, platform.reviewer, case.reference)
    silent = (utcnow() - reports.RUN_LEASE - timedelta(minutes=1)).isoformat()
    case.report_runs = {"dsa": {**case.report_runs["dsa"], "heard": silent}}  # type: ignore[index]
    assert not reports.state_of(case, ReportKind.dsa).held
    second = begin()
    reports.end(session, platform.reviewer, case.reference, ReportKind.dsa, first)
    assert reports.state_of(case, ReportKind.dsa).held  # still the second run's
    reports.end(session, platform.reviewer, case.reference, ReportKind.dsa, second)
    assert "dsa" not in (case.report_runs or {})
    assert reports.state_of(case, ReportKind.dsa).stage is reports.Stage.under_way  # no word


def test_a_run_that_failed_at_a_step_says_where_the_report_stopped(
    sessions: sessionmaker[Session], platform: Platform, settings: Settings
) -> None:
    """A failure the run kept on the case (where it stopped) is ReportStopped, the client's
    error its cause; one raised before anything was kept is raised as it is, even when the
    report had stopped at an earlier run. Either way the run ends."""
    with sessions.begin() as session:
        case = cases.open_case(session, platform.reviewer, content(), [match()], settings=settings)
        yes = DecisionIn(decision=DecisionKind.confirm)
        decisions.decide(session, platform.reviewer, case.reference, yes, settings=settings)
        reference = case.reference
    stopped = PoliceProgress(stopped_at="sending to the hub", last_error="the hub answered 503")

    def run(progress: PoliceProgress) -> str:
        with sessions.begin() as session:
            return reports.begin(
                session, platform.reviewer, reference, ReportKind.police,
                request={"case_reference": reference}, progress=progress.model_dump(),
            )  # fmt: skip

    def fails(run_id: str, error: AllianceError, kept: PoliceProgress | None = None) -> None:
        with reports.running(sessions, platform.reviewer, reference, ReportKind.police, run_id):
            if kept is not None:  # as a client keeps where it stopped, before raising
                with sessions.begin() as session:
                    reports.keep_progress(
                        session, platform.reviewer, reference, ReportKind.police, kept.model_dump()
                    )
            raise error

    first = run(PoliceProgress())
    with pytest.raises(reports.ReportStopped, match="stopped at sending to the hub") as raised:
        fails(first, OutsideServiceFailed("the hub answered 503"), kept=stopped)
    assert isinstance(raised.value.cause, OutsideServiceFailed)
    assert raised.value.details == [
        {
            "report": "police",
            "stage": "stopped",
            "stopped_at": "sending to the hub",
            "error": "the hub answered 503",
            "cause": "outside_service_failed",
            "reference": None,
        }
    ]
    second = run(stopped)  # resumed: the first run ended; stopped at it still
    with pytest.raises(Conflict, match="not this report's"):
        fails(second, Conflict("a progress that is not this report's"))
    with sessions() as session:
        found = cases.get_case(session, platform.reviewer, reference)
        assert found.report_runs is None
        assert reports.state_of(found, ReportKind.police).stage is reports.Stage.stopped
