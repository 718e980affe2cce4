"""Reviews of member countries' law: recording, publishing, reading, every review kept.

Who: the secretariat records and publishes reviews of any member country; a country's
own editors (government organisations' ``country_editor``) record reviews of their own
country, which stay unpublished until the secretariat publishes them. Published reviews
are public (no login); members see unpublished reviews only where they may record them.

The framework data decide the shape: the criteria are the ``criterion`` items of the
criteria framework (``icmec2018``), "sufficient" is its ``rule`` (every required
criterion met), the scores are the scored items under the score framework's indicator
(``oosi2019``), each checked against its own scale, the total against the indicator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries.models import MemberCountry
from alliance.countries.names import check_country_code, display_name
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.frameworks import Item, ItemKind, get_framework
from alliance.legal.models import (
    CriterionStatus,
    LegalReview,
    LegalReviewCriterion,
    LegalReviewScore,
    LegalReviewSource,
)
from alliance.legal.schemas import CriterionOut, ReviewIn, ReviewOut, ScoreOut, SourceOut

CRITERIA_FRAMEWORK = "icmec2018"
SCORE_FRAMEWORK = "oosi2019"
DEMO_LABEL = "demo data, not a legal assessment"


@dataclass(frozen=True)
class Scheme:
    """What a review answers, read from the framework data."""

    criteria_framework: str
    score_framework: str
    criteria: tuple[Item, ...]
    #: The criteria the "sufficient" rule requires.
    required: tuple[str, ...]
    scored: tuple[Item, ...]
    total_min: int
    total_max: int

    def title(self, item_id: str) -> str:
        for item in (*self.criteria, *self.scored):
            if item.id == item_id:
                return f"{item.number}. {item.title}" if item.number else item.title
        return item_id

    def titles(self) -> dict[str, str]:
        return {i.id: self.title(i.id) for i in (*self.criteria, *self.scored)}

    def score_max(self, item_id: str) -> int:
        item = next(i for i in self.scored if i.id == item_id)
        assert item.scale is not None
        return item.scale.max


def scheme(
    criteria_framework: str = CRITERIA_FRAMEWORK, score_framework: str = SCORE_FRAMEWORK
) -> Scheme:
    crit_fw = get_framework(criteria_framework)
    criteria = tuple(i for i in crit_fw.items if i.kind is ItemKind.criterion)
    rules = [i for i in crit_fw.items if i.kind is ItemKind.rule]
    required = tuple(rules[0].requires) if rules else tuple(i.id for i in criteria)
    score_fw = get_framework(score_framework)
    indicators = [i for i in score_fw.items if i.kind is ItemKind.indicator]
    scored = tuple(
        i for i in score_fw.items if i.kind is ItemKind.sub_indicator and i.scale is not None
    )
    if indicators and indicators[0].scale is not None:
        total_min, total_max = indicators[0].scale.min, indicators[0].scale.max
    else:
        total_min = sum(i.scale.min for i in scored if i.scale)
        total_max = sum(i.scale.max for i in scored if i.scale)
    return Scheme(
        criteria_framework, score_framework, criteria, required, scored, total_min, total_max
    )


def is_sufficient(statuses: dict[str, CriterionStatus], rule: Sequence[str]) -> bool:
    """The rule: every required criterion met (partly met is not met)."""
    return all(statuses.get(item_id) is CriterionStatus.met for item_id in rule)


def check_review(data: ReviewIn, plan: Scheme) -> tuple[dict[str, CriterionStatus], int]:
    """The statuses and the total, or InvalidInput naming the field at fault."""
    known = {i.id for i in plan.criteria}
    for item_id in data.criteria:
        if item_id not in known:
            raise InvalidInput(
                f"unknown criterion {item_id!r}: the criteria are {', '.join(sorted(known))}",
                field="criteria",
            )
    missing = [i.id for i in plan.criteria if i.id not in data.criteria]
    if missing:
        raise InvalidInput(
            f"every criterion needs an answer; missing: {', '.join(missing)}", field="criteria"
        )
    scored = {i.id: i for i in plan.scored}
    for item_id, score in data.scores.items():
        item = scored.get(item_id)
        if item is None or item.scale is None:
            raise InvalidInput(
                f"unknown score {item_id!r}: the scores are {', '.join(sorted(scored))}",
                field="scores",
            )
        if not item.scale.min <= score <= item.scale.max:
            raise InvalidInput(
                f"{item.number or item_id} ({item.title}) is scored "
                f"{item.scale.min}–{item.scale.max}, not {score}",
                field=f"scores.{item_id}",
            )
    missing = [i for i in scored if i not in data.scores]
    if missing:
        raise InvalidInput(
            f"every score needs a value; missing: {', '.join(missing)}", field="scores"
        )
    total = sum(data.scores.values())
    if not plan.total_min <= total <= plan.total_max:
        raise InvalidInput(
            f"the total {total} is outside {plan.total_min}–{plan.total_max}", field="scores"
        )
    statuses = {k: v.status for k, v in data.criteria.items()}
    return statuses, total


def may_record(principal: Principal, country: str) -> bool:
    reach = principal.reach(Permission.LEGAL_REVIEW)
    if reach is Reach.ALL:
        return True
    return reach is Reach.OWN and principal.country_code == country


def check_may_record(principal: Principal, country: str) -> None:
    authorize(principal, Permission.LEGAL_REVIEW)
    if not may_record(principal, country):
        raise PermissionDenied("a country's editors record reviews of their own country only")


def record_review(
    session: Session, principal: Principal, data: ReviewIn, *, audit: bool = True
) -> LegalReview:
    """Record a review (a new one; earlier ones are kept). Publishing it at once is the
    secretariat's (``LEGAL_PUBLISH``)."""
    code = check_country_code(data.country, field="country")
    check_may_record(principal, code)
    if data.published:
        authorize(principal, Permission.LEGAL_PUBLISH)
    if session.get(MemberCountry, code) is None:
        raise InvalidInput(f"{display_name(code)} is not a member country", field="country")
    plan = scheme()
    statuses, total = check_review(data, plan)
    now = utcnow()
    review = LegalReview(
        country_code=code,
        criteria_framework=plan.criteria_framework,
        score_framework=plan.score_framework,
        sufficient=is_sufficient(statuses, plan.required),
        score_total=total,
        non_photographic=data.non_photographic,
        ai_generated=data.ai_generated,
        provider_reporting=data.provider_reporting,
        notes=data.notes.strip(),
        reviewed_on=data.reviewed_on,
        reviewed_by=data.reviewed_by.strip(),
        recorded_by=principal.audit_label,
        recorded_at=now,
        published=data.published,
        published_at=now if data.published else None,
        demo=data.demo,
    )
    review.criteria = [
        LegalReviewCriterion(item_id=k, status=v.status, statute=v.statute.strip())
        for k, v in sorted(data.criteria.items())
    ]
    review.scores = [LegalReviewScore(item_id=k, score=v) for k, v in sorted(data.scores.items())]
    review.sources = [
        LegalReviewSource(position=n, citation=s.citation.strip(), url=s.url, dated=s.dated)
        for n, s in enumerate(data.sources)
    ]
    session.add(review)
    session.flush()
    if audit:
        record(
            session,
            principal,
            EventType.LEGAL_REVIEW_RECORDED,
            "legal_review",
            str(review.id),
            {
                "country": code,
                "reviewed_on": data.reviewed_on.isoformat(),
                "sufficient": review.sufficient,
                "score_total": total,
                "published": review.published,
                "demo": review.demo,
            },
        )
    return review


