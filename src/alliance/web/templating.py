"""The templates and their filters: one environment for the pages and for the documents
rendered outside a request (the progress report as an HTML file or PDF)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.templating import Jinja2Templates

from alliance.countries import markdown
from alliance.web.labels import country, label, query_form
from alliance.web.pages import victims as victims_pages

TEMPLATES = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.filters["label"] = label
    templates.env.filters["query_form"] = query_form
    templates.env.filters["country"] = country
    # Countries' Markdown (commitments), rendered safe: no raw HTML, links http(s)/mailto.
    templates.env.filters["markdown"] = markdown.render
    # A stored code of the age-group vocabulary (a referral package's), former bands mapped.
    templates.env.filters["age_group"] = victims_pages.age_group_label
    return templates


@cache
def shared_templates() -> Jinja2Templates:
    """The environment documents render with outside a request."""
    return make_templates()
