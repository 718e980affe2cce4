"""The member countries and each country's profile: its place in the register, its
commitments, the review of its law, its library contributions and adoptions, and (for its
own government only) its capability self-assessment. Public: an anonymous visitor reads
what is published; a member logged in sees the national contacts and its own working
copies.

Each part is asked of its own service (:mod:`alliance.countries`, :mod:`alliance.legal`,
:mod:`alliance.library`), which decides what this reader may see.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.countries import capabilities, commitments, display_name, register
from alliance.db.listing import Listing
from alliance.frameworks import registry
from alliance.legal import gaps, matrix
from alliance.library import entries
from alliance.library.search import LibraryQuery, search_entries
from alliance.reports import publication
from alliance.web.guards import DbSession, page_public, page_viewer
from alliance.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


def _framework_titles(ids: list[str]) -> list[str]:
    found = registry().frameworks
    return [found[i].title if i in found else i for i in ids]


@router.get("/countries", dependencies=[page_public])
def countries_index(request: Request, session: DbSession) -> Response:
    """Every member country with what it has published."""
    viewer = page_viewer(request)
    current = {r.country_code: r for r in matrix.current_reviews(session, None)}
    published: dict[str, int] = {}
    for c in commitments.list_commitments(session, None):
        published[c.country_code] = max(published.get(c.country_code, 0), c.cycle)
    library = entries.published_by_country(session)
    rows = [
        {
            "country": country,
            "label": display_name(country.code),
            "commitments": published.get(country.code),
            "review": current.get(country.code),
            "library": library.get(country.code, 0),
        }
        for country in register.public_register(session)
    ]
    rows.sort(key=lambda r: str(r["label"]))
    return render(
        request,
        "countries.html",
        {"rows": rows, "own": viewer.country_code if viewer else None},
    )


@router.get("/countries/{country}", dependencies=[page_public])
def country_profile(request: Request, session: DbSession, country: str) -> Response:
    """One country's profile: the parts this reader may see, each linking to its page."""
    viewer = page_viewer(request)
    found = register.registered(session, country)
    code = found.code
    member = viewer is not None and viewer.can(Permission.COUNTRY_READ)
    working = commitments.may_see_working(viewer, code)
    cycles = commitments.cycles_of(session, viewer if working else None, code)
    reviews = matrix.history(session, None, code)
    gap = None
    if reviews:
        current = reviews[0]
        plan = matrix.scheme(current.criteria_framework, current.score_framework)
        gap = gaps.country_gap(plan, current, reviews[1] if len(reviews) > 1 else None)
    contributed, contributed_total = search_entries(
        session, None, LibraryQuery(countries=[code]), Listing(limit=5)
    )
    own_assessment = None
    may_read_assessment = capabilities.may_read(viewer, code)
    if may_read_assessment and viewer is not None:
        years = capabilities.years_of(session, code)
        if years:
            own_assessment = capabilities.assessment_view(session, viewer, code, years[0])
    return render(
        request,
        "country_profile.html",
        {
            "country": found,
            "label": display_name(code),
            "frameworks": _framework_titles(found.framework_ids),
            "contacts": [c.organisation for c in found.contacts] if member else [],
            "member": member,
            "working": working,
            "cycles": cycles,
            "review": matrix.review_out(reviews[0]) if reviews else None,
            "gap": gap,
            "demo_label": matrix.DEMO_LABEL,
            "contributed": contributed,
            "contributed_total": contributed_total,
            "adoptions": entries.adoptions_by(session, code),
            "may_read_assessment": may_read_assessment,
            "own_assessment": own_assessment,
            "reports": publication.publications(session, code),
            "sees_distribution": viewer is not None
            and viewer.can(Permission.CAPABILITY_DISTRIBUTION),
        },
    )
