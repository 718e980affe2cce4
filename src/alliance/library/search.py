"""Searching the library with the database's own full-text engine, behind one interface.

:func:`search_entries` takes the words a person typed and the filters (tag, audience,
country, language, kind). On SQLite the words become an FTS5 query of quoted terms
(:func:`fts5_query`: every term a quoted string, so quotes, ``*``, ``-``, ``:`` or
parentheses are words, never syntax); ``-word`` excludes a word, ``"two words"`` is a
phrase. On PostgreSQL they go to ``websearch_to_tsquery('simple', ...)``, which accepts any
text. Both read the words of :func:`alliance.library.entries.search_text`.

The filters are words in the same index: :func:`facet_words` writes each entry's status,
kind, country, organisation, tags, audiences and languages as words (``statuspublished
tagsextortion``) in a column (SQLite) or vector (PostgreSQL) of their own, which typed
words never reach (migration 0016). So the engine intersects the filters with the typed
words before anything is ranked, and no match is looked up anywhere else to be checked.

Ranking costs about a microsecond a match (FTS5's bm25, PostgreSQL's ts_rank), and a broad
word matches tens of thousands of entries. So "best first" ranks the :data:`RANK_WINDOW`
most recently added matches, and any older ones follow, newest first (a search that
matches fewer is ranked whole; another order, by title or date, covers every match). The
count stops at :data:`COUNT_LIMIT` + 1; best first reads it from the window, and no order
asks for it when the page ends the list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, true
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
#: Best-first ranks at most this many matches, the most recently added (200 pages of 25).
#: Ranking costs about 1 µs a match on either database, and on PostgreSQL finding the
#: window reads about as many rows as it holds (more for a phrase: GIN keeps no positions).
RANK_WINDOW = 5_000
_PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_NOT_A_LETTER = re.compile(r"[^0-9a-z]")

#: SQLite's FTS5 table (rowid = entry id) and PostgreSQL's search table (migrations 0013,
#: 0015 and 0016).
_FTS = table("fts_library", column("rowid"))
_PG_FTS = table("fts_library", column("id"), column("fts_vector"), column("facet_vector"))
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


def facet_word(facet: str, value: object) -> str:
    """One filter value as the index holds it: ``tag`` and ``self_generated`` are
    ``tagselfgenerated`` (letters and digits only, so every engine keeps it one word)."""
    return facet + _NOT_A_LETTER.sub("", str(value).lower())


def facet_words(entry: LibraryEntry) -> str:
    """What search filters ``entry`` on (``library_entries.search_facets``): kept by the
    services whenever the entry's status, kind, country, organisation or terms change."""
    return " ".join(
        [
            facet_word("status", entry.status),
            facet_word("kind", entry.kind),
            facet_word("country", entry.country_code),
            facet_word("org", entry.organisation_id),
            *(facet_word(term.facet, term.value) for term in entry.terms),
        ]
    )


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


@dataclass(frozen=True)
class Scope:
    """What a query's filters and the principal's reach let through, checked. Empty
    values let everything through."""

    status: str = ""
    #: Drafts of this organisation only (a writer who is not the secretariat).
    drafts_of: int | None = None
    #: This organisation's entries only ("own").
    organisation: int | None = None
    tags: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    kind: str = ""


def scope(principal: Principal | None, query: LibraryQuery) -> Scope:
    """``query``'s filters checked (a clear InvalidInput for a bad one), and what the
    principal may read: published entries, or drafts too for the library's writers."""
    status, drafts_of, organisation = EntryStatus.published.value, None, None
    if query.status != "published":
        if principal is None:
            raise InvalidInput("log in to see drafts", field="status")
        authorize(principal, Permission.LIBRARY_EDIT)
        if query.status and query.status not in EntryStatus.__members__:
            raise InvalidInput("choose draft or published", field="status")
        status = query.status
        if principal.reach(Permission.LIBRARY_EDIT) is not Reach.ALL:
            drafts_of = principal.organisation_id
    if query.own:
        if principal is None or principal.organisation_id is None:
            raise InvalidInput("your own entries: log in as a member", field="own")
        organisation = principal.organisation_id
    return Scope(
        status=status,
        drafts_of=drafts_of,
        organisation=organisation,
        tags=tuple(t.value for t in check_tags(query.tags, field="tag")),
        audiences=tuple(a.value for a in check_audiences(query.audiences, field="audience")),
        languages=tuple(check_languages(query.languages, field="language")),
        countries=tuple(
            check_country_code(c, field="country") for c in query.countries if c.strip()
        ),
        kind=check_kind(query.kind).value if query.kind.strip() else "",
    )