def publish_review(session: Session, principal: Principal, review_id: int) -> LegalReview:
    authorize(principal, Permission.LEGAL_PUBLISH)
    review = session.get(LegalReview, review_id)
    if review is None:
        raise NotFound(f"no legal review {review_id}")
    if review.published:
        raise Conflict("this review is already published")
    review.published = True
    review.published_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        EventType.LEGAL_REVIEW_PUBLISHED,
        "legal_review",
        str(review.id),
        {"country": review.country_code, "reviewed_on": review.reviewed_on.isoformat()},
    )
    return review


def _visible(principal: Principal | None, review: LegalReview) -> bool:
    """Published reviews are public; unpublished ones for those who may record them."""
    if review.published:
        return True
    return principal is not None and may_record(principal, review.country_code)


def _ordered_query(country: str | None = None) -> Any:
    query = select(LegalReview)
    if country is not None:
        query = query.where(LegalReview.country_code == country)
    return query.order_by(
        LegalReview.country_code, LegalReview.reviewed_on.desc(), LegalReview.id.desc()
    )


def history(session: Session, principal: Principal | None, country: str) -> list[LegalReview]:
    """A country's reviews the caller may see, newest first (``None``: anonymous)."""
    if principal is not None:
        authorize(principal, Permission.LEGAL_READ)
    code = check_country_code(country, field="country")
    if session.get(MemberCountry, code) is None:
        raise NotFound(f"{display_name(code)} is not a member country")
    reviews = session.execute(_ordered_query(code)).scalars().all()
    return [r for r in reviews if _visible(principal, r)]


