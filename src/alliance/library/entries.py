"""Writing the library: entries, publishing, adoptions.

Who may do what:

- a member organisation's writers (``LIBRARY_EDIT``, own reach: org admins, analysts,
  country editors) add and change their organisation's entries, which are drafts until
  published; an entry of their country only (its organisation's);
- the secretariat (``LIBRARY_PUBLISH``) publishes and withdraws entries. A change to a
  published entry by someone who may not publish returns it to draft, so nothing reaches
  the public page unreviewed;
- a member marks another organisation's *published* entry as adopted, with notes (once per
  organisation; never its own entry).

Every change is audited; everything is checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries.names import check_country_code, country_name
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.library.models import LibraryAdoption, LibraryEntry, LibraryLink, LibraryTerm
from alliance.library.schemas import AdoptionOut, EntryIn, EntryOut
from alliance.library.search import facet_words
from alliance.library.vocabulary import (
    AUDIENCE_LABELS,
    KIND_LABELS,
    LANGUAGES,
    TAG_LABELS,
    Audience,
    EntryKind,
    EntryStatus,
    Tag,
    check_audiences,
    check_kind,
    check_languages,
    check_tags,
)
from alliance.validation import web_address


@dataclass(frozen=True)
class Checked:
    """An entry's values, checked: what :func:`apply` writes."""

    kind: EntryKind
    title: str
    summary: str
    country: str
    organisation: Organisation
    audiences: list[Audience]
    languages: list[str]
    tags: list[Tag]
    starts_on: date | None
    ends_on: date | None
    reach: str
    links: list[str]


def organisation_by_slug(
    session: Session, slug: str, *, field: str = "organisation"
) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.slug == slug.strip())
    ).scalar_one_or_none()
    if org is None:
        raise InvalidInput(f"no organisation named {slug.strip()!r}", field=field)
    return org


def check_entry(
    session: Session,
    principal: Principal,
    data: EntryIn,
    *,
    organisations: dict[str, Organisation] | None = None,
) -> Checked:
    """Every value of ``data`` checked, the first fault named by its field."""
    kind = check_kind(data.kind)
    title = data.title.strip()
    if not title:
        raise InvalidInput("give the entry a title", field="title")
    if data.organisation and data.organisation.strip():
        slug = data.organisation.strip()
        cache = organisations if organisations is not None else {}
        org = cache.get(slug) or organisation_by_slug(session, slug)
        cache[slug] = org
    elif principal.organisation_id is not None:
        found = session.get(Organisation, principal.organisation_id)
        assert found is not None
        org = found
    else:
        raise InvalidInput("name the organisation whose work it is", field="organisation")
    reach_all = principal.reach(Permission.LIBRARY_EDIT) is Reach.ALL
    if not reach_all and org.id != principal.organisation_id:
        raise PermissionDenied("you may write your own organisation's library entries only")
    country = check_country_code(data.country or org.country_code, field="country")
    if not reach_all and country != org.country_code:
        home = country_name(org.country_code) or org.country_code
        raise InvalidInput(f"your organisation's entries are of {home}", field="country")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput("the end comes before the start", field="ends_on")
    links = list(dict.fromkeys(web_address(u) for u in data.links if u.strip()))
    return Checked(
        kind=kind,
        title=title,
        summary=data.summary.strip(),
        country=country,
        organisation=org,
        audiences=check_audiences(data.audiences),
        languages=check_languages(data.languages),
        tags=check_tags(data.tags),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        reach=data.reach.strip(),
        links=links,
    )


def search_text(checked: Checked) -> str:
    """The words search finds an entry by (labels, not codes: "Self-generated imagery")."""
    words = [
        checked.title,
        checked.summary,
        checked.organisation.name,
        country_name(checked.country, common=True) or checked.country,
        KIND_LABELS[checked.kind],
        *(TAG_LABELS[t] for t in checked.tags),
        *(AUDIENCE_LABELS[a] for a in checked.audiences),
        *(LANGUAGES[code] for code in checked.languages),
    ]
    return "\n".join(w for w in words if w)


