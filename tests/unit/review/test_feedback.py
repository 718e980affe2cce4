"""False positives at a member (banks synced, not in its database) go to the hub: each
answer recorded as it comes; a stop leaves the rest pending for the next run."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.banks.hub_client import HubError
from alliance.review import cases, decisions, feedback
from alliance.review.models import CaseMatch, DecisionKind, FeedbackState
from alliance.review.schemas import DecisionIn
from alliance.settings import Settings
from tests import factories
from tests.unit.review.conftest import content, match


def test_pending_disputes_are_sent_to_the_hub(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewer = factories.principal(factories.user(session, org, Role.reviewer))
        case = cases.open_case(
            session,
            reviewer,
            content(),
            [match("baseline-nl", 11, 3), match("iwf", 12, 5), match("gone", 13, 7)],
            settings=settings,
        )
        wrong = DecisionIn(decision=DecisionKind.false_positive, reason="a cartoon")
        decisions.decide(session, reviewer, case.reference, wrong, settings=settings)
        assert {m.feedback for m in case.matches} == {FeedbackState.pending}
    calls: list[tuple[str, dict[str, object]]] = []
    answers = {"baseline-nl": 200, "iwf": 409, "gone": 404}

    def hub(request: httpx.Request) -> httpx.Response:
        bank = request.url.path.split("/")[4]
        calls.append((request.url.path, json.loads(request.content)))
        status = answers[bank]
        if status == 200:
            return httpx.Response(200, json={"verdict": "disputed"})
        return httpx.Response(status, json={"error": {"code": "x", "message": "no entry 13"}})

    client = httpx.Client(transport=httpx.MockTransport(hub), base_url="http://hub.example.test")
    run = feedback.send_pending(sessions, reviewer, client)
    assert (run.sent, run.refused) == (2, 1)
    assert calls[0] == (
        "/api/v1/banks/baseline-nl/entries/11/feedback",
        {"verdict": "disputed", "note": "a cartoon", "distance": 3},
    )
    with sessions() as session:
        states = session.execute(select(CaseMatch.bank, CaseMatch.feedback)).all()
        assert dict(states) == {
            "baseline-nl": FeedbackState.sent,
            "iwf": FeedbackState.sent,
            "gone": FeedbackState.refused,
        }
        sent = (
            session.execute(
                select(AuditEvent).where(AuditEvent.event_type == EventType.CASE_FEEDBACK_SENT)
            )
            .scalars()
            .all()
        )
        assert len(sent) == 3
    # Nothing is pending: a second run sends nothing.
    assert feedback.send_pending(sessions, reviewer, client).sent == 0 and len(calls) == 3


def test_a_hub_that_does_not_answer_stops_the_run_and_keeps_the_rest_pending(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewer = factories.principal(factories.user(session, org, Role.reviewer))
        case = cases.open_case(session, reviewer, content(), [match()], settings=settings)
        wrong = DecisionIn(decision=DecisionKind.false_positive)
        decisions.decide(session, reviewer, case.reference, wrong, settings=settings)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down), base_url="http://hub.example.test")
    with pytest.raises(HubError, match="cannot reach"):
        feedback.send_pending(sessions, reviewer, client)
    with sessions() as session:
        assert session.execute(select(CaseMatch.feedback)).scalar_one() is FeedbackState.pending