def _facet(facet: str, values: Sequence[str]) -> ColumnElement[bool]:
    return LibraryEntry.id.in_(
        select(LibraryTerm.entry_id).where(
            LibraryTerm.facet == facet, LibraryTerm.value.in_(list(values))
        )
    )


def conditions(where: Scope) -> list[ColumnElement[bool]]:
    """The scope as conditions on the entries' own columns (a list without words)."""
    entries = LibraryEntry
    out: list[ColumnElement[bool]] = []
    if where.status:
        out.append(entries.status == where.status)
    if where.drafts_of is not None:
        out.append(
            (entries.status == EntryStatus.published.value)
            | (entries.organisation_id == where.drafts_of)
        )
    if where.organisation is not None:
        out.append(entries.organisation_id == where.organisation)
    for facet, values in (
        ("tag", where.tags),
        ("audience", where.audiences),
        ("language", where.languages),
    ):
        if values:
            out.append(_facet(facet, values))
    if where.countries:
        out.append(entries.country_code.in_(where.countries))
    if where.kind:
        out.append(entries.kind == where.kind)
    return out


def facet_groups(where: Scope) -> list[list[str]]:
    """The scope as facet words: every group must be matched by one of its words."""
    groups: list[list[str]] = []
    if where.status:
        groups.append([facet_word("status", where.status)])
    if where.drafts_of is not None:
        groups.append(
            [facet_word("status", EntryStatus.published.value), facet_word("org", where.drafts_of)]
        )
    if where.organisation is not None:
        groups.append([facet_word("org", where.organisation)])
    for facet, values in (
        ("tag", where.tags),
        ("audience", where.audiences),
        ("language", where.languages),
        ("country", where.countries),
    ):
        if values:
            groups.append([facet_word(facet, v) for v in values])
    if where.kind:
        groups.append([facet_word("kind", where.kind)])
    return groups


@dataclass(frozen=True)
class Matches:
    """The entries a search finds: their ids, and the newest first with what ranking
    them reads."""

    ids: Select[Any]
    #: The matches newest first: an ``id`` column and what :attr:`score` reads.
    newest: Select[Any]
    #: How well each match of a window of :attr:`newest` matches.
    score: Callable[[Any], ColumnElement[Any]]
    #: Whether a higher score is better (PostgreSQL's ts_rank) or lower (FTS5's bm25).
    higher_is_better: bool


def _sqlite_matches(words: str, where: Scope) -> Matches:
    # Typed words are looked for in search_text alone, the filters in search_facets.
    fts = f"search_text : ({words})" + "".join(
        " AND search_facets : (" + " OR ".join(f'"{w}"' for w in group) + ")"
        for group in facet_groups(where)
    )
    match = literal_column("fts_library").op("MATCH")(fts)
    # bm25 weighs the facets' column 0: a filter makes an entry no better a match. It is
    # read in the query that holds the MATCH (FTS5's functions need its cursor), and FTS5
    # reads matches in rowid order, so the window stops after RANK_WINDOW of them.
    score = func.bm25(literal_column("fts_library"), 1.0, 0.0)
    return Matches(
        ids=select(_FTS.c.rowid).where(match),
        newest=select(_FTS.c.rowid.label("id"), score.label("score"))
        .where(match)
        .order_by(_FTS.c.rowid.desc()),
        score=lambda window: window.c.score,
        higher_is_better=False,
    )


