"""A confirmed case's statement of reasons, sent to the stand-in Transparency Database: the
statement read off the case (its puid the case's reference), every answer kept on the case
and audited, errors mid-way resumed, and a statement already stored answered 422 as a
duplicate and never stored twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.errors import Conflict, InvalidInput, NotConfigured
from alliance.member import dsa
from alliance.platforms.dsa.client import TransparencyDatabaseUnavailable
from alliance.platforms.dsa.schemas import DecisionAccount
from alliance.review import reports
from alliance.review.models import Case, EffectOutcome, RuleAction, RuleEffect
from alliance.review.reports import ReportKind, ReportStopped, Stage
from alliance.settings import load_settings
from tests.unit.member.conftest import COMPLAINT, ConfirmedCase, Platform, database


def _submit(
    sessions: sessionmaker[Session],
    platform: Platform,
    reference: str,
    tdb: StandInTransparencyDatabase,
    **options: object,
):
    with database(tdb) as client:
        return dsa.submit_case(
            sessions,
            platform.reviewer,
            reference,
            database=client,
            settings=load_settings(dsa_complaint=COMPLAINT),
            **options,  # type: ignore[arg-type]
        )


def _state(sessions: sessionmaker[Session], reference: str) -> reports.ReportState:
    with sessions() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        return reports.state_of(case, ReportKind.dsa)


def test_the_statement_is_read_off_the_case(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase
) -> None:
    reference = confirmed_case(signal_type="vpdq")
    with sessions.begin() as session:
        statement = dsa.statement_of_case(
            session, platform.reviewer, reference, account_action=DecisionAccount.SUSPENDED
        )
        api = statement.to_api()
        assert api["puid"] == reference
        assert api["content_type"] == ["CONTENT_TYPE_VIDEO"]
        assert api["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
        assert api["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
        assert "baseline-nl" in api["illegal_content_explanation"]
        # An action rule removed it before anyone looked: fully automated.
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        session.add(
            RuleEffect(
                case_id=case.id,
                rule_id=_rule(session, case),
                match_id=case.matches[0].id,
                action=RuleAction.remove,
                outcome=EffectOutcome.removed,
                detail="removed",
            )
        )
        session.flush()
        session.expire(case)
        removed = dsa.statement_of_case(session, platform.reviewer, reference).to_api()
        assert removed["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    with pytest.raises(InvalidInput, match="suspended, terminated"):
        dsa.account_action_of("banned")


def _rule(session: Session, case: Case) -> int:
    from alliance.review.models import ActionRule

    rule = ActionRule(
        organisation_id=case.organisation_id,
        bank="*",
        max_distance=10,
        action=RuleAction.remove,
        created_by="test",
    )
    session.add(rule)
    session.flush()
    return rule.id


def test_a_statement_is_stored_once_and_audited(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    tdb: StandInTransparencyDatabase,
) -> None:  # fmt: skip
    reference = confirmed_case()
    done = _submit(sessions, platform, reference, tdb, account_action=DecisionAccount.TERMINATED)
    assert list(tdb.stored) == [reference]
    assert tdb.stored[reference]["decision_account"] == "DECISION_ACCOUNT_TERMINATED"
    state = _state(sessions, reference)
    assert state.stage is Stage.done and state.reference == done.entries[reference].uuid
    # The statement of reasons the uploader reads is kept with it: the same removal, the
    # platform's name, how to contest it (Art. 17(3)).
    with sessions() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        notice = case.dsa_user_notice or ""
    assert notice.startswith(f"Statement of reasons from {platform.org.name} (Article 17")
    assert f"Reference: {reference}" in notice and "Your account has also been terminated" in notice
    assert COMPLAINT in notice and "baseline-nl" in notice
    with pytest.raises(Conflict, match="done already"):
        _submit(sessions, platform, reference, tdb)
    assert tdb.calls == [[reference]]
    with sessions() as session:
        kinds = session.execute(select(AuditEvent.event_type)).scalars().all()
    assert EventType.DSA_STATEMENTS_SUBMITTED.value in kinds
    assert EventType.CASE_REPORT_PROGRESS.value in kinds


def test_errors_mid_way_stop_the_case_there_and_the_retry_resumes(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    tdb: StandInTransparencyDatabase,
) -> None:  # fmt: skip
    reference = confirmed_case()
    for call in (1, 2, 3):
        tdb.fail(call, "error")
    with pytest.raises(ReportStopped, match="answered 503") as stopped:
        _submit(sessions, platform, reference, tdb)
    assert isinstance(stopped.value.cause, TransparencyDatabaseUnavailable)
    state = _state(sessions, reference)
    assert state.stage is Stage.stopped and "run again to resume" in (state.error or "")
    assert tdb.stored == {}
    done = _submit(sessions, platform, reference, tdb)
    assert done.done and list(tdb.stored) == [reference]
    assert _state(sessions, reference).stage is Stage.done


def test_no_statement_without_the_platforms_complaint_route(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    tdb: StandInTransparencyDatabase,
) -> None:  # fmt: skip
    """The notice the uploader reads must say how to contest the removal: nothing is sent
    (nor begun on the case) until ALLIANCE_DSA_COMPLAINT says it."""
    reference = confirmed_case()
    with database(tdb) as client, pytest.raises(NotConfigured, match="ALLIANCE_DSA_COMPLAINT"):
        dsa.submit_case(
            sessions, platform.reviewer, reference, database=client,
            settings=load_settings(dsa_complaint=" "),
        )  # fmt: skip
    assert tdb.calls == [] and _state(sessions, reference).stage is Stage.not_started


def test_a_statement_stored_but_whose_answer_was_lost_is_a_duplicate_not_resent(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    tdb: StandInTransparencyDatabase,
) -> None:  # fmt: skip
    reference = confirmed_case()
    tdb.fail(1, "lost")  # stored, then 500: the next try is answered 422 "existing"
    done = _submit(sessions, platform, reference, tdb)
    assert tdb.calls == [[reference], [reference]]
    assert list(tdb.stored) == [reference]
    state = _state(sessions, reference)
    assert state.stage is Stage.done and "already in the Transparency Database" in state.detail
    assert done.entries[reference].state.value == "duplicate"
    # The case's progress lost (a restore, a second deployment): the database's 422 still
    # says it holds the statement, and nothing is stored twice.
    with sessions.begin() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        case.dsa_progress = None
    _submit(sessions, platform, reference, tdb)
    assert len(tdb.calls) == 3 and list(tdb.stored) == [reference]
    assert _state(sessions, reference).stage is Stage.done


def test_a_refused_statement_says_why_and_may_be_sent_again(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    tdb: StandInTransparencyDatabase,
) -> None:  # fmt: skip
    reference = confirmed_case()
    tdb.refuse(reference, "territorial_scope", "The territorial scope is not valid.")
    with pytest.raises(ReportStopped, match="territorial_scope") as stopped:
        _submit(sessions, platform, reference, tdb)
    assert isinstance(stopped.value.cause, InvalidInput)
    assert stopped.value.details and stopped.value.details[0]["stopped_at"] == (
        "the database's validation"
    )
    state = _state(sessions, reference)
    assert state.stage is Stage.stopped and "territorial scope" in (state.error or "")
    tdb._refusals.clear()  # the database's rules changed back
    assert _submit(sessions, platform, reference, tdb).done
    assert list(tdb.stored) == [reference]
