"""The keyword list: one form per term, tombstones, analysts only."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from alliance.blocklists import keywords, lists
from alliance.blocklists.models import KeywordCategory, ListName
from alliance.blocklists.schemas import KeywordIn
from alliance.db.listing import Listing
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.unit.blocklists.conftest import Members


def _term(text: str, category: str = "coded") -> KeywordIn:
    return KeywordIn(term=text, category=KeywordCategory(category), language="en")


def test_terms_are_kept_in_one_form(session: Session, members: Members) -> None:
    added = keywords.add_keyword(session, members.analyst, _term("  Placeholder   TERM-1 "))
    assert added.term == "placeholder term-1"
    with pytest.raises(Conflict, match="already on the keyword list"):
        keywords.add_keyword(session, members.analyst, _term("PLACEHOLDER term-1"))
    with pytest.raises(InvalidInput, match="control"):
        keywords.normalise_term("placeholder\u200bterm")  # a format character


def test_removal_is_a_tombstone_and_a_term_can_come_back(
    session: Session, members: Members
) -> None:
    added = keywords.add_keyword(session, members.analyst, _term("placeholder-term-2"))
    first = added.changed_seq
    keywords.remove_keyword(session, members.analyst, "Placeholder-Term-2")
    assert added.removed_at is not None and added.changed_seq == first + 1
    assert keywords.list_keywords(session, members.reviewer, Listing())[1] == 0
    with pytest.raises(NotFound):
        keywords.remove_keyword(session, members.analyst, "placeholder-term-2")
    back = keywords.add_keyword(session, members.analyst, _term("placeholder-term-2", "csam"))
    assert (back.id, back.removed_at, back.category) == (added.id, None, KeywordCategory.csam)
    assert back.changed_seq == lists.sequences(session)[ListName.keywords]


def test_only_analysts_keep_the_list(session: Session, members: Members) -> None:
    for who in (members.reviewer, members.viewer):
        with pytest.raises(PermissionDenied):
            keywords.add_keyword(session, who, _term("placeholder-term-3"))
    with pytest.raises(PermissionDenied):
        keywords.list_keywords(session, members.viewer, Listing())
