"""API of the awareness and best-practice library. Reading published entries is public;
writing is a member's (its own organisation's entries), publishing the secretariat's.

Routes only parse and call :mod:`alliance.library`; who may do what is decided there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.db.listing import Listing
from alliance.library import entries
from alliance.library.schemas import AdoptionIn, AdoptionOut, EntryIn, EntryOut, EntryPage
from alliance.library.search import COUNT_LIMIT, LibraryQuery, search_entries
from alliance.validation import Offset, RecordId
from alliance.web.errors import answers
from alliance.web.guards import DbSession, public, requires

router = APIRouter(prefix="/api/v1", tags=["library"])

Words = Annotated[str, Query(max_length=500, description="words to find (any text)")]
Many = Annotated[list[str], Query(max_length=20)]


@router.get("/library", dependencies=[public])
def search_library(
    session: DbSession,
    q: Words = "",
    tag: Many = [],  # noqa: B006 - FastAPI copies defaults
    audience: Many = [],  # noqa: B006
    country: Many = [],  # noqa: B006
    language: Many = [],  # noqa: B006
    kind: Annotated[str, Query(max_length=16)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> EntryPage:
    """Published library entries (no key needed): best matches first when ``q`` is given
    (ranked among the 5,000 most recently added matches; older ones follow, newest first),
    else the newest published first; ``total`` counts up to 1,000 (``total_exceeds``: more).
    Filters: ``tag``, ``audience``, ``country``
    (ISO 3166-1), ``language`` (ISO 639-1), ``kind``; each may repeat (any of them)."""
    query = LibraryQuery(
        words=q, tags=tag, audiences=audience, countries=country, languages=language, kind=kind
    )
    found, total = search_entries(session, None, query, Listing(limit=limit, offset=offset))
    return EntryPage(
        total=min(total, COUNT_LIMIT),
        total_exceeds=total > COUNT_LIMIT,
        offset=offset,
        limit=limit,
        entries=[entries.entry_out(e) for e in found],
    )


@router.get("/library/{entry_id}", dependencies=[public])
def get_library_entry(entry_id: RecordId, session: DbSession) -> EntryOut:
    """One published entry, with who adopted it."""
    return entries.entry_out(entries.get_entry(session, None, entry_id))


@router.post("/library", status_code=201)
def create_library_entry(
    data: EntryIn,
    session: DbSession,
    principal: Principal = requires(Permission.LIBRARY_EDIT),
) -> EntryOut:
    """Add a draft entry of your organisation; the secretariat publishes it."""
    return entries.entry_out(entries.create_entry(session, principal, data))


@router.put("/library/{entry_id}")
def update_library_entry(
    entry_id: RecordId,
    data: EntryIn,
    session: DbSession,
    principal: Principal = requires(Permission.LIBRARY_EDIT),
) -> EntryOut:
    """Replace an entry of your organisation (a published one goes back to draft unless
    you may publish)."""
    return entries.entry_out(entries.update_entry(session, principal, entry_id, data))


@router.post("/library/{entry_id}/publish")
def publish_library_entry(
    entry_id: RecordId,
    session: DbSession,
    principal: Principal = requires(Permission.LIBRARY_PUBLISH),
) -> EntryOut:
    """Publish an entry: it becomes public and enters the Atom feed."""
    return entries.entry_out(entries.set_published(session, principal, entry_id, True))


@router.post("/library/{entry_id}/withdraw")
def withdraw_library_entry(
    entry_id: RecordId,
    session: DbSession,
    principal: Principal = requires(Permission.LIBRARY_PUBLISH),
) -> EntryOut:
    """Take a published entry back to draft."""
    return entries.entry_out(entries.set_published(session, principal, entry_id, False))


@router.post("/library/{entry_id}/adoptions", status_code=201, responses=answers(409))
def adopt_library_entry(
    entry_id: RecordId,
    data: AdoptionIn,
    session: DbSession,
    principal: Principal = requires(Permission.LIBRARY_EDIT),
) -> AdoptionOut:
    """Mark another organisation's published entry as adopted by yours, with notes (once;
    your own entry, a draft or a repeat is 409)."""
    adoption = entries.adopt(session, principal, entry_id, data.notes)
    return AdoptionOut(
        organisation=adoption.organisation.slug,
        organisation_name=adoption.organisation.name,
        country=adoption.organisation.country_code,
        notes=adoption.notes,
        adopted_at=adoption.created_at,
    )
