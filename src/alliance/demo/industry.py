"""The demo's industry reports: confirmed cases the demo platforms reported to the police
of the uploader's country, so that the police inbox, the secretariat's triage and the time
to acceptance are not empty in ``make run``.

Benign and synthetic: hashes derived from the seed (no picture behind them), account ids
and case references invented, IP addresses from the documentation ranges that the demo's
geolocation file (:mod:`alliance.demo.takedown`) maps — 203.0.113.0/26 to the Netherlands,
198.51.100.0/25 to the United Kingdom — and one in no network, which goes to the
secretariat's triage. They go through the services as the demo platforms' reviewers and
police investigators, so routing, deconfliction and the audit trail are real.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.demo.industry_history import build_history
from alliance.hosting.geo import GeoDatabase
from alliance.industry import inbox, outcomes, submission
from alliance.industry.models import Outcome
from alliance.industry.schemas import IndustryReportIn, OutcomeIn


@dataclass(frozen=True)
class DemoCase:
    reviewer: str  # the demo user who confirmed it
    case_reference: str
    ip: str | None
    declared: str | None
    hours_ago: float
    child_at_risk: bool = False
    accepted_by: str | None = None  # the investigator who accepts it, with an outcome


CASES = (
    DemoCase("nl-reviewer", "PS-{seed}-0101", "203.0.113.21", "NL", 30),
    DemoCase("nl-reviewer", "PS-{seed}-0102", "203.0.113.70", "NL", 6, child_at_risk=True),
    DemoCase("nl-chat-reviewer", "CH-{seed}-0007", "203.0.113.33", None, 20),
    DemoCase(
        "gb-reviewer", "PS-{seed}-0201", "198.51.100.40", "GB", 52, accepted_by="gb-investigator"
    ),
    DemoCase("us-chat-reviewer", "CH-{seed}-0301", "203.0.113.200", None, 3),
)


def _value(seed: int, text: str) -> str:
    return hashlib.sha256(f"alliance-demo-industry:{seed}:{text}".encode()).hexdigest()


def _case(seed: int, demo: DemoCase) -> IndustryReportIn:
    now = utcnow().replace(microsecond=0)
    reference = demo.case_reference.format(seed=seed)
    body: dict[str, Any] = {
        "case_reference": reference,
        "confirmed_at": (now - timedelta(hours=demo.hours_ago)).isoformat(),
        "classification": "A2",
        "child_at_risk": demo.child_at_risk,
        "uploader": {
            "account_id": f"demo-user-{_value(seed, reference)[:6]}",
            "ip_addresses": (
                [{"ip": demo.ip, "at": (now - timedelta(hours=demo.hours_ago + 1)).isoformat()}]
                if demo.ip
                else []
            ),
            "declared_country": demo.declared,
        },
        "hashes": [{"signal_type": "sha256", "value": _value(seed, reference + ":sha256")}],
        "note": "Demo case: synthetic hashes, no picture behind them.",
    }
    return IndustryReportIn.model_validate(body)


def _principal(session: Session, actor: Principal, username: str) -> Principal:
    return accounts.principal_for_user(accounts.get_user(session, actor, username))


def build(session: Session, actor: Principal, seed: int, data_dir: Path | None) -> int:
    """Send the demo cases (routed with the demo's geolocation file when it was written),
    after the earlier years' (:mod:`alliance.demo.industry_history`); returns how many."""
    earlier = build_history(session, actor, seed)
    path = data_dir / "hosting.mmdb" if data_dir is not None else None
    geo = GeoDatabase(path) if path is not None and path.exists() else None
    try:
        for demo in CASES:
            platform = _principal(session, actor, demo.reviewer)
            sent = submission.submit(session, platform, _case(seed, demo), geo).report
            if demo.accepted_by is not None:
                police = _principal(session, actor, demo.accepted_by)
                inbox.accept(session, police, sent.reference)
                outcomes.record_outcome(
                    session,
                    police,
                    sent.reference,
                    OutcomeIn(outcome=Outcome.investigation_opened, note="Demo: case opened."),
                )
    finally:
        if geo is not None:
            geo.close()
    return earlier + len(CASES)
