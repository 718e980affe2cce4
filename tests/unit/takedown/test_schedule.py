"""Scheduled-action keys: built and read in one place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alliance.takedown.models import ActionKind, ContentItem
from alliance.takedown.schedule import ActionKey

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "text", "number"),
    [
        (ActionKey.resolve(7), "resolve:7:0", 0),
        (
            ActionKey.notice(ContentItem(id=7, notice_count=1)),  # its second notice
            "notice:7:2",
            2,
        ),
        (ActionKey.recheck(7, 3), "recheck:7:3", 3),
        (ActionKey.asked_recheck(7, AT), f"recheck:7:asked:{AT.timestamp():.0f}", None),
        (ActionKey.escalate(7), "escalate:7", None),
        (ActionKey.expire_hold(9, 2), "expire_hold:9:2", 2),
    ],
)
def test_each_key_is_built_as_stored_and_parsed_back(
    key: ActionKey, text: str, number: int | None
) -> None:
    assert str(key) == text
    assert ActionKey.parse(text) == key
    assert key.number == number


def test_the_parts_of_a_parsed_key() -> None:
    key = ActionKey.parse("recheck:42:asked:1772366400")
    assert key.kind is ActionKind.recheck and key.target == 42 and key.step == "asked:1772366400"
    assert key.number is None  # an asked-for re-check does not chain


@pytest.mark.parametrize(
    "text", ["", "notice", "notice:", "notice:x:1", "bogus:1:1", "notice: 7:1", "notice:7:"]
)
def test_a_malformed_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an action key"):
        ActionKey.parse(text)
