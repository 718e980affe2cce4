"""API of the legal-framework matrix. Reading is public (published reviews, no key);
recording takes ``legal:review:record`` (the secretariat, or a country's editors for their
own country), publishing ``legal:review:publish`` (the secretariat).

Routes only parse and call :mod:`alliance.legal`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.legal import exchange, gaps, matrix
from alliance.legal.schemas import GapReport, ImportResult, ReviewIn, ReviewOut
from alliance.validation import RecordId, Text
from alliance.web.errors import answers
from alliance.web.guards import DbSession, public, requires

router = APIRouter(prefix="/api/v1/legal", tags=["legal"])


class MatrixFile(BaseModel):
    format: Literal["csv", "json"]
    content: Text = Field(max_length=20_000_000, description="the file's text")


@router.get("/reviews", dependencies=[public], responses=answers(404))
def list_reviews(
    session: DbSession,
    country: Annotated[str | None, Query(max_length=2, description="ISO code: its history")] = None,
) -> list[ReviewOut]:
    """Published reviews: each member's latest, or one country's every review (newest
    first). No key needed."""
    if country:
        return [matrix.review_out(r) for r in matrix.history(session, None, country)]
    return [matrix.review_out(r) for r in matrix.current_reviews(session, None)]


@router.get("/reviews/{review_id}", dependencies=[public])
def get_review(review_id: RecordId, session: DbSession) -> ReviewOut:
    """One published review."""
    return matrix.review_out(matrix.get_review(session, None, review_id))


@router.get("/recorded")
def recorded_reviews(
    session: DbSession,
    country: Annotated[str | None, Query(max_length=2, description="only this country")] = None,
    principal: Principal = requires(Permission.LEGAL_REVIEW),
) -> list[ReviewOut]:
    """Every review you may record, unpublished ones too (the secretariat: all; a
    country's editors: their country's), by country, newest first."""
    by_country = matrix.reviews_by_country(session, principal)
    if country:
        code = country.strip().upper()
        by_country = {code: by_country.get(code, [])}
    return [
        matrix.review_out(r)
        for _, reviews in sorted(by_country.items())
        for r in reviews
        if matrix.may_record(principal, r.country_code)
    ]


@router.get("/gaps", dependencies=[public])
def gap_report(session: DbSession) -> GapReport:
    """The gap report over the published matrix: per country what its law lacks, the
    alliance-wide counts, and the change since each country's previous review."""
    return gaps.gap_report(session, None)


@router.get(
    "/export",
    dependencies=[public],
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "the matrix file",
        }
    },
)
def export_matrix(session: DbSession, format: Literal["csv", "json"] = "json") -> Response:
    """The published matrix, full history, as CSV or JSON (the import's format)."""
    text = exchange.export_matrix(session, None, format)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    suffix = "csv" if format == "csv" else "json"
    return Response(
        text,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="legal-matrix.{suffix}"'},
    )


@router.post("/reviews", status_code=201, responses=answers(404))
def record_review(
    data: ReviewIn,
    session: DbSession,
    principal: Principal = requires(Permission.LEGAL_REVIEW),
) -> ReviewOut:
    """Record a review of a member country's law (every earlier one is kept)."""
    return matrix.review_out(matrix.record_review(session, principal, data))


@router.post("/reviews/{review_id}/publish", responses=answers(409))
def publish_review(
    review_id: RecordId,
    session: DbSession,
    principal: Principal = requires(Permission.LEGAL_PUBLISH),
) -> ReviewOut:
    """Publish a review: it becomes public."""
    return matrix.review_out(matrix.publish_review(session, principal, review_id))


@router.post("/import")
def import_matrix(
    data: MatrixFile,
    session: DbSession,
    principal: Principal = requires(Permission.LEGAL_REVIEW),
) -> ImportResult:
    """Import reviews from a CSV or JSON export: all of them, or (on any error, the line
    or review named) none."""
    return exchange.import_matrix(session, principal, data.content, data.format)
