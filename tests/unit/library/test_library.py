"""The awareness library: writing rules, adoption rules, search (escaping, filters,
pagination) on each database back end."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.db.listing import Listing
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.library import entries
from alliance.library.schemas import EntryIn
from alliance.library.search import LibraryQuery, fts5_query, search_entries
from tests import factories

OPERATOR = factories.OPERATOR


def entry_in(**overrides: Any) -> EntryIn:
    fields: dict[str, Any] = {
        "kind": "campaign",
        "title": "Think before you share",
        "summary": "Teenagers learn what happens to a nude once it is sent.",
        "country": "NL",
        "audiences": ["children", "parents"],
        "languages": ["nl", "en"],
        "tags": ["self_generated", "sextortion"],
        "links": ["https://campaign.example.test/share"],
        "reach": "about 1.2 million views",
    }
    fields.update(overrides)
    return EntryIn.model_validate(fields)


@pytest.fixture
def people(session: Session) -> dict[str, Principal]:
    nl = factories.organisation(session, OrgKind.government, "NL", slug="nl-gov")
    gb = factories.organisation(session, OrgKind.government, "GB", slug="gb-gov")
    sec = factories.organisation(session, OrgKind.secretariat, "BE", slug="sec")
    return {
        "nl": factories.principal(factories.user(session, nl, Role.country_editor)),
        "gb": factories.principal(factories.user(session, gb, Role.country_editor)),
        "sec": factories.principal(factories.user(session, sec, Role.secretariat_admin)),
        "viewer": factories.principal(factories.user(session, nl, Role.viewer)),
    }


def test_fts5_query_quotes_every_word() -> None:
    assert fts5_query('self-generated "nude selfie" -grooming') == (
        '"self generated" AND "nude selfie" NOT "grooming"'
    )
    assert fts5_query('a"b') == '"a" AND "b"' or fts5_query('a"b') == '"a b"'
    for odd in ['"', "*", "-", "(", "NEAR(a b", "a OR", "AND", "''", "^x", "a:b", '"unbalanced']:
        fts5_query(odd)  # never raises
    assert fts5_query("* - ( )") is None
    assert fts5_query("-only") is None


def test_writer_creates_a_draft_the_public_cannot_see(
    session: Session, people: dict[str, Principal]
) -> None:
    entry = entries.create_entry(session, people["nl"], entry_in())
    assert entry.status == "draft" and entry.organisation.slug == "nl-gov"
    assert entry.tags == ["self_generated", "sextortion"] and entry.languages == ["nl", "en"]
    with pytest.raises(NotFound):
        entries.get_entry(session, None, entry.id)
    with pytest.raises(NotFound):
        entries.get_entry(session, people["gb"], entry.id)
    assert entries.get_entry(session, people["sec"], entry.id) is entry
    with pytest.raises(PermissionDenied):
        entries.set_published(session, people["nl"], entry.id, True)
    entries.set_published(session, people["sec"], entry.id, True)
    assert entries.get_entry(session, None, entry.id) is entry
    # the owner's change sends it back to draft
    entries.update_entry(session, people["nl"], entry.id, entry_in(title="Think twice"))
    assert entry.status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "poster"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"country": "GB"}, "country"),
        ({"languages": ["xx"]}, "languages"),
        ({"languages": ["english"]}, "languages"),
        ({"audiences": ["pets"]}, "audiences"),
        ({"tags": ["cats"]}, "tags"),
        ({"links": ["javascript:alert(1)"]}, "links"),
        ({"links": ["ftp://files.example.test/a.pdf"]}, "links"),
        ({"starts_on": "2024-05-01", "ends_on": "2024-04-01"}, "ends_on"),
        ({"organisation": "nobody"}, "organisation"),
    ],
)
def test_bad_values_name_their_field(
    session: Session, people: dict[str, Principal], overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        entries.create_entry(session, people["nl"], entry_in(**overrides))
    assert caught.value.field == field


def test_editors_write_only_their_own(session: Session, people: dict[str, Principal]) -> None:
    with pytest.raises(PermissionDenied):
        entries.create_entry(session, people["nl"], entry_in(organisation="gb-gov", country="GB"))
    with pytest.raises(PermissionDenied):
        entries.create_entry(session, people["viewer"], entry_in())
    gb_entry = entries.create_entry(session, people["gb"], entry_in(country="GB"))
    with pytest.raises(NotFound):
        entries.update_entry(session, people["nl"], gb_entry.id, entry_in())
    entries.set_published(session, people["sec"], gb_entry.id, True)
    with pytest.raises(PermissionDenied):
        entries.update_entry(session, people["nl"], gb_entry.id, entry_in())
    # the secretariat changes an entry without taking it over
    entries.update_entry(session, people["sec"], gb_entry.id, entry_in(country="GB", title="T"))
    assert gb_entry.organisation.slug == "gb-gov" and gb_entry.title == "T"
    # the secretariat writes for anyone
    made = entries.create_entry(
        session, people["sec"], entry_in(organisation="gb-gov", country="GB")
    )
    assert made.organisation.slug == "gb-gov"


def test_adoption_rules(session: Session, people: dict[str, Principal]) -> None:
    entry = entries.create_entry(session, people["nl"], entry_in())
    with pytest.raises(NotFound):
        entries.adopt(session, people["gb"], entry.id, "ran it too")
    entries.set_published(session, people["sec"], entry.id, True)
    with pytest.raises(Conflict):
        entries.adopt(session, people["nl"], entry.id, "our own")
    assert entries.may_adopt(people["gb"], entry)
    adoption = entries.adopt(session, people["gb"], entry.id, " Ran it in English schools ")
    assert adoption.notes == "Ran it in English schools"
    assert not entries.may_adopt(people["gb"], entry)
    with pytest.raises(Conflict):
        entries.adopt(session, people["gb"], entry.id, "again")
    with pytest.raises(PermissionDenied):
        entries.adopt(session, people["viewer"], entry.id, "")
    out = entries.entry_out(entry)
    assert [a.organisation for a in out.adoptions] == ["gb-gov"]


def _published(session: Session, people: dict[str, Principal], **overrides: Any) -> int:
    who = people["gb"] if overrides.get("country") == "GB" else people["nl"]
    entry = entries.create_entry(session, who, entry_in(**overrides))
    entries.set_published(session, people["sec"], entry.id, True)
    return entry.id


def test_search_words_filters_and_pages(session: Session, people: dict[str, Principal]) -> None:
    a = _published(session, people, title="Nude selfie campaign", tags=["self_generated"])
    b = _published(
        session,
        people,
        title="Sextortion helpline",
        summary="Money demands after a video call.",
        tags=["sextortion", "reporting"],
        audiences=["children"],
        languages=["en"],
        country="GB",
    )
    c = _published(
        session,
        people,
        kind="research",
        title="Grooming study",
        tags=["grooming"],
        audiences=["educators"],
        summary="Chat logs studied.",
    )
    draft = entries.create_entry(session, people["nl"], entry_in(title="Secret selfie draft"))

    def ids(query: LibraryQuery, who: Principal | None = None, **listing: Any) -> list[int]:
        found, _ = search_entries(session, who, query, Listing(**listing) if listing else None)
        return [e.id for e in found]

    assert set(ids(LibraryQuery())) == {a, b, c}
    assert ids(LibraryQuery(words="selfie")) == [a]
    assert ids(LibraryQuery(words="money demands")) == [b]
    assert ids(LibraryQuery(words='"video call"')) == [b]
    assert ids(LibraryQuery(words="self-generated")) == [a]  # the tag's label is searched
    assert set(ids(LibraryQuery(tags=["sextortion"]))) == {b}
    assert ids(LibraryQuery(audiences=["educators"])) == [c]
    assert ids(LibraryQuery(countries=["gb"])) == [b]
    assert set(ids(LibraryQuery(languages=["nl"]))) == {a, c}
    assert ids(LibraryQuery(kind="research")) == [c]
    for odd in ['"', "*", "-", "(", "NEAR(", "a OR", "AND", "''", "\\", "%_", 'selfie"', "é"]:
        ids(LibraryQuery(words=odd))  # never an error
    assert ids(LibraryQuery(words='selfie"')) == [a]
    # drafts: only their writers and the secretariat
    assert draft.id not in ids(LibraryQuery(words="selfie"))
    assert draft.id in ids(LibraryQuery(words="selfie", status=""), people["nl"])
    assert draft.id not in ids(LibraryQuery(words="selfie", status=""), people["gb"])
    assert draft.id in ids(LibraryQuery(status="draft"), people["sec"])
    with pytest.raises(InvalidInput):
        ids(LibraryQuery(status="draft"))
    # pages
    found, total = search_entries(session, None, LibraryQuery(), Listing(sort="title", limit=2))
    assert total == 3 and [e.title for e in found] == ["Grooming study", "Nude selfie campaign"]
    found, total = search_entries(
        session, None, LibraryQuery(), Listing(sort="title", limit=2, offset=2)
    )
    assert [e.title for e in found] == ["Sextortion helpline"]
    with pytest.raises(InvalidInput) as caught:
        ids(LibraryQuery(tags=["cats"]))
    assert caught.value.field == "tag"


def test_counts_stop_above_the_limit(
    session: Session, people: dict[str, Principal], monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.library import search

    for n in range(4):
        _published(session, people, title=f"Selfie campaign {n}")
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    found, total = search_entries(session, None, LibraryQuery(words="selfie"), Listing(limit=10))
    assert total == 3 and len(found) == 4  # "more than 2"; the page itself is whole


def test_relevance_orders_best_first_with_filters_and_pages(
    session: Session, people: dict[str, Principal]
) -> None:
    """The words' best matches first, whatever the filters, and pages of that order that
    neither overlap nor skip (equal scores fall back to the newest entry first)."""
    ids: dict[str, int] = {}
    for title, summary, country in [
        ("Helpline", "Call the helpline, any helpline, helpline helpline.", "NL"),
        ("Helpline week", "A week of talks.", "GB"),
        ("Parents evening", "Where to turn: the helpline.", "NL"),
        ("School talk", "Teachers explain the helpline.", "GB"),
        ("Posters", "Posters for schools.", "NL"),
    ] + [(f"Flyer {i}", "Print the helpline number.", "NL") for i in range(5)]:
        ids[title] = _published(
            session, people, title=title, summary=summary, country=country, tags=["reporting"]
        )

    def page(query: LibraryQuery, **listing: Any) -> tuple[list[int], int]:
        found, total = search_entries(session, None, query, Listing(**listing))
        return [e.id for e in found], total

    everything, total = page(LibraryQuery(words="helpline"), limit=20)
    assert total == 9 and ids["Posters"] not in everything
    assert everything[0] == ids["Helpline"]  # four times in its text, once in its title
    flyers = [ids[f"Flyer {i}"] for i in range(5)]
    assert [i for i in everything if i in flyers] == sorted(flyers, reverse=True)
    pages = [page(LibraryQuery(words="helpline"), limit=4, offset=o) for o in (0, 4, 8, 12)]
    assert [i for p, _ in pages for i in p] == everything
    assert [t for _, t in pages] == [9, 9, 9, 9]
    # filters narrow the same order
    nl, nl_total = page(LibraryQuery(words="helpline", countries=["NL"]), limit=20)
    assert nl == [i for i in everything if i not in (ids["Helpline week"], ids["School talk"])]
    assert nl_total == 7
    second, second_total = page(LibraryQuery(words="helpline", countries=["NL"]), limit=3, offset=3)
    assert second == nl[3:6] and second_total == 7
    # another order asked for wins over relevance, on the same matches
    by_title, _ = page(LibraryQuery(words="helpline"), sort="title", limit=20)
    assert sorted(by_title) == sorted(everything) and by_title[0] == ids["Flyer 0"]
    # phrases and excluded words
    assert page(LibraryQuery(words='"helpline number"'), limit=20)[0] == sorted(
        flyers, reverse=True
    )
    assert set(page(LibraryQuery(words="helpline -print"), limit=20)[0]) == set(everything) - set(
        flyers
    )
    # past the end: an empty page, the count still right
    assert page(LibraryQuery(words="helpline"), limit=4, offset=40) == ([], 9)


def test_best_first_ranks_the_newest_window_then_older_matches_newest_first(
    session: Session, people: dict[str, Principal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond RANK_WINDOW matches, the most recently added are ranked and the older follow,
    newest first; pages of that order neither overlap nor skip, across the window's end
    too, and the count is still every match."""
    from alliance.library import search

    made = [
        _published(session, people, title=title, summary=summary)
        for title, summary in [
            ("Helpline helpline helpline", "The helpline, the helpline."),  # oldest, best
            ("Helpline", "Posters."),
            ("Flyers", "Print the helpline number."),
            ("Talks", "A talk about the helpline and other helplines."),
            ("Helpline helpline", "Helpline."),
            ("Cards", "The helpline number on a card."),
        ]
    ]
    monkeypatch.setattr(search, "RANK_WINDOW", 3)

    def page(offset: int = 0, limit: int | None = 25) -> tuple[list[int], int]:
        found, total = search_entries(
            session, None, LibraryQuery(words="helpline"), Listing(limit=limit, offset=offset)
        )
        return [e.id for e in found], total

    everything, total = page()
    assert total == 6
    # the three newest, best first (equal scores: the newer first), then the older, newest
    # first: the best of all, the oldest, is last
    assert everything == [made[4], made[5], made[3], made[2], made[1], made[0]]
    pages = [page(offset, 2) for offset in (0, 2, 4, 6)]
    assert [i for ids, _ in pages for i in ids] == everything
    assert [t for _, t in pages] == [6, 6, 6, 6]
    assert page(limit=None) == (everything, 6)
    # a search within the window is ranked whole
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    assert page()[0][0] == made[0]


