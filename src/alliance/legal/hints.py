"""What the takedown item page says about the hosting country's law: a hint for the
analyst, never a decision. Only the published matrix counts here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.countries.names import display_name
from alliance.legal.models import Coverage, LegalReview
from alliance.takedown.models import ContentType

#: Which review field answers for which content class.
COVERAGE_FIELD = {
    ContentType.non_photographic: "non_photographic",
    ContentType.ai_generated: "ai_generated",
}
WORDS = {
    ContentType.non_photographic: "non-photographic material",
    ContentType.ai_generated: "AI-generated material",
}


def item_hint(
    session: Session, country: str | None, content_types: list[ContentType | None]
) -> str | None:
    """The hint for an item: its hosting country against the content class of its latest
    assessment that gave one (``content_types`` oldest first)."""
    latest = next((c for c in reversed(content_types) if c is not None), None)
    return coverage_hint(session, country, latest)


def coverage_hint(
    session: Session, country: str | None, content_type: ContentType | str | None
) -> str | None:
    """A sentence when ``country``'s latest published review says its law does not (or
    may not) cover ``content_type``; None when there is nothing to say."""
    if not country or content_type is None:
        return None
    try:
        kind = ContentType(content_type)
    except ValueError:
        return None
    if kind not in COVERAGE_FIELD:
        return None
    review = session.execute(
        select(LegalReview)
        .where(LegalReview.country_code == country.upper(), LegalReview.published.is_(True))
        .order_by(LegalReview.reviewed_on.desc(), LegalReview.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if review is None:
        return None
    coverage = getattr(review, COVERAGE_FIELD[kind])
    if coverage is Coverage.covered:
        return None
    name = display_name(review.country_code)
    verdict = "Not covered" if coverage is Coverage.not_covered else "Coverage unclear"
    demo = " — demo data, not a legal assessment" if review.demo else ""
    return (
        f"{verdict} by {name}'s law ({WORDS[kind]}) per the alliance's legal review of "
        f"{review.reviewed_on.isoformat()} (a hint, not a legal decision){demo}."
    )
