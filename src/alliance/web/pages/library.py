"""The awareness and best-practice library's pages.

Public (no login): the library with search and filters, an entry's page and the Atom feed.
A member logged in sees the same pages with its menus and what it may do there (adopt an
entry, edit its own, publish for the secretariat), and writes entries at /library/new.
Decisions are :mod:`alliance.library`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries.names import country_name
from alliance.db.listing import Listing
from alliance.errors import AllianceError, InvalidInput
from alliance.library import entries
from alliance.library.feed import FEED_SIZE, atom_feed
from alliance.library.models import LibraryEntry
from alliance.library.schemas import EntryIn
from alliance.library.search import (
    COUNT_LIMIT,
    ENTRY_SORTS,
    RANK_WINDOW,
    LibraryQuery,
    search_entries,
)
from alliance.library.vocabulary import LANGUAGES, Audience, EntryKind, Tag
from alliance.validation import RecordId
from alliance.web.errors import failed_form
from alliance.web.forms import Form as WebForm
from alliance.web.guards import DbSession, page_public, page_requires, page_viewer
from alliance.web.labels import label
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

ENTRY_LABELS = {
    "kind": "Kind",
    "title": "Title",
    "summary": "Summary",
    "country": "Country",
    "audiences": "Audiences",
    "languages": "Languages",
    "tags": "Topics",
    "starts_on": "From",
    "ends_on": "To",
    "reach": "Reach (self-reported)",
    "links": "Links",
}
FILTERS = ("q", "tag", "audience", "country", "language", "kind", "status")


def choices() -> dict[str, list[tuple[str, str]]]:
    return {
        "kind": [(k.value, label(k)) for k in EntryKind],
        "tag": [(t.value, label(t)) for t in Tag],
        "audience": [(a.value, label(a)) for a in Audience],
        "language": sorted(LANGUAGES.items(), key=lambda pair: pair[1]),
    }


def _view(entry: LibraryEntry) -> dict[str, Any]:
    """An entry in words (labels, names), for the templates."""
    return {
        "entry": entry,
        "kind": label(EntryKind(entry.kind)),
        "tags": [label(Tag(t)) for t in entry.tags],
        "audiences": [label(Audience(a)) for a in entry.audiences],
        "languages": [LANGUAGES.get(code, code) for code in entry.languages],
    }


@router.get("/library", dependencies=[page_public])
def library_page(
    request: Request,
    session: DbSession,
    q: str = "",
    tag: str = "",
    audience: str = "",
    country: str = "",
    language: str = "",
    kind: str = "",
    status: str = "published",
) -> Response:
    viewer = page_viewer(request)
    values = {
        "q": q[:500],
        "tag": tag,
        "audience": audience,
        "country": country,
        "language": language,
        "kind": kind,
        "status": status if status in ("published", "draft", "") else "published",
    }
    table, listing = read_table(
        request,
        sortable=ENTRY_SORTS,
        filters={k: v for k, v in values.items() if k != "status" or v != "published"},
        page_size=25,
    )
    query = LibraryQuery(
        words=values["q"],
        tags=[tag] if tag else (),
        audiences=[audience] if audience else (),
        countries=[country] if country else (),
        languages=[language] if language else (),
        kind=kind,
        status=values["status"],
    )
    form = WebForm(values=values)
    found: list[LibraryEntry] = []
    total = 0
    status_code = 200
    try:
        found, total = search_entries(session, viewer, query, listing)
    except AllianceError as exc:
        form, status_code = failed_form(exc, values)
    if table.csv:
        return csv_response(
            "library.csv",
            ("Title", "Kind", "Country", "Organisation", "Topics", "Published (UTC)"),
            (
                (
                    e.title,
                    label(EntryKind(e.kind)),
                    country_name(e.country_code, common=True) or e.country_code,
                    e.organisation.name,
                    "; ".join(label(Tag(t)) for t in e.tags),
                    e.published_at,
                )
                for e in found
            ),
        )
    table.total = total if total <= COUNT_LIMIT else None
    rows = [e for e in table.rows(found) if isinstance(e, LibraryEntry)]
    countries = sorted({e.country_code for e in found} | ({country} if country else set()))
    return render(
        request,
        "library.html",
        {
            "rows": [_view(e) for e in rows],
            "table": table,
            "form": form,
            "choices": choices(),
            "countries": countries,
            "over": f"More than {COUNT_LIMIT:,}" if total > COUNT_LIMIT else None,
            # best first ranks the most recently added matches (see library.search)
            "window": f"{RANK_WINDOW:,}" if values["q"].strip() and listing.sort is None else None,
            "may_write": viewer is not None and viewer.can(Permission.LIBRARY_EDIT),
        },
        status_code=status_code,
    )


@router.get("/library/feed.atom", dependencies=[page_public])
def library_feed(request: Request, session: DbSession) -> Response:
    found, _ = search_entries(session, None, LibraryQuery(), Listing(limit=FEED_SIZE))
    state = app_state(request)
    body = atom_feed(found, base_url=str(request.base_url), platform=state.settings.platform_name)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _entry_form(
    request: Request,
    form: WebForm,
    *,
    entry: LibraryEntry | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "library_form.html",
        {"form": form, "entry": entry, "choices": choices()},
        status_code=status_code,
    )


def _values(entry: LibraryEntry | None, principal: Principal) -> dict[str, str]:
    if entry is None:
        return {"country": principal.country_code or "", "kind": "campaign"}
    return {
        "kind": str(entry.kind),
        "title": entry.title,
        "summary": entry.summary,
        "country": entry.country_code,
        "audiences": ",".join(entry.audiences),
        "languages": ",".join(entry.languages),
        "tags": ",".join(entry.tags),
        "starts_on": entry.starts_on.isoformat() if entry.starts_on else "",
        "ends_on": entry.ends_on.isoformat() if entry.ends_on else "",
        "reach": entry.reach,
        "links": "\n".join(entry.urls),
    }


@router.get("/library/new")
def library_new(
    request: Request,
    principal: Principal = page_requires(Permission.LIBRARY_EDIT),
) -> Response:
    return _entry_form(request, WebForm(values=_values(None, principal)))


Field = Annotated[str, Form(max_length=5000)]
Many = Annotated[list[str], Form(max_length=20)]


def _entry_in(fields: dict[str, Any]) -> EntryIn:
    links = [line.strip() for line in str(fields["links"]).splitlines() if line.strip()]
    return EntryIn.model_validate(
        {
            **{k: v for k, v in fields.items() if k not in ("links",)},
            "starts_on": fields["starts_on"] or None,
            "ends_on": fields["ends_on"] or None,
            "links": links,
        }
    )


def _submitted(
    kind: str, title: str, summary: str, country: str, audiences: list[str],
    languages: str, tags: list[str], starts_on: str, ends_on: str, reach: str, links: str,
) -> tuple[dict[str, Any], dict[str, str]]:  # fmt: skip
    fields: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "summary": summary,
        "country": country,
        "audiences": audiences,
        "languages": [p for p in languages.replace(" ", ",").split(",") if p],
        "tags": tags,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "reach": reach,
        "links": links,
    }
    values = {
        **{k: v for k, v in fields.items() if isinstance(v, str)},
        "languages": languages,
        "audiences": ",".join(audiences),
        "tags": ",".join(tags),
    }
    return fields, values


@router.post("/library/new", dependencies=[csrf])
def library_create(
    request: Request,
    session: DbSession,
    kind: Annotated[str, Form(max_length=16)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Field = "",
    country: Annotated[str, Form(max_length=20)] = "",
    audiences: Many = [],  # noqa: B006
    languages: Annotated[str, Form(max_length=200)] = "",
    tags: Many = [],  # noqa: B006
    starts_on: Annotated[str, Form(max_length=20)] = "",
    ends_on: Annotated[str, Form(max_length=20)] = "",
    reach: Annotated[str, Form(max_length=200)] = "",
    links: Field = "",
    principal: Principal = page_requires(Permission.LIBRARY_EDIT),
) -> Response:
    fields, values = _submitted(
        kind, title, summary, country, audiences, languages, tags, starts_on, ends_on, reach,
        links,
    )  # fmt: skip
    try:
        entry = entries.create_entry(session, principal, _entry_in(fields))
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=ENTRY_LABELS)
        return _entry_form(request, form, status_code=status)
    return redirect(
        request,
        f"/library/{entry.id}",
        notice=f"Draft “{entry.title}” saved; the secretariat publishes it.",
    )


@router.get("/library/{entry_id}/edit")
def library_edit(
    request: Request,
    session: DbSession,
    entry_id: RecordId,
    principal: Principal = page_requires(Permission.LIBRARY_EDIT),
) -> Response:
    entry = entries.editable_entry(session, principal, entry_id)
    return _entry_form(request, WebForm(values=_values(entry, principal)), entry=entry)


@router.post("/library/{entry_id}/edit", dependencies=[csrf])
def library_update(
    request: Request,
    session: DbSession,
    entry_id: RecordId,
    kind: Annotated[str, Form(max_length=16)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Field = "",
    country: Annotated[str, Form(max_length=20)] = "",
    audiences: Many = [],  # noqa: B006
    languages: Annotated[str, Form(max_length=200)] = "",
    tags: Many = [],  # noqa: B006
    starts_on: Annotated[str, Form(max_length=20)] = "",
    ends_on: Annotated[str, Form(max_length=20)] = "",
    reach: Annotated[str, Form(max_length=200)] = "",
    links: Field = "",
    principal: Principal = page_requires(Permission.LIBRARY_EDIT),
) -> Response:
    entry = entries.editable_entry(session, principal, entry_id)
    fields, values = _submitted(
        kind, title, summary, country, audiences, languages, tags, starts_on, ends_on, reach,
        links,
    )  # fmt: skip
    try:
        entries.update_entry(session, principal, entry_id, _entry_in(fields))
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=ENTRY_LABELS)
        return _entry_form(request, form, entry=entry, status_code=status)
    return redirect(request, f"/library/{entry_id}", notice=f"“{entry.title}” saved.")


def _entry_page(
    request: Request,
    session: DbSession,
    entry_id: int,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    viewer = page_viewer(request)
    entry = entries.get_entry(session, viewer, entry_id)
    return render(
        request,
        "library_entry.html",
        {
            **_view(entry),
            "form": form or WebForm(),
            "may_edit": entries.may_edit(viewer, entry),
            "may_adopt": entries.may_adopt(viewer, entry),
            "may_publish": viewer is not None and viewer.can(Permission.LIBRARY_PUBLISH),
        },
        status_code=status_code,
    )


@router.get("/library/{entry_id}", dependencies=[page_public])
def library_entry(request: Request, session: DbSession, entry_id: RecordId) -> Response:
    return _entry_page(request, session, entry_id)


@router.post("/library/{entry_id}/adopt", dependencies=[csrf])
def library_adopt(
    request: Request,
    session: DbSession,
    entry_id: RecordId,
    notes: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.LIBRARY_EDIT),
) -> Response:
    try:
        if not notes.strip():
            raise InvalidInput("say how your organisation took it up", field="notes")
        adoption = entries.adopt(session, principal, entry_id, notes)
    except AllianceError as exc:
        form, status = failed_form(exc, {"notes": notes}, labels={"notes": "How you took it up"})
        return _entry_page(request, session, entry_id, form=form, status_code=status)
    return redirect(
        request,
        f"/library/{entry_id}",
        notice=f"Marked as adopted by {adoption.organisation.name}.",
    )


def _publishing(
    request: Request, session: DbSession, principal: Principal, entry_id: int, published: bool
) -> Response:
    entry = entries.set_published(session, principal, entry_id, published)
    words = "published" if published else "withdrawn (back to draft)"
    return redirect(request, f"/library/{entry_id}", notice=f"“{entry.title}” {words}.")


@router.post("/library/{entry_id}/publish", dependencies=[csrf])
def library_publish(
    request: Request,
    session: DbSession,
    entry_id: RecordId,
    principal: Principal = page_requires(Permission.LIBRARY_PUBLISH),
) -> Response:
    return _publishing(request, session, principal, entry_id, True)


@router.post("/library/{entry_id}/withdraw", dependencies=[csrf])
def library_withdraw(
    request: Request,
    session: DbSession,
    entry_id: RecordId,
    principal: Principal = page_requires(Permission.LIBRARY_PUBLISH),
) -> Response:
    return _publishing(request, session, principal, entry_id, False)