def test_filter_words_cannot_be_typed(session: Session, people: dict[str, Principal]) -> None:
    """What search filters on is kept as words (``statuspublished``, ``tagsextortion``) that
    typed words never reach, and it follows each change of an entry's terms."""
    entry_id = _published(session, people, title="Helpline launch", tags=["sextortion"])
    draft = entries.create_entry(session, people["nl"], entry_in(title="Helpline draft"))

    def ids(words: str, who: Principal | None = None, **query: Any) -> list[int]:
        found, _ = search_entries(session, who, LibraryQuery(words=words, **query))
        return [e.id for e in found]

    for typed in ["statuspublished", "tagsextortion", "search_facets : statuspublished"]:
        assert ids(typed) == []
    assert ids("statusdraft", people["sec"], status="") == []
    assert ids("helpline", people["sec"], status="draft") == [draft.id]
    assert ids("helpline", tags=["sextortion"]) == [entry_id]
    entries.update_entry(
        session, people["sec"], entry_id, entry_in(title="Helpline launch", tags=["grooming"])
    )
    session.flush()
    assert ids("helpline", tags=["sextortion"]) == []
    assert ids("helpline", tags=["grooming"]) == [entry_id]
    assert ids("helpline", audiences=["parents"], languages=["en"]) == [entry_id]


