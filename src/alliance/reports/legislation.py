"""Goal 2, criminalisation and prosecution: each country's law as the latest published
legal review before the period's end found it (``legal/``).

- ``legal.criteria_met``: ICMEC model-legislation criteria met (0-5); alliance-wide, the
  mean over the reviewed countries.
- ``legal.sufficient``: 1 when the law is sufficient (criteria 1-4 met), else 0;
  alliance-wide, the share of reviewed countries whose law is.
- ``legal.oosi_score``: the Out of the Shadows 4.4 score (0-8); alliance-wide, the mean.
- ``legal.criteria_change``: criteria met now minus at the review before (none before:
  undefined); alliance-wide, the mean over the countries with two reviews.

A country never reviewed (or only in unpublished drafts) has no data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from alliance.legal.models import CriterionStatus, LegalReview, LegalReviewCriterion
from alliance.reports.cohorts import ALLIANCE
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value

INDICATORS = (
    "legal.criteria_met",
    "legal.sufficient",
    "legal.oosi_score",
    "legal.criteria_change",
)

_Review = tuple[date, int, bool, int]  # reviewed on, criteria met, sufficient, score


def _reviews(session: Session) -> dict[str, list[_Review]]:
    """Every published review per country, oldest first."""
    met = func.sum(case((LegalReviewCriterion.status == CriterionStatus.met, 1), else_=0))
    rows = session.execute(
        select(
            LegalReview.country_code,
            LegalReview.reviewed_on,
            func.coalesce(met, 0),
            LegalReview.sufficient,
            LegalReview.score_total,
        )
        .outerjoin(LegalReviewCriterion, LegalReviewCriterion.review_id == LegalReview.id)
        .where(LegalReview.published.is_(True))
        .group_by(LegalReview.id)
        .order_by(LegalReview.reviewed_on, LegalReview.id)
    )
    out: dict[str, list[_Review]] = defaultdict(list)
    for country, on, criteria, sufficient, score in rows:
        out[country].append((on, int(criteria), bool(sufficient), int(score)))
    return out


def _mean(values: list[float]) -> float | None:
    return None if not values else round(sum(values) / len(values), 4)


def legislation_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-2 indicator for each period, for ``countries`` and alliance-wide (every
    reviewed country, listed or not)."""
    reviews = _reviews(session)
    out: list[Value] = []
    for period in periods:
        ends = min(period.ends, as_of).date()
        latest: dict[str, tuple[_Review, _Review | None]] = {}
        for country, history in reviews.items():
            before = [r for r in history if r[0] < ends]
            if before:
                latest[country] = (before[-1], before[-2] if len(before) > 1 else None)
        per_indicator: dict[str, dict[str, float | None]] = {i: {} for i in INDICATORS}
        for country, (review, previous) in latest.items():
            _, criteria, sufficient, score = review
            per_indicator["legal.criteria_met"][country] = criteria
            per_indicator["legal.sufficient"][country] = 1.0 if sufficient else 0.0
            per_indicator["legal.oosi_score"][country] = score
            per_indicator["legal.criteria_change"][country] = (
                None if previous is None else criteria - previous[1]
            )
        for indicator, values in per_indicator.items():
            known = [v for v in values.values() if v is not None]
            mean = _mean([float(v) for v in known])
            if not latest:
                out.append(Value(indicator, ALLIANCE, period.key, None, 0, Status.no_data))
            else:
                status = Status.ok if mean is not None else Status.undefined
                out.append(Value(indicator, ALLIANCE, period.key, mean, len(known), status))
            for country in countries:
                if country not in latest:
                    out.append(Value(indicator, country, period.key, None, 0, Status.no_data))
                    continue
                value = values.get(country)
                if value is None:
                    out.append(
                        Value(
                            indicator, country, period.key, None, 1, Status.undefined,
                            notes=("no earlier review to compare with",),
                        )
                    )  # fmt: skip
                else:
                    out.append(Value(indicator, country, period.key, float(value), 1))
    return out
