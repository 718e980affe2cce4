"""Goal 2 on a small world worked out by hand: the latest published review before the
period's end, the change since the review before, drafts left out, no review: no data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from alliance.countries.models import MemberCountry
from alliance.legal.models import Coverage, CriterionStatus, LegalReview, LegalReviewCriterion
from alliance.reports.legislation import legislation_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def review(
    session: Session, country: str, on: str, met: int, score: int, *, published: bool = True
) -> None:
    made = LegalReview(
        country_code=country,
        criteria_framework="icmec2018",
        score_framework="oosi2019",
        sufficient=met >= 4,
        score_total=score,
        non_photographic=Coverage.unclear,
        ai_generated=Coverage.unclear,
        provider_reporting=Coverage.unclear,
        reviewed_on=date.fromisoformat(on),
        reviewed_by="test",
        recorded_by="test",
        published=published,
    )
    session.add(made)
    session.flush()
    for n in range(1, 6):
        status = CriterionStatus.met if n <= met else CriterionStatus.not_met
        session.add(
            LegalReviewCriterion(review_id=made.id, item_id=f"icmec2018.crit.{n}", status=status)
        )
    session.flush()


@pytest.fixture
def world(session: Session) -> None:
    for code in ("NL", "GB", "DE"):
        factories.jurisdiction(session, code)
        session.add(MemberCountry(code=code, name=code, joined_on=date(2012, 12, 5)))
    session.flush()
    review(session, "NL", "2020-01-01", 3, 5)
    review(session, "NL", "2025-03-01", 5, 8)  # +2 criteria, now sufficient
    review(session, "NL", "2026-02-01", 2, 1)  # after 2025: not in 2025's figures
    review(session, "GB", "2024-06-01", 4, 6)  # a single review: no change to tell
    review(session, "DE", "2025-01-01", 5, 8, published=False)  # a draft: DE has no data


def test_latest_review_before_the_end(session: Session, world: None) -> None:
    found = legislation_values(session, [YEAR], ["NL", "GB", "DE"], AS_OF)
    v: dict[tuple[str, str | None], Value] = {(x.indicator, x.country): x for x in found}
    assert v[("legal.criteria_met", "NL")].value == 5
    assert v[("legal.sufficient", "NL")].value == 1
    assert v[("legal.oosi_score", "NL")].value == 8
    assert v[("legal.criteria_change", "NL")].value == 2
    assert v[("legal.criteria_met", "GB")].value == 4
    gb_change = v[("legal.criteria_change", "GB")]
    assert (gb_change.value, gb_change.status) == (None, Status.undefined)
    assert v[("legal.criteria_met", "DE")].status is Status.no_data
    # Alliance-wide over NL and GB: means, and the share sufficient (both: 4 and 5 met).
    assert v[("legal.criteria_met", None)].value == 4.5
    assert v[("legal.oosi_score", None)].value == 7
    assert v[("legal.sufficient", None)].value == 1
    assert (v[("legal.criteria_change", None)].value, v[("legal.criteria_change", None)].n) == (
        2,
        1,
    )


def test_before_any_review(session: Session, world: None) -> None:
    found = legislation_values(session, [Period(2019)], ["NL"], AS_OF)
    assert {x.status for x in found} == {Status.no_data}
