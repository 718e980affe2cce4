"""A confirmed review case's statement of reasons, sent to the EU's DSA Transparency Database.

A platform that removes an upload because it matched known child sexual abuse material
owes the Commission a statement of reasons without personal data (DSA Art. 24(5), the
Art. 17 fields). :func:`removal_of` reads the removal off the case —

- ``puid``: the case's reference, so that the statement of a case is one statement for
  ever: sent again (a retry, a second click, a second run), the database answers 422 with
  the puid as existing, and the statement is marked *already in the database*, never
  stored twice;
- the content type (a video when a vPDQ matched, else an image), the content date (when the
  platform received the upload) and the application date (when the removal was decided);
- the hash list, its category and the contributor that assessed the entry;
- automated: *fully* when an action rule removed the upload before anyone looked,
  *partially* when a person confirmed the match;
- the account action the reviewer chose (suspended, terminated, or none) —

and :func:`submit_case` sends the statement (:mod:`alliance.platforms.dsa`), keeping the
statement and the submission's progress on the case after every answer, with each step in
the audit log as ``alliance dsa submit`` writes it, and no transaction open while the
database is waited for. A run after a stop sends only what is still pending.

The same removal gives the statement of reasons the uploader reads (Art. 17,
:func:`~alliance.platforms.dsa.statements.user_notice`): the platform's name, the upload's
content id, what was done and why, and how to contest it (``ALLIANCE_DSA_COMPLAINT``, the
platform's complaint-handling system; out-of-court settlement; the courts). It is kept on
the case with the statement, written when the statement is, so the two say the same;
showing it to the uploader is the platform's own service's part.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.errors import Conflict, InvalidInput, NotConfigured
from alliance.member import case_content
from alliance.platforms.dsa import services as dsa_audit
from alliance.platforms.dsa.client import Progress, State, Step, TransparencyDatabase
from alliance.platforms.dsa.schemas import (
    AutomatedDecision,
    ContentType,
    DecisionAccount,
    Statement,
    parse_statement,
)
from alliance.platforms.dsa.statements import Redress, Removal, statement_for, user_notice
from alliance.review import cases, reports
from alliance.review.models import Case, CaseStatus, EffectOutcome, RuleAction
from alliance.review.reports import ReportKind
from alliance.settings import Settings

#: What the reviewer may choose for the uploader's account, as the form and CLI name it.
ACCOUNT_ACTIONS = {
    "": None,
    "suspended": DecisionAccount.SUSPENDED,
    "terminated": DecisionAccount.TERMINATED,
}


def account_action_of(text: str | None) -> DecisionAccount | None:
    key = (text or "").strip().lower()
    if key not in ACCOUNT_ACTIONS:
        raise InvalidInput(
            f"{text!r}: the account action is suspended, terminated or none",
            field="account_action",
        )
    return ACCOUNT_ACTIONS[key]


def _removed_by_rule(case: Case) -> date | None:
    done = [
        e.applied_at
        for e in case.effects
        if e.action is RuleAction.remove and e.outcome is EffectOutcome.removed
    ]
    return min(done).date() if done else None


def removal_of(session: Session, case: Case, account_action: DecisionAccount | None) -> Removal:
    """The removal a confirmed case stands for, as the statement of reasons says it."""
    nearest = min(case.matches, key=lambda m: (m.distance, m.id))
    contributors = {
        m.contributor
        for upload in case_content.uploads_of(session, case.content_id)
        for m in upload.matches
        if m.bank == nearest.bank and m.entry_id == nearest.entry_id and m.contributor
    }
    by_rule = _removed_by_rule(case)
    return Removal(
        puid=case.reference,
        content_id=case.content_id,
        content_type=ContentType.VIDEO
        if any(m.signal_type == "vpdq" for m in case.matches)
        else ContentType.IMAGE,
        uploaded_on=case_content.received_at(session, case).date(),
        decided_on=by_rule or case_content.confirmed_at(case).date(),
        bank=nearest.bank,
        category=nearest.category,
        automated_decision=AutomatedDecision.FULLY if by_rule else AutomatedDecision.PARTIALLY,
        assessed_by=sorted(contributors)[0] if contributors else None,
        account_action=account_action,
    )


def redress_of(settings: Settings) -> Redress:
    """Where the uploader may contest the removal, from ``ALLIANCE_DSA_COMPLAINT``."""
    complaint = settings.dsa_complaint.strip()
    if not complaint:
        raise NotConfigured(
            "set ALLIANCE_DSA_COMPLAINT: how a user contests a removal with you (Art. 20), "
            "which the statement of reasons they read must say (Art. 17(3)(f))"
        )
    return Redress(complaint=complaint)


def _removal_of_case(
    session: Session, principal: Principal, reference: str, account_action: DecisionAccount | None
) -> tuple[Case, Removal]:
    case = cases.get_case(session, principal, reference)
    authorize(principal, Permission.CASE_DECIDE, case)
    if case.status is not CaseStatus.confirmed:
        raise Conflict(
            f"case {reference} is {case.status.value}: only a confirmed (removed) case has a "
            "statement of reasons"
        )
    return case, removal_of(session, case, account_action)


def statement_of_case(
    session: Session,
    principal: Principal,
    reference: str,
    *,
    account_action: DecisionAccount | None = None,
) -> Statement:
    """The statement of reasons of a confirmed case (checked by the database's rules)."""
    _case, removal = _removal_of_case(session, principal, reference, account_action)
    return statement_for(removal)


def notice_of_case(
    session: Session,
    principal: Principal,
    reference: str,
    *,
    redress: Redress,
    account_action: DecisionAccount | None = None,
) -> tuple[Statement, str]:
    """The statement of reasons of a confirmed case for the database, and the same as the
    uploader reads it (plain text, naming the platform)."""
    case, removal = _removal_of_case(session, principal, reference, account_action)
    platform = session.get_one(Organisation, case.organisation_id).name
    return statement_for(removal), user_notice(removal, redress, platform=platform)


def submit_case(
    sessions: sessionmaker[Session],
    principal: Principal,
    reference: str,
    *,
    database: TransparencyDatabase,
    settings: Settings,
    account_action: DecisionAccount | None = None,
) -> Progress:
    """Send the case's statement of reasons, or resume its sending; its progress.

    The first run builds the statement, and the notice the uploader reads (kept on the
    case with it); a run after a stop sends the statement first built. A statement the
    database refused is built again and sent again (the database stored nothing of it).
    A failure at the database, and its refusal of the statement (in its words), are raised
    as :class:`~alliance.review.reports.ReportStopped` after the case keeps where it
    stopped."""
    with sessions.begin() as session:
        case = cases.get_case(session, principal, reference)
        raw = case.dsa_progress
        progress = Progress.from_json(raw) if raw is not None else Progress()
        refused = any(e.state is State.refused for e in progress.entries.values())
        fresh = case.dsa_statement is None or refused
        notice: str | None = None
        if fresh:
            statement, notice = notice_of_case(
                session,
                principal,
                reference,
                redress=redress_of(settings),
                account_action=account_action,
            )
        else:
            assert case.dsa_statement is not None
            statement = parse_statement(case.dsa_statement)
        for entry in progress.entries.values():
            if entry.state is State.refused:  # the database stored none of it: again
                entry.state, entry.errors = State.pending, {}
        progress.add([statement.puid])
        run = reports.begin(
            session,
            principal,
            reference,
            ReportKind.dsa,
            request=statement.to_api(),
            progress=progress.to_json(),
            replace_request=fresh,
        )
        if notice is not None:  # written with the statement, in the transaction begin audits
            case.dsa_user_notice = notice

    def keep(done: Progress, step: Step) -> None:
        with sessions.begin() as session:
            reports.keep_progress(session, principal, reference, ReportKind.dsa, done.to_json())
            dsa_audit.record_step(session, principal, done, step)

    with reports.running(sessions, principal, reference, ReportKind.dsa, run):
        progress = database.submit_one(statement, progress, on_step=keep)
        entry = progress.entries[statement.puid]
        if entry.state is State.refused:  # kept on the case as stopped: ReportStopped
            said = "; ".join(f"{name}: {' '.join(says)}" for name, says in entry.errors.items())
            raise InvalidInput(f"the Transparency Database refused the statement: {said}")
    return progress
