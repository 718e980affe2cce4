"""Pages of the legal-framework matrix: the public matrix with its gap report and each
country's published reviews (no login), the recorders' working view, the form that
records a review, and publishing. Every decision is :mod:`alliance.legal`'s."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries.models import MemberCountry
from alliance.countries.names import display_name
from alliance.errors import AllianceError
from alliance.legal import gaps, matrix
from alliance.legal.models import Coverage, CriterionStatus
from alliance.legal.schemas import ReviewIn
from alliance.validation import RecordId
from alliance.web.errors import form_status
from alliance.web.forms import Form as WebForm
from alliance.web.forms import FormFields, failed, field_errors
from alliance.web.guards import DbSession, page_public, page_requires, page_viewer
from alliance.web.labels import label
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
SOURCE_ROWS = 3
MATRIX_CSV_HEADER = [
    "Country",
    "Reviewed on",
    "Sufficient",
    "Criteria not met",
    "OOSI 4.4 total",
    "Non-photographic material",
    "AI-generated material",
    "Provider reporting",
    "Demo data",
]


def _matrix(
    request: Request,
    session: DbSession,
    principal: Principal | None,
    *,
    template: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    table, _ = read_table(
        request, sortable=tuple(matrix.MATRIX_SORTS), default="country", page_size=500
    )
    reviews = matrix.sorted_reviews(
        matrix.current_reviews(session, principal), table.sort, descending=table.descending
    )
    rows = [matrix.review_out(r) for r in reviews]
    if table.csv:
        return csv_response(
            "legal-matrix.csv",
            MATRIX_CSV_HEADER,
            (
                (
                    r.country_name,
                    r.reviewed_on,
                    "yes" if r.sufficient else "no",
                    " ".join(c.title for c in r.criteria if c.status is not CriterionStatus.met),
                    f"{r.score_total}/{r.score_max}",
                    r.non_photographic,
                    r.ai_generated,
                    r.provider_reporting,
                    "demo data, not a legal assessment" if r.demo else "",
                )
                for r in rows
            ),
        )
    return render(
        request,
        template,
        {
            "table": table,
            "rows": rows,
            "report": gaps.gap_report(session, principal),
            "demo_label": matrix.DEMO_LABEL,
            **(extra or {}),
        },
    )


@router.get("/legal", dependencies=[page_public])
def public_matrix(request: Request, session: DbSession) -> Response:
    """The published matrix and its gap report, for anyone (a member logged in sees the
    same, with the menus)."""
    page_viewer(request)
    return _matrix(request, session, None, template="legal_matrix.html")


@router.get("/legal/countries/{country}", dependencies=[page_public])
def public_country(request: Request, session: DbSession, country: str) -> Response:
    page_viewer(request)
    reviews = [matrix.review_out(r) for r in matrix.history(session, None, country)]
    code = country.strip().upper()
    return render(
        request,
        "legal_country.html",
        {
            "country": code,
            "country_name": display_name(code),
            "reviews": reviews,
            "demo_label": matrix.DEMO_LABEL,
        },
    )


@router.get("/legal/reviews")
def working_matrix(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.LEGAL_REVIEW),
) -> Response:
    """Every review the recorder may see, unpublished ones too."""
    by_country = matrix.reviews_by_country(session, principal)
    history = [matrix.review_out(r) for _, rs in sorted(by_country.items()) for r in rs]
    return _matrix(
        request,
        session,
        principal,
        template="legal_reviews.html",
        extra={
            "history": history,
            "may_publish": principal.can(Permission.LEGAL_PUBLISH),
        },
    )


# --- recording a review ------------------------------------------------------------------


def _form_labels(plan: matrix.Scheme) -> dict[str, str]:
    labels = {
        "country": "Country",
        "reviewed_on": "Reviewed on",
        "reviewed_by": "Reviewed by",
        "non_photographic": "Non-photographic material",
        "ai_generated": "AI-generated material",
        "provider_reporting": "Mandatory reporting by providers",
        "notes": "Notes",
        "sources": "Sources",
    }
    for n, item in enumerate(plan.criteria):
        labels[f"status_{n}"] = plan.title(item.id)
        labels[f"statute_{n}"] = f"{plan.title(item.id)}: statute"
    for n, item in enumerate(plan.scored):
        labels[f"score_{n}"] = plan.title(item.id)
    for n in range(SOURCE_ROWS):
        labels[f"source_url_{n}"] = f"Source {n + 1}: address"
        labels[f"source_date_{n}"] = f"Source {n + 1}: date"
        labels[f"source_citation_{n}"] = f"Source {n + 1}: citation"
    return labels


def _countries_for(session: DbSession, principal: Principal) -> list[tuple[str, str]]:
    codes = session.execute(select(MemberCountry.code)).scalars().all()
    allowed = [c for c in codes if matrix.may_record(principal, c)]
    return sorted(((c, display_name(c)) for c in allowed), key=lambda p: p[1])


def _review_form(
    request: Request,
    session: DbSession,
    principal: Principal,
    form: WebForm | None = None,
    *,
    status_code: int = 200,
) -> Response:
    plan = matrix.scheme()
    form = form or WebForm(values={"country": request.query_params.get("country", "").upper()[:2]})
    return render(
        request,
        "legal_review_form.html",
        {
            "form": form,
            "plan": plan,
            "countries": [("", "—"), *_countries_for(session, principal)],
            "statuses": [(s.value, label(s)) for s in CriterionStatus],
            "coverages": [(c.value, label(c)) for c in Coverage],
            "source_rows": range(SOURCE_ROWS),
            "may_publish": principal.can(Permission.LEGAL_PUBLISH),
            "score_fields": [
                (
                    f"score_{n}",
                    plan.title(i.id),
                    i.scale.min if i.scale else 0,
                    plan.score_max(i.id),
                )
                for n, i in enumerate(plan.scored)
            ],
        },
        status_code=status_code,
    )


@router.get("/legal/reviews/new")
def review_form(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.LEGAL_REVIEW),
) -> Response:
    return _review_form(request, session, principal)


def _review_in(fields: dict[str, str], plan: matrix.Scheme) -> dict[str, Any]:
    """The form as ReviewIn takes it (pydantic checks the values)."""
    sources = []
    for n in range(SOURCE_ROWS):
        citation = fields.get(f"source_citation_{n}", "").strip()
        url = fields.get(f"source_url_{n}", "").strip()
        dated = fields.get(f"source_date_{n}", "").strip()
        if citation or url or dated:
            sources.append({"citation": citation, "url": url or None, "dated": dated or None})
    scores: dict[str, Any] = {}
    for n, item in enumerate(plan.scored):
        raw = fields.get(f"score_{n}", "").strip()
        if raw:
            scores[item.id] = raw
    return {
        "country": fields.get("country", ""),
        "reviewed_on": fields.get("reviewed_on", ""),
        "reviewed_by": fields.get("reviewed_by", ""),
        "criteria": {
            item.id: {
                "status": fields.get(f"status_{n}", ""),
                "statute": fields.get(f"statute_{n}", ""),
            }
            for n, item in enumerate(plan.criteria)
            if fields.get(f"status_{n}", "")
        },
        "scores": scores,
        "non_photographic": fields.get("non_photographic") or "unclear",
        "ai_generated": fields.get("ai_generated") or "unclear",
        "provider_reporting": fields.get("provider_reporting") or "unclear",
        "notes": fields.get("notes", ""),
        "sources": sources,
        "published": fields.get("published") == "yes",
    }


def _field_names(plan: matrix.Scheme) -> dict[str, str]:
    """Where the model's or the service's error goes on the form."""
    names = {f"scores.{i.id}": f"score_{n}" for n, i in enumerate(plan.scored)}
    if plan.scored:
        names["scores"] = "score_0"
    if plan.criteria:
        names["criteria"] = "status_0"
    return names


@router.post("/legal/reviews/new", dependencies=[csrf])
def review_submit(
    request: Request,
    session: DbSession,
    fields: FormFields,
    principal: Principal = page_requires(Permission.LEGAL_REVIEW),
) -> Response:
    plan = matrix.scheme()
    values = {k: v for k, v in fields.items() if k != "csrf_token"}
    for name in _form_labels(plan):
        values.setdefault(name, "")
    try:
        data = ReviewIn.model_validate(_review_in(fields, plan))
        review = matrix.record_review(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        form = _failed(exc, values, plan)
        return _review_form(request, session, principal, form, status_code=form_status(exc))
    return redirect(
        request,
        f"/legal/reviews/{review.id}",
        notice=f"Review of {display_name(review.country_code)}'s law recorded"
        + (" and published." if review.published else " (not yet published)."),
    )


def _failed(
    exc: ValidationError | AllianceError, values: dict[str, str], plan: matrix.Scheme
) -> WebForm:
    names = _field_names(plan)
    labels = _form_labels(plan)
    if isinstance(exc, ValidationError):
        errors: list[Any] = []
        for err in exc.errors():
            loc = list(err["loc"])
            if loc[:1] == ["criteria"] and len(loc) > 1:
                index = [i.id for i in plan.criteria].index(str(loc[1]))
                loc = [f"status_{index}" if loc[-1] == "status" else f"statute_{index}"]
            elif loc[:1] == ["scores"] and len(loc) > 1:
                loc = [names.get(f"scores.{loc[1]}", "score_0")]
            elif loc[:1] == ["sources"] and len(loc) > 2:
                part = {"citation": "source_citation", "url": "source_url", "dated": "source_date"}
                loc = [f"{part.get(str(loc[2]), 'source_citation')}_{loc[1]}"]
            errors.append({**err, "loc": tuple(loc)})
        form = WebForm(values=values, labels=labels)
        form.errors, form.message = field_errors(errors)
        form.message = form.message or "Please correct what is marked below."
        return form
    return failed(exc, values, fields=names, labels=labels)


@router.get("/legal/reviews/{review_id}")
def review_page(
    request: Request,
    session: DbSession,
    review_id: RecordId,
    principal: Principal = page_requires(Permission.LEGAL_READ),
) -> Response:
    review = matrix.get_review(session, principal, review_id)
    return render(
        request,
        "legal_review.html",
        {
            "review": matrix.review_out(review),
            "may_publish": principal.can(Permission.LEGAL_PUBLISH) and not review.published,
            "demo_label": matrix.DEMO_LABEL,
        },
    )


@router.post("/legal/reviews/{review_id}/publish", dependencies=[csrf])
def review_publish(
    request: Request,
    session: DbSession,
    review_id: RecordId,
    principal: Principal = page_requires(Permission.LEGAL_PUBLISH),
) -> Response:
    review = matrix.publish_review(session, principal, review_id)
    return redirect(
        request,
        f"/legal/reviews/{review.id}",
        notice=f"Review of {display_name(review.country_code)}'s law published.",
    )