def get_review(session: Session, principal: Principal | None, review_id: int) -> LegalReview:
    if principal is not None:
        authorize(principal, Permission.LEGAL_READ)
    review = session.get(LegalReview, review_id)
    if review is None or not _visible(principal, review):
        raise NotFound(f"no legal review {review_id}")
    return review


def reviews_by_country(
    session: Session, principal: Principal | None
) -> dict[str, list[LegalReview]]:
    """Every visible review, by country, newest first."""
    if principal is not None:
        authorize(principal, Permission.LEGAL_READ)
    out: dict[str, list[LegalReview]] = {}
    for review in session.execute(_ordered_query()).scalars():
        if _visible(principal, review):
            out.setdefault(review.country_code, []).append(review)
    return out


def current_reviews(session: Session, principal: Principal | None) -> list[LegalReview]:
    """Each country's latest visible review, by country code."""
    return [reviews[0] for _, reviews in sorted(reviews_by_country(session, principal).items())]


def review_out(review: LegalReview) -> ReviewOut:
    plan = scheme(review.criteria_framework, review.score_framework)
    return ReviewOut(
        id=review.id,
        country=review.country_code,
        country_name=display_name(review.country_code),
        criteria_framework=review.criteria_framework,
        score_framework=review.score_framework,
        criteria=[
            CriterionOut(
                item_id=c.item_id, title=plan.title(c.item_id), status=c.status, statute=c.statute
            )
            for c in review.criteria
        ],
        sufficient=review.sufficient,
        scores=[
            ScoreOut(
                item_id=s.item_id,
                title=plan.title(s.item_id),
                score=s.score,
                max=plan.score_max(s.item_id),
            )
            for s in review.scores
        ],
        score_total=review.score_total,
        score_max=plan.total_max,
        non_photographic=review.non_photographic,
        ai_generated=review.ai_generated,
        provider_reporting=review.provider_reporting,
        notes=review.notes,
        sources=[SourceOut.model_validate(s) for s in review.sources],
        reviewed_on=review.reviewed_on,
        reviewed_by=review.reviewed_by,
        recorded_by=review.recorded_by,
        recorded_at=review.recorded_at,
        published=review.published,
        published_at=review.published_at,
        demo=review.demo,
    )


#: The columns the matrix may be sorted by (it has one row per member: sorted in memory).
MATRIX_SORTS: dict[str, Any] = {
    "country": lambda r: display_name(r.country_code),
    "reviewed": lambda r: (r.reviewed_on, r.id),
    "sufficient": lambda r: (r.sufficient, display_name(r.country_code)),
    "score": lambda r: (r.score_total, display_name(r.country_code)),
}


def sorted_reviews(
    reviews: Sequence[LegalReview], sort: str | None, *, descending: bool = False
) -> list[LegalReview]:
    key = MATRIX_SORTS.get(sort or "country", MATRIX_SORTS["country"])
    return sorted(reviews, key=key, reverse=descending)
