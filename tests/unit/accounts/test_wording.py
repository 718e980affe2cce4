"""The indefinite article by sound: "an industry organisation", "a hotline", "an NGO"."""

from __future__ import annotations

import pytest

from alliance.accounts.permissions import OrgKind
from alliance.accounts.services import roles_that_fit
from alliance.accounts.wording import article, joined, with_article


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("industry organisation", "an"),
        ("hotline organisation", "a"),
        ("law enforcement organisation", "a"),
        ("secretariat", "a"),
        ("NGO", "an"),
        ("LEA investigator", "an"),
        ("API key", "an"),
        ("user", "a"),
        ("hour", "an"),
        ("organisation", "an"),
    ],
)
def test_article_follows_the_sound(phrase: str, expected: str) -> None:
    assert article(phrase) == expected


def test_with_article_and_joined() -> None:
    assert with_article("industry organisation", capital=True) == "An industry organisation"
    assert joined(["a", "b", "c"]) == "a, b or c"
    assert joined(["a"]) == "a"


def test_roles_that_fit_in_words() -> None:
    assert roles_that_fit(OrgKind.industry) == (
        "an industry organisation's roles are Organisation administrator, "
        "Trust & safety reviewer or Viewer"
    )
    assert roles_that_fit(OrgKind.ngo).startswith("an NGO organisation's roles")
    assert roles_that_fit(OrgKind.law_enforcement).startswith("a law enforcement organisation")
