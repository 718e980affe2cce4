"""Decisions on cases: confirm, false positive, escalate; one at a time or many at once.

- **confirm**: the case is confirmed; with ``ALLIANCE_REVIEW_SECOND_REVIEWER`` on, a first
  confirmation leaves it *awaiting second review*, and only a different reviewer (another
  user; a person may not be both) with the second-review permission confirms it;
- **false positive**: the case is closed as wrong, and each of its matches is disputed with
  the bank's contributor as ``alliance feedback`` does today (the entry's dispute count,
  its flag past the bank's threshold, the audit event filed under the contributor's
  organisation). When the bank is not in this database (a member matches against its
  synced copy), the match's feedback is *pending*, for the hub;
- **escalate**: the case stays undecided, marked for a senior reviewer.

Every decision is a :class:`CaseDecision` row and an audit event. A bulk decision checks
every case first and writes nothing when one is refused (the error names each refused case).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.banks import services as banks
from alliance.banks.models import Bank
from alliance.banks.schemas import LocalFeedbackIn
from alliance.errors import AllianceError, Conflict, InvalidInput
from alliance.review.cases import get_case, set_status
from alliance.review.models import (
    ACTIVE,
    Case,
    CaseDecision,
    CaseStatus,
    DecisionKind,
    FeedbackState,
)
from alliance.review.schemas import BulkDecisionIn, DecisionIn
from alliance.settings import Settings, get_settings

NOTE_CHARS = 1000  # the banks' feedback note


def _who(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.audit_label


def _confirmers(case: Case) -> set[str]:
    return {
        f"user:{d.reviewer_user_id}" if d.reviewer_user_id is not None else d.reviewer
        for d in case.decisions
        if d.decision is DecisionKind.confirm
    }


def outcome(case: Case, principal: Principal, data: DecisionIn, settings: Settings) -> CaseStatus:
    """The status ``data`` gives the case, or the error that refuses it (nothing written)."""
    if case.status not in ACTIVE:
        raise Conflict(f"case {case.reference} is already decided ({case.status.value})")
    authorize(principal, Permission.CASE_DECIDE, case)
    if data.decision is DecisionKind.escalate:
        if case.status is CaseStatus.escalated:
            raise Conflict(f"case {case.reference} is already escalated")
        return CaseStatus.escalated
    if data.decision is DecisionKind.false_positive:
        return CaseStatus.false_positive
    if not settings.review_second_reviewer:
        return CaseStatus.confirmed
    earlier = _confirmers(case)
    if case.status is CaseStatus.awaiting_second_review:
        authorize(principal, Permission.CASE_SECOND_REVIEW, case)
        if _who(principal) in earlier:
            raise Conflict(
                f"case {case.reference} needs a second, different reviewer: you confirmed it"
            )
    return (
        CaseStatus.confirmed if earlier - {_who(principal)} else CaseStatus.awaiting_second_review
    )


def decide(
    session: Session,
    principal: Principal,
    reference: str,
    data: DecisionIn,
    *,
    settings: Settings | None = None,
) -> Case:
    settings = settings or get_settings()
    case = get_case(session, principal, reference, for_change=True)
    _apply(session, principal, case, data, outcome(case, principal, data, settings))
    return case


def bulk_decide(
    session: Session,
    principal: Principal,
    data: BulkDecisionIn,
    *,
    settings: Settings | None = None,
) -> list[Case]:
    """The same decision on every case of ``data.cases``, or on none: each case is checked
    first, and one refused case refuses them all, naming every case refused and why."""
    settings = settings or get_settings()
    authorize(principal, Permission.CASE_DECIDE)
    references = list(dict.fromkeys(r.strip() for r in data.cases if r.strip()))
    if not references:
        raise InvalidInput("choose at least one case", field="cases")
    planned: list[tuple[Case, CaseStatus]] = []
    refused: list[str] = []
    for reference in sorted(references):  # locked in one order: two bulk decisions never deadlock
        try:
            case = get_case(session, principal, reference, for_change=True)
            planned.append((case, outcome(case, principal, data, settings)))
        except AllianceError as exc:
            refused.append(exc.message)
    if refused:
        shown = "; ".join(refused[:10]) + ("; ..." if len(refused) > 10 else "")
        raise InvalidInput(
            f"nothing was decided: {len(refused)} of {len(references)} cases refused: {shown}",
            field="cases",
        )
    for case, status in planned:
        _apply(session, principal, case, data, status, bulk=len(planned))
    return [case for case, _ in planned]


def _apply(
    session: Session,
    principal: Principal,
    case: Case,
    data: DecisionIn,
    status: CaseStatus,
    *,
    bulk: int | None = None,
) -> None:
    case.decisions.append(
        CaseDecision(
            decision=data.decision,
            reviewer=principal.audit_label,
            reviewer_user_id=principal.user_id,
            reason=data.reason,
            result=status,
        )
    )
    set_status(session, case, status)
    if case.assignee is None:
        case.assignee, case.assignee_user_id = principal.audit_label, principal.user_id
    disputed = (
        _dispute(session, principal, case, data.reason)
        if status is CaseStatus.false_positive
        else {}
    )
    details: dict[str, object] = {"decision": data.decision.value, "status": status.value}
    if disputed:
        details["feedback"] = disputed
    if bulk is not None:
        details["bulk"] = bulk
    session.flush()
    record(session, principal, EventType.CASE_DECIDED, "review_case", case.reference, details)


def _dispute(session: Session, principal: Principal, case: Case, reason: str) -> dict[str, str]:
    """Dispute each of the case's matches with its bank's contributor; what became of each
    (``bank:entry`` → sent or pending)."""
    done: dict[str, str] = {}
    note = (reason or f"false positive (review case {case.reference})")[:NOTE_CHARS]
    for match in case.matches:
        if match.feedback is not None:
            continue
        state = FeedbackState.pending
        if _local_bank(session, match.bank):
            try:
                with session.begin_nested():
                    banks.feedback_on_local_match(
                        session,
                        principal,
                        match.bank,
                        match.entry_id,
                        LocalFeedbackIn(verdict="disputed", note=note, distance=match.distance),
                    )
                state = FeedbackState.sent
            except AllianceError:
                # Not visible to this member, the entry gone, or a dispute already there:
                # left for the hub, which says which.
                state = FeedbackState.pending
        match.feedback = state
        done[f"{match.bank}:{match.entry_id}"] = state.value
    return done


def _local_bank(session: Session, name: str) -> bool:
    return session.execute(select(Bank.id).where(Bank.name == name)).first() is not None


def decisions_for(cases: Sequence[Case]) -> dict[str, str]:
    """Each case's status after a bulk decision, for the answer."""
    return {case.reference: case.status.value for case in cases}
