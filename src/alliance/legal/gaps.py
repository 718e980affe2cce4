"""The gap report: per country what its law lacks, alliance-wide counts, and the change
since the previous review. One function, :func:`gap_report`, which pages, API and CLI
render; it counts only the reviews the caller may see (the public: published ones)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.countries.models import MemberCountry
from alliance.countries.names import display_name
from alliance.legal.matrix import Scheme, reviews_by_country, scheme
from alliance.legal.models import CriterionStatus, LegalReview
from alliance.legal.schemas import CountryGap, GapReport


def country_gap(plan: Scheme, current: LegalReview, previous: LegalReview | None) -> CountryGap:
    missing = {c.item_id: c.status for c in current.criteria if c.status is not CriterionStatus.met}
    points = {
        s.item_id: plan.score_max(s.item_id) - s.score
        for s in current.scores
        if s.score < plan.score_max(s.item_id)
    }
    gap = CountryGap(
        country=current.country_code,
        country_name=display_name(current.country_code),
        review_id=current.id,
        reviewed_on=current.reviewed_on,
        demo=current.demo,
        sufficient=current.sufficient,
        criteria_missing=missing,
        score_total=current.score_total,
        score_max=plan.total_max,
        points_missing=points,
    )
    if previous is not None:
        met_before = {c.item_id for c in previous.criteria if c.status is CriterionStatus.met}
        met_now = {c.item_id for c in current.criteria if c.status is CriterionStatus.met}
        gap.previous_reviewed_on = previous.reviewed_on
        gap.sufficient_before = previous.sufficient
        gap.score_change = current.score_total - previous.score_total
        gap.criteria_gained = sorted(met_now - met_before)
        gap.criteria_lost = sorted(met_before - met_now)
    return gap


def gap_report(session: Session, principal: Principal | None) -> GapReport:
    """The report over each member's latest visible review (``principal`` None: public)."""
    plan = scheme()
    by_country = reviews_by_country(session, principal)
    members = list(
        session.execute(select(MemberCountry.code).order_by(MemberCountry.code)).scalars()
    )
    gaps = [
        country_gap(plan, reviews[0], reviews[1] if len(reviews) > 1 else None)
        for code, reviews in sorted(by_country.items())
    ]
    missing_counts: Counter[str] = Counter({c.id: 0 for c in plan.criteria})
    for gap in gaps:
        missing_counts.update(gap.criteria_missing.keys())
    ordered = dict(sorted(missing_counts.items(), key=lambda kv: (-kv[1], kv[0])))
    top = max(ordered.values(), default=0)
    distribution = dict.fromkeys(range(plan.total_min, plan.total_max + 1), 0)
    for gap in gaps:
        distribution[gap.score_total] += 1
    return GapReport(
        criteria_framework=plan.criteria_framework,
        score_framework=plan.score_framework,
        titles=plan.titles(),
        members=len(members),
        reviewed=len(gaps),
        sufficient=sum(1 for g in gaps if g.sufficient),
        criterion_missing_counts=ordered,
        most_often_missing=[k for k, v in ordered.items() if v == top and top > 0],
        score_distribution=distribution,
        countries=gaps,
        not_reviewed=[c for c in members if c not in by_country],
        any_demo=any(g.demo for g in gaps),
    )
