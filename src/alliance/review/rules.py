"""Action rules, as HMA's: on a match of bank X at distance d or nearer, remove, queue or report.

A rule fires once per case, on the nearest of the new matches it covers, when the case
opens or a match is added to it; what it did is a :class:`RuleEffect` on the case, and an
audit event:

- **remove** calls the platform's removal hook (``ALLIANCE_REVIEW_REMOVAL_HOOK_URL``, a
  POST of ``{"case", "content_id", "bank", "entry_id", "distance"}``; any 2xx is done). The
  effect says ``removed``, ``hook_failed`` (with the reason) or ``no_hook``. The case stays
  in the queue: a person still confirms it or finds it a false positive (and the platform
  restores the upload). The call is made inside the opening transaction, bounded by
  ``ALLIANCE_REVIEW_HOOK_TIMEOUT_SECONDS``, so the effect recorded is the hook's answer;
- **queue** records that the case is for a reviewer (every case is; the effect shows
  which rule wanted it);
- **report** marks the case for the reports the law asks for (``report_due``).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize, organisation_scope
from alliance.audit import EventType, record
from alliance.errors import InvalidInput, NotFound
from alliance.review.models import (
    ActionRule,
    Case,
    CaseMatch,
    EffectOutcome,
    RuleAction,
    RuleEffect,
)
from alliance.review.schemas import RuleChangeIn, RuleIn
from alliance.settings import Settings

ANY_BANK = "*"


def add_rule(session: Session, principal: Principal, data: RuleIn) -> ActionRule:
    authorize(principal, Permission.RULE_MANAGE)
    if principal.organisation_id is None:
        raise InvalidInput("rules belong to an organisation: add them as one of its users")
    rule = ActionRule(
        organisation_id=principal.organisation_id,
        bank=data.bank,
        max_distance=data.max_distance,
        action=data.action,
        enabled=data.enabled,
        created_by=principal.audit_label,
    )
    session.add(rule)
    session.flush()
    record(
        session,
        principal,
        EventType.REVIEW_RULE_ADDED,
        "review_rule",
        rule.id,
        {"bank": rule.bank, "max_distance": rule.max_distance, "action": rule.action.value,
         "enabled": rule.enabled},
    )  # fmt: skip
    return rule


def change_rule(
    session: Session, principal: Principal, rule_id: int, data: RuleChangeIn
) -> ActionRule:
    """Enable or disable a rule (a rule is never deleted: its effects refer to it)."""
    authorize(principal, Permission.RULE_MANAGE)
    rule = session.get(ActionRule, rule_id)
    scope = organisation_scope(principal, Permission.RULE_MANAGE)
    if rule is None or (scope is not None and rule.organisation_id != scope):
        raise NotFound(f"no rule {rule_id}")
    if rule.enabled != data.enabled:
        rule.enabled = data.enabled
        record(
            session,
            principal,
            EventType.REVIEW_RULE_CHANGED,
            "review_rule",
            rule.id,
            {"enabled": rule.enabled},
        )
    return rule


def list_rules(session: Session, principal: Principal) -> list[ActionRule]:
    authorize(principal, Permission.CASE_READ)
    scope = organisation_scope(principal, Permission.CASE_READ)
    stmt = select(ActionRule).order_by(ActionRule.id)
    if scope is not None:
        stmt = stmt.where(ActionRule.organisation_id == scope)
    return list(session.execute(stmt).scalars())


def apply(
    session: Session,
    actor: Principal,
    case: Case,
    matches: Sequence[CaseMatch],
    settings: Settings,
) -> list[RuleEffect]:
    """Fire the organisation's enabled rules that cover one of ``matches`` and have not
    fired on the case yet; record and audit each effect."""
    if not matches:
        return []
    banks = {m.bank for m in matches}
    candidates = session.execute(
        select(ActionRule)
        .where(
            ActionRule.organisation_id == case.organisation_id,
            ActionRule.enabled.is_(True),
            or_(ActionRule.bank.in_(banks), ActionRule.bank == ANY_BANK),
        )
        .order_by(ActionRule.id)
    ).scalars()
    fired = {e.rule_id for e in case.effects}
    effects = []
    for rule in candidates:
        if rule.id in fired:
            continue
        covered = [
            m
            for m in matches
            if (rule.bank in (ANY_BANK, m.bank)) and m.distance <= rule.max_distance
        ]
        if not covered:
            continue
        match = min(covered, key=lambda m: (m.distance, m.id))
        outcome, detail = _act(rule.action, case, match, settings)
        effect = RuleEffect(
            rule_id=rule.id, match_id=match.id, action=rule.action, outcome=outcome, detail=detail
        )
        case.effects.append(effect)
        effects.append(effect)
        record(
            session,
            actor,
            EventType.CASE_RULE_APPLIED,
            "review_case",
            case.reference,
            {"rule": rule.id, "action": rule.action.value, "outcome": outcome.value,
             "bank": match.bank, "entry_id": match.entry_id, "distance": match.distance},
        )  # fmt: skip
    session.flush()
    return effects


def _act(
    action: RuleAction, case: Case, match: CaseMatch, settings: Settings
) -> tuple[EffectOutcome, str]:
    if action is RuleAction.queue:
        return EffectOutcome.queued, "left for a reviewer"
    if action is RuleAction.report:
        return EffectOutcome.report_due, "to be reported once confirmed"
    return call_removal_hook(case, match, settings)


def call_removal_hook(
    case: Case, match: CaseMatch, settings: Settings
) -> tuple[EffectOutcome, str]:
    """Ask the platform to take the upload down; the outcome and a reason in words."""
    url = settings.review_removal_hook_url
    if not url:
        return EffectOutcome.no_hook, "no removal hook is configured: nothing was removed"
    body = {
        "case": case.reference,
        "content_id": case.content_id,
        "bank": match.bank,
        "entry_id": match.entry_id,
        "distance": match.distance,
    }
    try:
        response = httpx.post(
            url, json=body, timeout=settings.review_hook_timeout_seconds, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return (
            EffectOutcome.hook_failed,
            f"the removal hook could not be reached: {type(exc).__name__}",
        )
    if 200 <= response.status_code < 300:
        return EffectOutcome.removed, f"the removal hook answered {response.status_code}"
    return EffectOutcome.hook_failed, f"the removal hook answered {response.status_code}"