def test_search_reach_and_own_with_words(session: Session, people: dict[str, Principal]) -> None:
    """With words, drafts are found for their writers and the secretariat only, and "own"
    keeps to the writer's organisation."""
    mine = entries.create_entry(session, people["nl"], entry_in(title="Helpline draft")).id
    theirs = entries.create_entry(
        session, people["gb"], entry_in(title="Helpline plan", country="GB")
    ).id
    public = _published(session, people, title="Helpline live", country="GB")

    def ids(who: Principal | None, **query: Any) -> set[int]:
        found, _ = search_entries(session, who, LibraryQuery(words="helpline", **query))
        return {e.id for e in found}

    assert ids(None) == {public}
    assert ids(people["nl"], status="") == {mine, public}
    assert ids(people["nl"], status="draft") == {mine}
    assert ids(people["sec"], status="") == {mine, theirs, public}
    assert ids(people["gb"], status="", own=True) == {theirs, public}
    assert ids(people["nl"], status="", own=True) == {mine}


def test_search_follows_changes_and_deletions(
    session: Session, people: dict[str, Principal]
) -> None:
    """What search reads (FTS5 on SQLite, the search table on PostgreSQL) follows the
    entries: new words, withdrawal, a new country, deletion."""
    entry_id = _published(session, people, title="Helpline launch")

    def ids(words: str, **query: Any) -> list[int]:
        found, _ = search_entries(session, None, LibraryQuery(words=words, **query))
        return [e.id for e in found]

    assert ids("launch") == [entry_id]
    entries.update_entry(session, people["sec"], entry_id, entry_in(title="Chat relaunch"))
    entries.set_published(session, people["sec"], entry_id, True)
    session.flush()
    assert ids("launch") == [] and ids("relaunch") == [entry_id]
    entries.update_entry(
        session, people["sec"], entry_id, entry_in(title="Chat relaunch", kind="guidance")
    )
    entries.set_published(session, people["sec"], entry_id, True)
    session.flush()
    assert ids("relaunch", kind="guidance") == [entry_id]
    assert ids("relaunch", kind="campaign") == []
    entries.set_published(session, people["sec"], entry_id, False)
    session.flush()
    assert ids("relaunch") == []
    session.delete(entries.get_entry(session, people["sec"], entry_id))
    session.flush()
    found, _ = search_entries(session, people["sec"], LibraryQuery(words="relaunch", status=""))
    assert found == []
