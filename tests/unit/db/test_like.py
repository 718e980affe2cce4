"""User text in LIKE: ``%``, ``_`` and the escape character match only themselves."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Jurisdiction, Organisation
from alliance.accounts.permissions import OrgKind
from alliance.db import like

NAMES = ["like-100% sure", "like-100 sure", "like-a_b", "like-axb", "like-a/b", "like-ab"]


@pytest.fixture
def names(session: Session) -> Session:
    session.add(Jurisdiction(code="QL", name="Test L", alliance_member=False))
    session.flush()
    for n, name in enumerate(NAMES):
        session.add(
            Organisation(slug=f"like-{n}", name=name, kind=OrgKind.industry, country_code="QL")
        )
    session.flush()
    return session


def _contains(session: Session, text: str) -> list[str]:
    query = select(Organisation.name).where(like.contains(Organisation.name, text))
    return sorted(session.execute(query).scalars())


def test_the_pattern_escapes_wildcards_and_the_escape_character() -> None:
    assert like.literal("100%_a/b") == "100/%/_a//b"
    assert like.literal("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("%", ["like-100% sure"]),  # not everything
        ("100%", ["like-100% sure"]),
        ("_", ["like-a_b"]),  # not every name with a character in it
        ("a_b", ["like-a_b"]),  # not "axb"
        ("a/b", ["like-a/b"]),
        ("/", ["like-a/b"]),
        ("%%", []),
        ("ab", ["like-ab"]),
    ],
)
def test_contains_matches_the_text_literally(names: Session, text: str, found: list[str]) -> None:
    assert _contains(names, text) == found


def test_startswith_matches_the_text_literally(names: Session) -> None:
    def starting(text: str) -> list[str]:
        query = select(Organisation.name).where(like.startswith(Organisation.name, text))
        return sorted(names.execute(query).scalars())

    assert starting("like-a_") == ["like-a_b"]
    assert starting("like-100%") == ["like-100% sure"]
    assert starting("like-%") == []
    assert starting("like-a") == ["like-a/b", "like-a_b", "like-ab", "like-axb"]
