"""Searching the library with the database's own full-text engine, behind one interface.

:func:`search_entries` takes the words a person typed and the filters (tag, audience,
country, language, kind). On SQLite the words become an FTS5 query of quoted terms
(:func:`fts5_query`: every term a quoted string, so quotes, ``*``, ``-``, ``:`` or
parentheses are words, never syntax); ``-word`` excludes a word, ``"two words"`` is a
phrase. On PostgreSQL they go to ``websearch_to_tsquery('simple', ...)``, which accepts any
text. Both read the words of :func:`alliance.library.entries.search_text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.countries.names import check_country_code
from alliance.db.listing import Listing, ordered
from alliance.errors import InvalidInput
from alliance.library.models import LibraryEntry, LibraryTerm
from alliance.library.vocabulary import (
    EntryStatus,
    check_audiences,
    check_kind,
    check_languages,
    check_tags,
)

#: The columns a list of entries may be sorted by ("relevance" only with words).
ENTRY_SORTS: dict[str, Any] = {
    "title": LibraryEntry.title,
    "country": LibraryEntry.country_code,
    "kind": LibraryEntry.kind,
    "published": LibraryEntry.published_at,
    "updated": LibraryEntry.updated_at,
    "starts": LibraryEntry.starts_on,
}
MAX_TERMS = 16
#: Matches are counted up to this many: a search for a common word answers "more than
#: 1,000" instead of counting tens of thousands (the count would cost more than the page).
COUNT_LIMIT = 1_000
_PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_FTS = table("fts_library", column("rowid"), column("rank"))
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class LibraryQuery:
    """What to look for. Empty values filter nothing."""

    words: str = ""
    tags: Sequence[str] = ()
    audiences: Sequence[str] = ()
    countries: Sequence[str] = ()
    languages: Sequence[str] = ()
    kind: str = ""
    #: "published" (the public library), "draft", or "" for both (writers only).
    status: str = "published"
    #: Only the principal's organisation's entries (the writer's own list).
    own: bool = False


def fts5_query(words: str) -> str | None:
    """``words`` as an FTS5 query that cannot be a syntax error, or None when it holds no
    word. Each word is quoted; a quoted phrase stays a phrase; a leading ``-`` excludes a
    word or phrase when something else is asked for."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for match in _PIECE.finditer(words):
        negated = bool(match.group(1)) or (match.group(3) or "").startswith("-")
        text = match.group(2) if match.group(2) is not None else match.group(3) or ""
        tokens = _WORD.findall(text)
        if not tokens:
            continue
        phrase = '"' + " ".join(tokens).replace('"', '""') + '"'
        (unwanted if negated else wanted).append(phrase)
        if len(wanted) + len(unwanted) >= MAX_TERMS:
            break
    if not wanted:
        return None
    query = " AND ".join(wanted)
    return query + "".join(f" NOT {p}" for p in unwanted)


def _has_words(words: str) -> bool:
    return bool(_WORD.search(words))


def text_match(session: Session, stmt: Select[Any], words: str) -> tuple[Select[Any], Any]:
    """``stmt`` narrowed to entries matching ``words``, and a function that orders a
    statement of them by relevance (best first)."""
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column("library_entries.fts_vector")
        query = func.websearch_to_tsquery(_SIMPLE, words[:1000])

        def by_rank_pg(ranked: Select[Any]) -> Select[Any]:
            return ranked.order_by(func.ts_rank(vector, query).desc())

        return stmt.where(vector.op("@@")(query)), by_rank_pg
    fts = fts5_query(words)
    if fts is None:
        return stmt.where(literal_column("0") == 1), lambda ranked: ranked
    match = literal_column("fts_library").op("MATCH")(fts)
    # IN (...): SQLite reads the index once, whatever else narrows the entries (a join
    # would let it start from the entries and ask the index for each).
    stmt = stmt.where(LibraryEntry.id.in_(select(_FTS.c.rowid).where(match)))

    def by_rank(ranked: Select[Any]) -> Select[Any]:
        hits = select(_FTS.c.rowid.label("id"), _FTS.c.rank.label("rank")).where(match)
        found = hits.subquery("hits")
        return ranked.join(found, found.c.id == LibraryEntry.id).order_by(found.c.rank)

    return stmt, by_rank


