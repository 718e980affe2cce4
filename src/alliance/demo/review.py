"""The demo platform's review queue: cases opened from matches of its uploads against the
demo baseline bank, their media benign generated pictures in ``<data_dir>/review-media``.

nl-photoshare (whose reviewer is ``nl-reviewer``) has a report rule on the demo baseline
bank, three open cases (one overdue), one escalated and one confirmed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks.models import Bank, BankEntry
from alliance.demo import media
from alliance.review import cases, decisions, rules
from alliance.review.models import DecisionKind, RuleAction
from alliance.review.schemas import CaseMatch, ContentRef, DecisionIn, RuleIn
from alliance.settings import Mode, load_settings

PLATFORM = "nl-photoshare"
BANK = "baseline-demo"
MEDIA = "review-media"


def build(session: Session, reviewer: Principal, seed: int, data_dir: Path) -> int:
    """The demo platform's cases; how many were opened."""
    org = session.execute(select(Organisation).where(Organisation.slug == PLATFORM)).scalar_one()
    entries = list(
        session.execute(
            select(BankEntry.id)
            .join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.name == BANK)
            .order_by(BankEntry.id)
            .limit(5)
        ).scalars()
    )
    folder = data_dir / MEDIA / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    settings = load_settings(mode=Mode.demo, data_dir=data_dir)
    admin = Principal(
        kind="demo",
        name=f"{PLATFORM}-admin",
        role=Role.org_admin,
        organisation_id=org.id,
        organisation_kind=OrgKind.industry,
        country_code=org.country_code,
    )
    rules.add_rule(session, admin, RuleIn(bank=BANK, max_distance=4, action=RuleAction.report))
    opened = []
    for n, entry_id in enumerate(entries):
        name = f"upload-{seed}-{n + 1}.jpg"
        (folder / name).write_bytes(media.jpeg(media.picture(seed * 1000 + 700 + n)))
        case = cases.open_case(
            session,
            reviewer,
            ContentRef(content_id=f"photoshare-{n + 1:04d}", media_path=f"uploads/{name}"),
            [
                CaseMatch(
                    bank=BANK,
                    entry_id=entry_id,
                    category="A1",
                    verification="verified",
                    distance=(n * 5) % 17,
                    variant="original",
                )
            ],
            settings=settings,
        )
        opened.append(case)
    if opened:
        opened[0].opened_at -= timedelta(hours=settings.review_sla_hours + 6)  # overdue
    if len(opened) >= 5:
        up = DecisionIn(decision=DecisionKind.escalate, reason="Demo: for a senior look.")
        decisions.decide(session, reviewer, opened[3].reference, up, settings=settings)
        yes = DecisionIn(decision=DecisionKind.confirm, reason="Demo: the listed picture.")
        decisions.decide(session, reviewer, opened[4].reference, yes, settings=settings)
    return len(opened)