def _postgres_matches(words: str, where: Scope) -> Matches:
    tsquery = func.websearch_to_tsquery(_SIMPLE, words[:1000])
    found = [_PG_FTS.c.fts_vector.op("@@")(tsquery)]
    groups = facet_groups(where)
    if groups:
        facets = " & ".join("(" + " | ".join(group) + ")" for group in groups)
        found.append(_PG_FTS.c.facet_vector.op("@@")(func.to_tsquery(_SIMPLE, facets)))
    # ts_rank is computed on the window, not in it: PostgreSQL would rank every match
    # before sorting them by id (it postpones only functions it deems expensive).
    return Matches(
        ids=select(_PG_FTS.c.id).where(*found),
        newest=select(_PG_FTS.c.id, _PG_FTS.c.fts_vector)
        .where(*found)
        .order_by(_PG_FTS.c.id.desc()),
        score=lambda window: func.ts_rank(window.c.fts_vector, tsquery),
        higher_is_better=True,
    )


def matches(session: Session, principal: Principal | None, query: LibraryQuery) -> Matches | None:
    """The entries holding ``query.words`` that its filters let through and the principal
    may read; None when the words hold no word that can match."""
    where = scope(principal, query)
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_matches(query.words, where)
    fts = fts5_query(query.words)
    return None if fts is None else _sqlite_matches(fts, where)


def search_entries(
    session: Session,
    principal: Principal | None,
    query: LibraryQuery,
    listing: Listing | None = None,
) -> tuple[list[LibraryEntry], int]:
    """A page of the entries ``query`` finds (best matches first when words are given and
    no other order is asked for, see :func:`_best_first`; else the newest published
    first), and how many in all, counted up to :data:`COUNT_LIMIT` + 1 (more than the
    limit: "over 1,000")."""
    listing = listing or Listing()
    tiebreak = [LibraryEntry.id.desc()]
    total: int | None = None
    if _has_words(query.words):
        found = matches(session, principal, query)
        if found is None:
            return [], 0
        counted = found.ids
        if listing.sort is None:
            page, total = _best_first(session, found, listing.offset, listing.limit)
        else:
            with_entries = select(LibraryEntry.id).where(LibraryEntry.id.in_(found.ids))
            page = list(
                session.execute(ordered(with_entries, listing, ENTRY_SORTS, tiebreak)).scalars()
            )
    else:
        counted = select(LibraryEntry.id).where(*conditions(scope(principal, query)))
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


def _best_first(
    session: Session, found: Matches, offset: int, limit: int | None
) -> tuple[list[int], int | None]:
    """A page of the matches best first: the newest :data:`RANK_WINDOW` ranked (equal
    scores newest first), then any older ones newest first; and how many match when the
    window tells (all of them, or a full window of more than :data:`COUNT_LIMIT`). One
    query for a page within the window; a second only for a page that reaches past it.

    The count comes from the window, never a query of its own: PostgreSQL, misjudging how
    many entries hold a phrase (9,679 for 217), would read the whole table to count."""
    window = found.newest.limit(RANK_WINDOW).subquery("window")
    # Only ids and scores are kept (the vectors ranked would spill to disk).
    ranked = (
        select(window.c.id, found.score(window).label("score"))
        .cte("ranked")
        .prefix_with("MATERIALIZED")
    )
    stats = select(func.count().label("ranked"), func.min(ranked.c.id).label("oldest")).subquery(
        "stats"
    )
    best = ranked.c.score.desc() if found.higher_is_better else ranked.c.score.asc()
    chosen = select(ranked.c.id, ranked.c.score).order_by(best, ranked.c.id.desc()).offset(offset)
    page = (chosen if limit is None else chosen.limit(limit)).subquery("page")
    in_order = page.c.score.desc() if found.higher_is_better else page.c.score.asc()
    # The stats row joined to the page: the window's size even for a page past its end.
    rows = session.execute(
        select(stats.c.ranked, stats.c.oldest, page.c.id)
        .select_from(stats.outerjoin(page, true()))
        .order_by(in_order, page.c.id.desc())
    ).all()
    ids = [row.id for row in rows if row.id is not None]
    size, oldest = rows[0].ranked, rows[0].oldest
    wanted = None if limit is None else limit - len(ids)
    total = size if size < RANK_WINDOW or RANK_WINDOW > COUNT_LIMIT else None
    if size < RANK_WINDOW or wanted == 0:
        return ids, total
    id_column = found.ids.selected_columns[0]
    older = (
        found.ids.where(id_column < oldest).order_by(id_column.desc()).offset(max(0, offset - size))
    )
    ids += session.execute(older if wanted is None else older.limit(wanted)).scalars()
    return ids, total
