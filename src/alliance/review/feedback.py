"""False positives found by a member, sent to the hub: each bank's contributor learns of them.

A false positive disputes each match of the case (:mod:`alliance.review.decisions`). When
the bank is in this database, the dispute is recorded there at once; at a member, whose
banks are synced copies, the match's feedback waits as *pending*. :func:`send_pending`
sends each to the hub as ``alliance feedback`` does
(``POST /api/v1/banks/{bank}/entries/{entry}/feedback``, ``disputed``, with the reason and
the distance; never the media), with no transaction open while it waits for the hub, and
records each answer in a short transaction of its own, audited:

- accepted, or 409 (the hub holds this member's dispute already): ``sent``;
- 404 (the bank or the entry is gone, or not this member's to see): ``refused``;
- anything else (no answer, 401, 5xx...) stops the run with the hub client's error; what
  was sent stays sent, the rest stays pending for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance import errors
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize, organisation_scope
from alliance.audit import EventType, record
from alliance.banks.hub_client import post_json
from alliance.review.models import Case, CaseDecision, CaseMatch, DecisionKind, FeedbackState

NOTE_CHARS = 1000


@dataclass(frozen=True)
class PendingFeedback:
    match_id: int
    case: str
    bank: str
    entry_id: int
    distance: int
    note: str


@dataclass
class FeedbackRun:
    sent: int = 0
    refused: int = 0


def pending(session: Session, principal: Principal, limit: int = 500) -> list[PendingFeedback]:
    """Disputes waiting for the hub, oldest first, with the false positive's reason."""
    authorize(principal, Permission.CASE_DECIDE)
    scope = organisation_scope(principal, Permission.CASE_DECIDE)
    stmt = (
        select(CaseMatch, Case.reference, Case.id)
        .join(Case, Case.id == CaseMatch.case_id)
        .where(CaseMatch.feedback == FeedbackState.pending)
        .order_by(CaseMatch.id)
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(Case.organisation_id == scope)
    rows = session.execute(stmt).all()
    reasons = dict(
        session.execute(
            select(CaseDecision.case_id, CaseDecision.reason).where(
                CaseDecision.case_id.in_({case_id for _, _, case_id in rows}),
                CaseDecision.decision == DecisionKind.false_positive,
            )
        ).all()
    )
    return [
        PendingFeedback(
            match.id,
            reference,
            match.bank,
            match.entry_id,
            match.distance,
            (reasons.get(case_id) or f"false positive (review case {reference})")[:NOTE_CHARS],
        )
        for match, reference, case_id in rows
    ]


def record_answer(
    session: Session, principal: Principal, item: PendingFeedback, state: FeedbackState, why: str
) -> None:
    match = session.get_one(CaseMatch, item.match_id)
    if match.feedback is not FeedbackState.pending:
        return  # another run recorded it meanwhile
    match.feedback = state
    record(
        session,
        principal,
        EventType.CASE_FEEDBACK_SENT,
        "review_case",
        item.case,
        {"bank": item.bank, "entry_id": item.entry_id, "feedback": state.value, "hub": why},
    )


def send_pending(
    sessions: sessionmaker[Session],
    principal: Principal,
    client: httpx.Client,
    *,
    on_sent: Callable[[PendingFeedback, FeedbackState], Any] | None = None,
) -> FeedbackRun:
    """Send every pending dispute to the hub (``client``: the hub client with the member's
    key); each answer recorded as it comes."""
    with sessions.begin() as session:
        waiting = pending(session, principal)
    run = FeedbackRun()
    for item in waiting:
        path = f"/api/v1/banks/{item.bank}/entries/{item.entry_id}/feedback"
        body = {"verdict": "disputed", "note": item.note, "distance": item.distance}
        try:
            post_json(client, path, body)
            state, why = FeedbackState.sent, "accepted"
        except errors.Conflict:
            state, why = FeedbackState.sent, "already held"
        except errors.NotFound as exc:
            state, why = FeedbackState.refused, exc.message
        with sessions.begin() as session:
            record_answer(session, principal, item, state, why)
        if state is FeedbackState.sent:
            run.sent += 1
        else:
            run.refused += 1
        if on_sent is not None:
            on_sent(item, state)
    return run
