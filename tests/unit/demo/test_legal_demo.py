"""The demo's legal reviews: two published cycles for each of the 48 countries, a draft
waiting for NL, every review marked as demo data, deterministic."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind
from alliance.demo import countries as demo_countries
from alliance.demo import legal as demo
from alliance.legal import exchange, gaps, matrix
from tests import factories


def test_build_reviews_every_founding_country(session: Session) -> None:
    factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline")
    factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
    demo_countries.build(session, factories.OPERATOR, ["NL"])
    assert demo.build(session, factories.OPERATOR, demo_countries.FOUNDING) == 48 * 2 + 1
    report = gaps.gap_report(session, None)
    assert (report.members, report.reviewed) == (48, 48)
    assert report.any_demo and all(g.demo for g in report.countries)
    assert all(g.previous_reviewed_on is not None for g in report.countries)
    # Something to show: neither all sufficient nor none, several totals.
    assert 0 < report.sufficient < 48
    assert len([n for n in report.score_distribution.values() if n]) >= 3
    nl = matrix.history(session, factories.OPERATOR, "NL")
    assert [r.published for r in nl] == [False, True, True]
    assert all(r.demo for r in nl)
    # Deterministic: the same seed, the same matrix.
    first = exchange.export_matrix(session, None, "json")
    assert "Demo data, not a legal assessment" in first
