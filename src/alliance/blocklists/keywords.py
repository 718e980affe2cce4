"""The keyword list: search terms and codes with their categories, for search engines and
moderators of chat, games and forums.

Terms are kept in one form (Unicode NFKC, case-folded, inner spaces collapsed), so "Term"
and "term " are one entry, and a subscriber matches what it compares in the same form.
Removing a term is a tombstone that the next delta carries. The demo's terms are benign
placeholders ("placeholder-term-1"): the real list is sensitive and never in this code.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.blocklists import lists
from alliance.blocklists.models import Keyword, ListName
from alliance.blocklists.schemas import KeywordIn
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound

KEYWORD_SORTS: dict[str, Any] = {
    "term": Keyword.term,
    "category": Keyword.category,
    "added_at": Keyword.added_at,
}


def normalise_term(raw: str) -> str:
    """The term in the list's one form; InvalidInput when nothing printable is left."""
    term = " ".join(unicodedata.normalize("NFKC", raw).casefold().split())
    if not term:
        raise InvalidInput("the term is empty", field="term")
    if any(unicodedata.category(c).startswith("C") for c in term):
        raise InvalidInput("the term contains control or unassigned characters", field="term")
    if len(term) > 200:
        raise InvalidInput("the term is longer than 200 characters", field="term")
    return term


def add_keyword(session: Session, principal: Principal, data: KeywordIn) -> Keyword:
    """Add a term (or put a removed one back); a term already listed is a conflict."""
    authorize(principal, Permission.KEYWORD_MANAGE)
    term = normalise_term(data.term)
    keyword_list = lists.locked(session, ListName.keywords)
    found = session.execute(select(Keyword).where(Keyword.term == term)).scalar_one_or_none()
    if found is not None and found.removed_at is None:
        raise Conflict(f"{term!r} is already on the keyword list", field="term")
    if found is None:
        found = Keyword(term=term)
        session.add(found)
    found.category, found.language = data.category, data.language
    found.added_by, found.added_at, found.removed_at = principal.audit_label, utcnow(), None
    found.changed_seq = lists.next_change(keyword_list)
    session.flush()
    record(
        session,
        principal,
        EventType.KEYWORD_ADDED,
        "keyword",
        found.id,
        {"category": data.category.value, "language": data.language},
    )
    return found


def remove_keyword(session: Session, principal: Principal, term: str) -> Keyword:
    authorize(principal, Permission.KEYWORD_MANAGE)
    normalised = normalise_term(term)
    keyword_list = lists.locked(session, ListName.keywords)
    found = session.execute(
        select(Keyword).where(Keyword.term == normalised, Keyword.removed_at.is_(None))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"{normalised!r} is not on the keyword list", field="term")
    found.removed_at = utcnow()
    found.changed_seq = lists.next_change(keyword_list)
    record(session, principal, EventType.KEYWORD_REMOVED, "keyword", found.id, {})
    return found


def list_keywords(
    session: Session, principal: Principal, listing: Listing
) -> tuple[list[Keyword], int]:
    """A page of the live terms and how many there are."""
    authorize(principal, Permission.BLOCKLIST_READ)
    live = Keyword.removed_at.is_(None)
    total = session.execute(select(func.count(Keyword.id)).where(live)).scalar_one()
    stmt = ordered(select(Keyword).where(live), listing, KEYWORD_SORTS, [Keyword.id.asc()])
    return list(session.execute(stmt).scalars()), int(total)