def apply(entry: LibraryEntry, checked: Checked) -> None:
    entry.kind = checked.kind
    entry.title = checked.title
    entry.summary = checked.summary
    entry.country_code = checked.country
    entry.organisation = checked.organisation
    entry.organisation_id = checked.organisation.id
    entry.starts_on = checked.starts_on
    entry.ends_on = checked.ends_on
    entry.reach = checked.reach
    entry.search_text = search_text(checked)
    terms = [
        *(("tag", t.value) for t in checked.tags),
        *(("audience", a.value) for a in checked.audiences),
        *(("language", code) for code in checked.languages),
    ]
    existing = {(t.facet, t.value): t for t in entry.terms}
    kept = []
    for position, key in enumerate(terms):
        term = existing.get(key) or LibraryTerm(facet=key[0], value=key[1])
        term.position = position
        kept.append(term)
    entry.terms = kept
    entry.search_facets = facet_words(entry)
    by_url = {link.url: link for link in entry.links}
    links = []
    for position, url in enumerate(checked.links):
        link = by_url.get(url) or LibraryLink(url=url)
        link.position = position
        links.append(link)
    entry.links = links


def set_status(entry: LibraryEntry, status: EntryStatus) -> None:
    """Publish or withdraw ``entry``, and tell search (which filters on its status)."""
    entry.status = status
    entry.published_at = utcnow() if status is EntryStatus.published else None
    entry.search_facets = facet_words(entry)


def state(entry: LibraryEntry) -> dict[str, Any]:
    """What the audit log keeps of an entry."""
    return {
        "kind": str(entry.kind),
        "title": entry.title,
        "country": entry.country_code,
        "organisation": entry.organisation.slug,
        "audiences": entry.audiences,
        "languages": entry.languages,
        "tags": entry.tags,
        "starts_on": entry.starts_on.isoformat() if entry.starts_on else None,
        "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
        "reach": entry.reach,
        "links": entry.urls,
        "summary": entry.summary,
        "status": str(entry.status),
    }


def create_entry(session: Session, principal: Principal, data: EntryIn) -> LibraryEntry:
    """Add a draft entry of the principal's organisation (or, for the secretariat, any)."""
    authorize(principal, Permission.LIBRARY_EDIT)
    checked = check_entry(session, principal, data)
    return add_checked(session, principal, checked)


def add_checked(
    session: Session, principal: Principal, checked: Checked, *, audit: bool = True
) -> LibraryEntry:
    entry = LibraryEntry(status=EntryStatus.draft, created_by=principal.audit_label)
    apply(entry, checked)
    session.add(entry)
    session.flush()
    if audit:
        record(
            session,
            principal,
            EventType.LIBRARY_ENTRY_CREATED,
            "library_entry",
            entry.id,
            state(entry),
        )
    return entry


def editable_entry(session: Session, principal: Principal, entry_id: int) -> LibraryEntry:
    """The entry, when the principal may change it; one it may not even see is NotFound."""
    entry = session.get(LibraryEntry, entry_id)
    if entry is None or not may_see(principal, entry):
        raise NotFound(f"no library entry {entry_id}")
    authorize(principal, Permission.LIBRARY_EDIT, entry)
    return entry


def update_entry(
    session: Session, principal: Principal, entry_id: int, data: EntryIn
) -> LibraryEntry:
    """Replace the entry's values with ``data``'s. Changed by someone who may not publish,
    a published entry goes back to draft for the secretariat to publish again."""
    entry = editable_entry(session, principal, entry_id)
    if not (data.organisation or "").strip():  # a change keeps the entry's organisation
        data = data.model_copy(update={"organisation": entry.organisation.slug})
    checked = check_entry(session, principal, data)
    before = state(entry)
    apply(entry, checked)
    session.flush()
    after = state(entry)
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changes:
        return entry
    if entry.status is EntryStatus.published and not principal.can(Permission.LIBRARY_PUBLISH):
        set_status(entry, EntryStatus.draft)
        changes["status"] = [str(EntryStatus.published), str(EntryStatus.draft)]
    entry.updated_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        EventType.LIBRARY_ENTRY_UPDATED,
        "library_entry",
        entry.id,
        {"changes": changes},
    )
    return entry


def set_published(
    session: Session, principal: Principal, entry_id: int, published: bool
) -> LibraryEntry:
    """Publish (or withdraw) an entry: the secretariat's. Repeating it changes nothing."""
    authorize(principal, Permission.LIBRARY_PUBLISH)
    entry = session.get(LibraryEntry, entry_id)
    if entry is None:
        raise NotFound(f"no library entry {entry_id}")
    wanted = EntryStatus.published if published else EntryStatus.draft
    if entry.status is wanted:
        return entry
    set_status(entry, wanted)
    entry.updated_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        EventType.LIBRARY_ENTRY_PUBLISHED if published else EventType.LIBRARY_ENTRY_UNPUBLISHED,
        "library_entry",
        entry.id,
        {"title": entry.title, "organisation": entry.organisation.slug},
    )
    return entry


