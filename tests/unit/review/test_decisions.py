"""Decisions: confirm, false positive (feedback to the contributor), escalate; the second
reviewer; bulk decisions all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.banks import services as banks
from alliance.banks.models import BankEntry
from alliance.banks.schemas import EntryIn
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.review import cases, decisions
from alliance.review.models import Case, CaseDecision, CaseStatus, DecisionKind, FeedbackState
from alliance.review.schemas import BulkDecisionIn, DecisionIn
from alliance.settings import Settings
from tests import factories
from tests.unit.review.conftest import Platform, content, match

CONFIRM = DecisionIn(decision=DecisionKind.confirm, reason="matches the listed picture")


def _status(case: Case) -> CaseStatus:
    """The case's status now (mypy keeps an earlier assertion's narrowing otherwise)."""
    return case.status


def _open(session: Session, platform: Platform, settings: Settings, name: str = "c") -> Case:
    return cases.open_case(session, platform.reviewer, content(name), [match()], settings=settings)


def test_each_decision(session: Session, platform: Platform, settings: Settings) -> None:
    confirmed = _open(session, platform, settings, "a")
    decisions.decide(session, platform.reviewer, confirmed.reference, CONFIRM, settings=settings)
    assert confirmed.status is CaseStatus.confirmed and confirmed.decided_at is not None
    assert confirmed.active_key is None and confirmed.assignee == platform.reviewer.audit_label
    with pytest.raises(Conflict, match="already decided"):
        decisions.decide(session, platform.second, confirmed.reference, CONFIRM, settings=settings)
    escalated = _open(session, platform, settings, "b")
    up = DecisionIn(decision=DecisionKind.escalate, reason="unsure: a senior look")
    decisions.decide(session, platform.reviewer, escalated.reference, up, settings=settings)
    assert escalated.status is CaseStatus.escalated and escalated.decided_at is None
    with pytest.raises(Conflict, match="already escalated"):
        decisions.decide(session, platform.reviewer, escalated.reference, up, settings=settings)
    decisions.decide(session, platform.admin, escalated.reference, CONFIRM, settings=settings)
    assert _status(escalated) is CaseStatus.confirmed
    assert [d.decision for d in escalated.decisions] == [
        DecisionKind.escalate,
        DecisionKind.confirm,
    ]
    with pytest.raises(PermissionDenied):
        decisions.decide(
            session,
            platform.viewer,
            _open(session, platform, settings, "v").reference,
            CONFIRM,
            settings=settings,
        )
    with pytest.raises(NotFound):
        decisions.decide(
            session, platform.outsider, confirmed.reference, CONFIRM, settings=settings
        )
    counts = cases.status_counts(session, platform.reviewer)
    assert (counts[CaseStatus.confirmed], counts[CaseStatus.open]) == (2, 1)
    # A new match of decided content opens a new case.
    again = _open(session, platform, settings, "a")
    assert again.id != confirmed.id


def test_a_confirmation_needs_a_second_different_reviewer(
    session: Session, platform: Platform, settings: Settings
) -> None:
    two = settings.model_copy(update={"review_second_reviewer": True})
    case = _open(session, platform, two)
    decisions.decide(session, platform.reviewer, case.reference, CONFIRM, settings=two)
    assert case.status is CaseStatus.awaiting_second_review
    with pytest.raises(Conflict, match="second, different reviewer"):
        decisions.decide(session, platform.reviewer, case.reference, CONFIRM, settings=two)
    assert case.status is CaseStatus.awaiting_second_review
    decisions.decide(session, platform.second, case.reference, CONFIRM, settings=two)
    assert _status(case) is CaseStatus.confirmed
    assert [d.result for d in case.decisions] == [
        CaseStatus.awaiting_second_review,
        CaseStatus.confirmed,
    ]


def test_false_positive_disputes_the_entry_with_its_contributor(
    session: Session, platform: Platform, settings: Settings
) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="baseline-nl")
    banks.add_entries(
        session, analyst, "baseline-nl", [EntryIn(signal_type="pdq", signal=factories.pdq_hex(5))]
    )
    entry = session.execute(select(BankEntry)).scalars().one()
    case = cases.open_case(
        session,
        platform.reviewer,
        content(),
        [match(entry_id=entry.id, distance=12), match("synced-only", 4)],
        settings=settings,
    )
    wrong = DecisionIn(
        decision=DecisionKind.false_positive, reason="a cartoon, not the listed picture"
    )
    decisions.decide(session, platform.reviewer, case.reference, wrong, settings=settings)
    assert case.status is CaseStatus.false_positive
    assert [m.feedback for m in case.matches] == [FeedbackState.sent, FeedbackState.pending]
    session.refresh(entry)
    assert entry.disputed == 1
    feedback = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.MATCH_FEEDBACK)
    ).scalar_one()
    assert feedback.organisation_id == hotline.id  # the contributor learns of it
    assert "disputed" in feedback.details


def test_bulk_decisions_are_all_or_nothing(
    session: Session, platform: Platform, settings: Settings
) -> None:
    opened = [_open(session, platform, settings, f"c{i}") for i in range(3)]
    references = [c.reference for c in opened]
    events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    bad = BulkDecisionIn(decision=DecisionKind.confirm, cases=[*references, "RC-NOSUCH00"])
    with pytest.raises(
        InvalidInput, match="nothing was decided: 1 of 4 cases refused: no case RC-NOSUCH00"
    ):
        decisions.bulk_decide(session, platform.reviewer, bad, settings=settings)
    assert all(c.status is CaseStatus.open for c in opened)
    assert session.execute(select(func.count()).select_from(CaseDecision)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events
    good = BulkDecisionIn(decision=DecisionKind.confirm, cases=references, reason="all listed")
    decided = decisions.bulk_decide(session, platform.reviewer, good, settings=settings)
    assert [c.status for c in decided] == [CaseStatus.confirmed] * 3
    audited = session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.event_type == EventType.CASE_DECIDED)
    ).scalar_one()
    assert audited == 3
    # Decided cases are refused the next time, by name.
    with pytest.raises(InvalidInput, match="3 of 3 cases refused"):
        decisions.bulk_decide(session, platform.reviewer, good, settings=settings)
