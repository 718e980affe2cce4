"""Searching the library with the database's own full-text engine, behind one interface.

:func:`search_entries` takes the words a person typed and the filters (tag, audience,
country, language, kind). On SQLite the words become an FTS5 query of quoted terms
(:func:`fts5_query`: every term a quoted string, so quotes, ``*``, ``-``, ``:`` or
parentheses are words, never syntax); ``-word`` excludes a word, ``"two words"`` is a
phrase. On PostgreSQL they go to ``websearch_to_tsquery('simple', ...)``, which accepts any
text. Both read the words of :func:`alliance.library.entries.search_text`.

A broad word matches tens of thousands of entries, and the best ones can only be known by
scoring them all (FTS5's bm25, PostgreSQL's ts_rank). So that costs as little as it can:
each match is checked against the filters in a narrow copy of the filtered columns, not
in the entries' wide rows (SQLite: the index ``fts_library_filters``; PostgreSQL: the
search table ``fts_library``, which holds the vector too; migration 0015), and only the
best (offset + limit) are kept while the matches are read. The count stops at
:data:`COUNT_LIMIT` + 1, is not asked for when the page ends the list, and on PostgreSQL
comes from the same reading as the page (:func:`_ranked_page`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause, TableClause

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


class _IndexedBy(TableClause):
    """A table SQLite reads through one named index (``INDEXED BY``)."""

    inherit_cache = True

    def __init__(self, name: str, index: str, *columns: ColumnClause[Any]) -> None:
        super().__init__(name, *columns)
        self.index = index


@compiles(_IndexedBy)
def _indexed_by(element: _IndexedBy, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_table(element, **kw)
    return f"{text} INDEXED BY {element.index}" if kw.get("asfrom") else text


#: SQLite's FTS5 table (rowid = entry id), the entries' columns a search filters on (read
#: from their index) and PostgreSQL's search table (migrations 0013 and 0015).
_FTS = table("fts_library", column("rowid"))
_ENTRY_FILTERS = _IndexedBy(
    "library_entries",
    "fts_library_filters",
    column("id"),
    column("status"),
    column("organisation_id"),
    column("country_code"),
    column("kind"),
)
_PG_FTS = table(
    "fts_library",
    column("id"),
    column("status"),
    column("organisation_id"),
    column("country_code"),
    column("kind"),
    column("fts_vector"),
)
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


def _facet(entry_id: ColumnElement[Any], facet: str, values: Sequence[str]) -> ColumnElement[bool]:
    return entry_id.in_(
        select(LibraryTerm.entry_id).where(
            LibraryTerm.facet == facet, LibraryTerm.value.in_(list(values))
        )
    )


def conditions(
    entries: Any, principal: Principal | None, query: LibraryQuery
) -> list[ColumnElement[bool]]:
    """What ``query``'s filters and the principal's reach ask of ``entries``: a table
    with the columns id, status, organisation_id, country_code and kind (the entries, or
    PostgreSQL's search table ``fts_library``, which copies them)."""
    where: list[ColumnElement[bool]] = []
    if query.status == "published":
        where.append(entries.status == EntryStatus.published.value)
    else:
        if principal is None:
            raise InvalidInput("log in to see drafts", field="status")
        authorize(principal, Permission.LIBRARY_EDIT)
        if query.status:
            if query.status not in EntryStatus.__members__:
                raise InvalidInput("choose draft or published", field="status")
            where.append(entries.status == EntryStatus(query.status).value)
        if principal.reach(Permission.LIBRARY_EDIT) is not Reach.ALL:
            where.append(
                (entries.status == EntryStatus.published.value)
                | (entries.organisation_id == principal.organisation_id)
            )
    if query.own:
        if principal is None or principal.organisation_id is None:
            raise InvalidInput("your own entries: log in as a member", field="own")
        where.append(entries.organisation_id == principal.organisation_id)
    tags = check_tags(query.tags, field="tag")
    if tags:
        where.append(_facet(entries.id, "tag", [t.value for t in tags]))
    audiences = check_audiences(query.audiences, field="audience")
    if audiences:
        where.append(_facet(entries.id, "audience", [a.value for a in audiences]))
    languages = check_languages(query.languages, field="language")
    if languages:
        where.append(_facet(entries.id, "language", languages))
    countries = [check_country_code(c, field="country") for c in query.countries if c.strip()]
    if countries:
        where.append(entries.country_code.in_(countries))
    if query.kind.strip():
        where.append(entries.kind == check_kind(query.kind))
    return where


@dataclass(frozen=True)
class Matches:
    """The entries a search finds: their ids, the same with the entries' columns to sort
    by, and how well each matches."""

    ids: Select[Any]
    with_entries: Select[Any]
    score: ColumnElement[Any]
    #: Whether a higher score is better (PostgreSQL's ts_rank) or lower (FTS5's bm25).
    higher_is_better: bool
    #: Whether the page counts the matches too (see :func:`_ranked_page`).
    counted_with_page: bool

    def best_first(self) -> tuple[ColumnElement[Any], ...]:
        score = self.score.desc() if self.higher_is_better else self.score.asc()
        return score, self.ids.selected_columns[0].desc()


def _sqlite_matches(fts: str, principal: Principal | None, query: LibraryQuery) -> Matches:
    # FTS5 finds the matches and each is checked against the filters in the index
    # fts_library_filters (migration 0015), never in the entries' wide rows (without
    # statistics the planner would read the rows by rowid). The ``+`` keeps the planner from
    # turning the join round (every entry looked up in FTS5, each asking the index again).
    match = literal_column("fts_library").op("MATCH")(fts)
    entries = _ENTRY_FILTERS
    ids = (
        select(entries.c.id)
        .select_from(_FTS)
        .join(entries, entries.c.id == literal_column("+fts_library.rowid"))
        .where(match, *conditions(entries.c, principal, query))
    )
    # In another order (title, date...), the entries' own columns, for the matches alone.
    with_entries = select(LibraryEntry.id).where(
        *conditions(LibraryEntry, principal, query),
        LibraryEntry.id.in_(select(_FTS.c.rowid).where(match)),
    )
    # bm25() rather than FTS5's ``rank`` column: ORDER BY rank makes FTS5 sort every match
    # itself, where bm25() lets SQLite keep only the best (offset + limit) while it reads.
    return Matches(
        ids,
        with_entries,
        func.bm25(literal_column("fts_library")),
        higher_is_better=False,
        counted_with_page=False,
    )


def _postgres_matches(words: str, where: list[ColumnElement[bool]]) -> Matches:
    # The search table alone: the filters' columns and the vector, narrow rows (the
    # entries' own rows are about 1 kB each, and a broad word matches tens of thousands).
    tsquery = func.websearch_to_tsquery(_SIMPLE, words[:1000])
    vector = _PG_FTS.c.fts_vector
    ids = select(_PG_FTS.c.id).where(vector.op("@@")(tsquery), *where)
    with_entries = ids.join(LibraryEntry, LibraryEntry.id == _PG_FTS.c.id)
    return Matches(
        ids,
        with_entries,
        func.ts_rank(vector, tsquery),
        higher_is_better=True,
        counted_with_page=True,
    )


def matches(session: Session, principal: Principal | None, query: LibraryQuery) -> Matches | None:
    """The entries holding ``query.words`` that its filters let through and the principal
    may read; None when the words hold no word that can match."""
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_matches(query.words, conditions(_PG_FTS.c, principal, query))
    fts = fts5_query(query.words)
    if fts is None:
        conditions(LibraryEntry, principal, query)  # the filters are still checked
        return None
    return _sqlite_matches(fts, principal, query)


def search_entries(
    session: Session,
    principal: Principal | None,
    query: LibraryQuery,
    listing: Listing | None = None,
) -> tuple[list[LibraryEntry], int]:
    """A page of the entries ``query`` finds (best matches first when words are given and
    no other order is asked for, else the newest published first), and how many in all,
    counted up to :data:`COUNT_LIMIT` + 1 (more than the limit: "over 1,000")."""
    listing = listing or Listing()
    tiebreak = [LibraryEntry.id.desc()]
    total: int | None = None
    if _has_words(query.words):
        found = matches(session, principal, query)
        if found is None:
            return [], 0
        counted = found.ids
        if listing.sort is None and found.counted_with_page:
            page, total = _ranked_page(session, found, listing)
        else:
            if listing.sort is None:
                ids = found.ids.order_by(*found.best_first()).offset(listing.offset)
                ids = ids if listing.limit is None else ids.limit(listing.limit)
            else:
                ids = ordered(found.with_entries, listing, ENTRY_SORTS, tiebreak)
            page = list(session.execute(ids).scalars())
    else:
        counted = select(LibraryEntry.id).where(*conditions(LibraryEntry, principal, query))
        if listing.sort is None:
            listing = Listing(
                sort="published", descending=True, limit=listing.limit, offset=listing.offset
            )
        # The page's ids first (no entry loaded while ordering them), then its entries.
        page = list(session.execute(ordered(counted, listing, ENTRY_SORTS, tiebreak)).scalars())
    ends_the_list = listing.limit is None or len(page) < listing.limit
    if total is None and ends_the_list and (page or not listing.offset):
        total = listing.offset + len(page)  # nothing after the page: nothing left to count
    elif total is None:
        limited = counted.limit(COUNT_LIMIT + 1).subquery()
        total = session.execute(select(func.count()).select_from(limited)).scalar_one()
    total = min(total, COUNT_LIMIT + 1)
    if not page:
        return [], total
    loaded = session.execute(select(LibraryEntry).where(LibraryEntry.id.in_(page)))
    by_id = {entry.id: entry for entry in loaded.scalars().unique()}
    return [by_id[i] for i in page if i in by_id], total


def _ranked_page(
    session: Session, found: Matches, listing: Listing
) -> tuple[list[int], int | None]:
    """The page of best matches and how many match (None for a page past the end), from
    one reading of the matches. PostgreSQL ranks every match anyway, so keeping each one's
    id and score costs little; a count of its own would be planned apart, and the planner,
    misjudging how many entries hold a phrase (5,426 for 172), read the whole table for
    it. (Tried: the page as its own parallel query and the count forced through the GIN
    index; slower in ``bench/library.py``, median and p95, on 2 shared cores.)"""
    scored = found.ids.add_columns(found.score.label("score"))
    kept = scored.cte("matches").prefix_with("MATERIALIZED")
    how_many = select(func.count()).select_from(kept).scalar_subquery()
    order = kept.c.score.desc() if found.higher_is_better else kept.c.score.asc()
    ids = select(kept.c.id, how_many).order_by(order, kept.c.id.desc()).offset(listing.offset)
    rows = session.execute(ids if listing.limit is None else ids.limit(listing.limit)).all()
    return [row[0] for row in rows], rows[0][1] if rows else None