def _facet(facet: str, values: Sequence[str]) -> ColumnElement[bool]:
    return LibraryEntry.id.in_(
        select(LibraryTerm.entry_id).where(
            LibraryTerm.facet == facet, LibraryTerm.value.in_(list(values))
        )
    )


def filtered(
    session: Session, principal: Principal | None, query: LibraryQuery
) -> tuple[Select[Any], Any]:
    """The statement of the entries ``query`` asks for and the principal may read, and the
    relevance order (None without words)."""
    stmt = select(LibraryEntry)
    if query.status == "published":
        stmt = stmt.where(LibraryEntry.status == EntryStatus.published)
    else:
        if principal is None:
            raise InvalidInput("log in to see drafts", field="status")
        authorize(principal, Permission.LIBRARY_EDIT)
        if query.status:
            if query.status not in EntryStatus.__members__:
                raise InvalidInput("choose draft or published", field="status")
            stmt = stmt.where(LibraryEntry.status == EntryStatus(query.status))
        if principal.reach(Permission.LIBRARY_EDIT) is not Reach.ALL:
            stmt = stmt.where(
                (LibraryEntry.status == EntryStatus.published)
                | (LibraryEntry.organisation_id == principal.organisation_id)
            )
    if query.own:
        if principal is None or principal.organisation_id is None:
            raise InvalidInput("your own entries: log in as a member", field="own")
        stmt = stmt.where(LibraryEntry.organisation_id == principal.organisation_id)
    tags = check_tags(query.tags, field="tag")
    if tags:
        stmt = stmt.where(_facet("tag", [t.value for t in tags]))
    audiences = check_audiences(query.audiences, field="audience")
    if audiences:
        stmt = stmt.where(_facet("audience", [a.value for a in audiences]))
    languages = check_languages(query.languages, field="language")
    if languages:
        stmt = stmt.where(_facet("language", languages))
    countries = [check_country_code(c, field="country") for c in query.countries if c.strip()]
    if countries:
        stmt = stmt.where(LibraryEntry.country_code.in_(countries))
    if query.kind.strip():
        stmt = stmt.where(LibraryEntry.kind == check_kind(query.kind))
    relevance = None
    if _has_words(query.words):
        stmt, relevance = text_match(session, stmt, query.words)
    return stmt, relevance


def search_entries(
    session: Session,
    principal: Principal | None,
    query: LibraryQuery,
    listing: Listing | None = None,
) -> tuple[list[LibraryEntry], int]:
    """A page of the entries ``query`` finds (best matches first when words are given and
    no other order is asked for, else the newest published first), and how many in all,
    counted up to :data:`COUNT_LIMIT` + 1 (more than the limit: "over 1,000")."""
    stmt, relevance = filtered(session, principal, query)
    ids = stmt.with_only_columns(LibraryEntry.id).limit(COUNT_LIMIT + 1)
    total = session.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    listing = listing or Listing()
    if listing.sort is None and relevance is not None:
        stmt = relevance(stmt)
        tiebreak = [LibraryEntry.id.desc()]
    elif listing.sort is None:
        listing = Listing(
            sort="published", descending=True, limit=listing.limit, offset=listing.offset
        )
        tiebreak = [LibraryEntry.id.desc()]
    else:
        tiebreak = [LibraryEntry.id.desc()]
    # The page's ids first (no entry loaded while ordering the matches), then its entries.
    ids = stmt.with_only_columns(LibraryEntry.id)
    page = list(session.execute(ordered(ids, listing, ENTRY_SORTS, tiebreak)).scalars())
    if not page:
        return [], total
    loaded = session.execute(select(LibraryEntry).where(LibraryEntry.id.in_(page)))
    by_id = {entry.id: entry for entry in loaded.scalars().unique()}
    return [by_id[i] for i in page if i in by_id], total
