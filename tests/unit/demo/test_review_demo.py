"""The demo platform's review queue: its cases open from matches of the demo baseline bank,
their pictures written under the data folder, which demo mode reads as the media root."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import services as banks
from alliance.banks.schemas import EntryIn
from alliance.db.listing import Listing
from alliance.demo import review as demo
from alliance.review import cases, previews
from alliance.review.models import Case, CaseStatus
from alliance.settings import Mode, load_settings
from tests import factories


def test_build(session: Session, tmp_path: Path) -> None:
    platform = factories.organisation(session, OrgKind.industry, "NL", slug="nl-photoshare")
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="baseline-demo")
    signals = [EntryIn(signal_type="pdq", signal=factories.pdq_hex(n)) for n in range(6)]
    banks.add_entries(session, analyst, "baseline-demo", signals)
    reviewer = factories.principal(factories.user(session, platform, Role.reviewer))
    assert demo.build(session, reviewer, 7, tmp_path) == 5
    statuses = session.execute(select(Case.status).order_by(Case.id)).scalars().all()
    assert statuses == [CaseStatus.open] * 3 + [CaseStatus.escalated, CaseStatus.confirmed]
    settings = load_settings(mode=Mode.demo, data_dir=tmp_path)
    assert settings.resolved_review_media_root() == tmp_path / "review-media"
    late, total, _ = cases.list_cases(
        session, reviewer, Listing(), cases.QueueFilter(overdue=True), settings=settings
    )
    assert total == 1 and late[0].effects  # the report rule fired on the nearest match
    shown = previews.preview(session, reviewer, late[0].reference, settings=settings)
    assert shown.found