def adopt(session: Session, principal: Principal, entry_id: int, notes: str) -> LibraryAdoption:
    """Mark another organisation's published entry as adopted by the principal's own."""
    authorize(principal, Permission.LIBRARY_EDIT)
    entry = session.get(LibraryEntry, entry_id)
    if entry is None or entry.status is not EntryStatus.published:
        if entry is None or not may_see(principal, entry):
            raise NotFound(f"no library entry {entry_id}")
        raise Conflict("only a published entry can be adopted")
    if principal.organisation_id is None:
        raise InvalidInput("an adoption is by an organisation: act as one of its users")
    if entry.organisation_id == principal.organisation_id:
        raise Conflict("this is your organisation's own entry: adopt another's")
    if any(a.organisation_id == principal.organisation_id for a in entry.adoptions):
        raise Conflict("your organisation has already adopted this entry")
    org = session.get(Organisation, principal.organisation_id)
    assert org is not None
    adoption = LibraryAdoption(
        organisation_id=org.id,
        organisation=org,
        notes=notes.strip(),
        adopted_by=principal.audit_label,
    )
    entry.adoptions.append(adoption)
    session.flush()
    record(
        session,
        principal,
        EventType.LIBRARY_ENTRY_ADOPTED,
        "library_entry",
        entry.id,
        {"organisation": org.slug, "notes": adoption.notes, "title": entry.title},
    )
    return adoption


def may_see(principal: Principal | None, entry: LibraryEntry) -> bool:
    """Published entries are public; a draft is its organisation's writers' and the
    secretariat's."""
    if entry.status is EntryStatus.published:
        return True
    if principal is None:
        return False
    reach = principal.reach(Permission.LIBRARY_EDIT)
    if reach is Reach.ALL or principal.can(Permission.LIBRARY_PUBLISH):
        return True
    return reach is Reach.OWN and entry.organisation_id == principal.organisation_id


def may_edit(principal: Principal | None, entry: LibraryEntry) -> bool:
    if principal is None:
        return False
    reach = principal.reach(Permission.LIBRARY_EDIT)
    return reach is Reach.ALL or (
        reach is Reach.OWN and entry.organisation_id == principal.organisation_id
    )


def may_adopt(principal: Principal | None, entry: LibraryEntry) -> bool:
    return (
        principal is not None
        and principal.can(Permission.LIBRARY_EDIT)
        and principal.organisation_id is not None
        and entry.status is EntryStatus.published
        and entry.organisation_id != principal.organisation_id
        and all(a.organisation_id != principal.organisation_id for a in entry.adoptions)
    )


def get_entry(session: Session, principal: Principal | None, entry_id: int) -> LibraryEntry:
    """An entry the principal (None: anyone) may read, else NotFound."""
    entry = session.get(LibraryEntry, entry_id)
    if entry is None or not may_see(principal, entry):
        raise NotFound(f"no library entry {entry_id}")
    return entry


def entry_out(entry: LibraryEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        kind=str(entry.kind),
        title=entry.title,
        summary=entry.summary,
        country=entry.country_code,
        organisation=entry.organisation.slug,
        organisation_name=entry.organisation.name,
        audiences=entry.audiences,
        languages=entry.languages,
        tags=entry.tags,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        reach=entry.reach,
        links=entry.urls,
        status=str(entry.status),
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        adoptions=[
            AdoptionOut(
                organisation=a.organisation.slug,
                organisation_name=a.organisation.name,
                country=a.organisation.country_code,
                notes=a.notes,
                adopted_at=a.created_at,
            )
            for a in entry.adoptions
        ],
    )


def published_by_country(session: Session) -> dict[str, int]:
    """How many published entries each country has contributed (the country profiles)."""
    return {
        code: int(n)
        for code, n in session.execute(
            select(LibraryEntry.country_code, func.count())
            .where(LibraryEntry.status == EntryStatus.published)
            .group_by(LibraryEntry.country_code)
        )
    }


def adoptions_by(session: Session, code: str) -> list[tuple[LibraryAdoption, LibraryEntry]]:
    """Published entries of other countries that organisations of ``code`` adopted."""
    return [
        (adoption, entry)
        for adoption, entry in session.execute(
            select(LibraryAdoption, LibraryEntry)
            .join(LibraryEntry, LibraryEntry.id == LibraryAdoption.entry_id)
            .join(Organisation, Organisation.id == LibraryAdoption.organisation_id)
            .where(
                Organisation.country_code == code,
                LibraryEntry.status == EntryStatus.published,
                LibraryEntry.country_code != code,
            )
            .order_by(LibraryAdoption.created_at.desc())
        ).all()
    ]
