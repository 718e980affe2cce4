"""Goal 7 on a small world whose values were worked out by hand: censoring (an item still
online at the period's end, one closed unremoved), holds left out of the speed figures and
counted apart, the alliance-wide figure over items without a country, and a country with
no data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.reports.periods import Period
from alliance.reports.removal import removal_values
from alliance.reports.schemas import Status, Value
from alliance.takedown.models import Classification, ContentItem, EventKind, ItemEvent, ItemStage

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)  # long after the year: its end bounds the clocks


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def item(
    session: Session,
    country: str | None,
    noticed: str | None = None,
    removed_after: float | None = None,
    *,
    closed_after: float | None = None,
    assessed: str | None = None,
    informed_after: float | None = None,
) -> ContentItem:
    reference = references.new("I")
    notice = at(noticed) if noticed else None
    start = notice or (at(assessed) if assessed else at("2025-01-01T00:00"))
    made = ContentItem(
        reference=reference,
        url=f"http://{reference.lower()}.example.test/a.png",
        host=f"{reference.lower()}.example.test",
        stage=ItemStage.removed if removed_after is not None else ItemStage.notified,
        classification=Classification.baseline,
        country_code=country,
        received_at=start - timedelta(hours=1),
        assessed_at=at(assessed) if assessed else None,
        lea_informed_at=(
            at(assessed) + timedelta(hours=informed_after)
            if assessed and informed_after is not None
            else None
        ),
        first_notice_at=notice,
        notice_count=1 if notice else 0,
        removed_at=notice + timedelta(hours=removed_after)
        if notice and removed_after is not None
        else None,
        closed_at=notice + timedelta(hours=closed_after)
        if notice and closed_after is not None
        else None,
    )
    session.add(made)
    session.flush()
    return made


def event(session: Session, target: ContentItem, kind: EventKind, when: str) -> None:
    session.add(ItemEvent(item_id=target.id, at=at(when), kind=kind, actor="test"))
    session.flush()


@pytest.fixture
def world(session: Session) -> None:
    # NL: removed after 10, 30 and 100 h; noticed on 31 December at noon and removed two
    # days later (after the year: censored at 12 h); closed unremoved after 20 h
    # (censored at 20 h).
    item(session, "NL", "2025-03-01T00:00", 10)
    item(session, "NL", "2025-03-02T00:00", 30)
    item(session, "NL", "2025-03-03T00:00", 100)
    item(session, "NL", "2025-12-31T12:00", 48)
    item(session, "NL", "2025-05-01T00:00", closed_after=20)
    # NL, held: removed an hour after its notice, but left out of the speed figures.
    held = item(session, "NL", "2025-06-04T00:00", 1)
    event(session, held, EventKind.hold_placed, "2025-06-01T00:00")
    event(session, held, EventKind.hold_released, "2025-06-04T00:00")  # held 3 days
    still = item(session, "NL")
    event(session, still, EventKind.hold_placed, "2025-12-30T00:00")  # 2 days by the end
    # GB: four items, removed after 5, 6, 7 and 8 h.
    for hours in (5, 6, 7, 8):
        item(session, "GB", f"2025-04-0{hours - 4}T00:00", hours)
    # No hosting country found: removed after 2 h; in the alliance-wide figure only.
    item(session, None, "2025-04-10T00:00", 2)
    # Noticed the year before: not in 2025's figures.
    item(session, "NL", "2024-12-31T23:00", 500)
    # Confirmation to law enforcement (NL): 2 h; informed at routing, before the
    # assessment (0 h); never informed (censored at the year's end).
    item(session, "NL", assessed="2025-02-01T00:00", informed_after=2)
    item(session, "NL", assessed="2025-02-02T00:00", informed_after=-5)
    item(session, "NL", assessed="2025-02-03T00:00")


def _values(session: Session) -> dict[tuple[str, str | None], Value]:
    found = removal_values(session, [YEAR], ["NL", "GB", "FR"], AS_OF)
    return {(v.indicator, v.country): v for v in found}


def test_notice_to_removal(session: Session, world: None) -> None:
    v = _values(session)
    nl = {name: v[(f"takedown.{name}", "NL")] for name in
          ("median_hours", "p90_hours", "removed_24h", "removed_72h", "removed_7d")}  # fmt: skip
    # NL clocks: 10, 30, 100 ended; 12 and 20 censored. S: 0.8 after 10 h, 0.4 after 30 h.
    assert {k: x.value for k, x in nl.items()} == {
        "median_hours": 30,
        "p90_hours": 100,
        "removed_24h": pytest.approx(0.2),
        "removed_72h": pytest.approx(0.6),
        "removed_7d": pytest.approx(1.0),
    }
    assert {x.n for x in nl.values()} == {5}  # the held item is not among them
    assert v[("takedown.median_hours", "GB")].value == 6  # 5, 6, 7, 8: S = 0.5 at 6 h
    # Alliance-wide, 10 clocks: 2 5 6 7 8 10 ended, 12 20 censored, 30 100 ended.
    # S: .9 .8 .7 .6 .5 .4, then .2 at 30 h and 0 at 100 h.
    alliance = v[("takedown.median_hours", None)]
    assert (alliance.value, alliance.n, alliance.coverage) == (8, 10, 0.9)
    assert v[("takedown.removed_24h", None)].value == pytest.approx(0.6)
    assert v[("takedown.p90_hours", None)].value == 100
    no_data = v[("takedown.median_hours", "FR")]
    assert (no_data.value, no_data.n, no_data.status) == (None, 0, Status.no_data)


def test_confirmation_to_law_enforcement(session: Session, world: None) -> None:
    v = _values(session)
    # 0 h (informed before the assessment) and 2 h ended, one censored: S 2/3 then 1/3.
    assert v[("takedown.lea_hours", "NL")].value == 2
    assert v[("takedown.lea_1day", "NL")].value == pytest.approx(2 / 3, abs=1e-4)
    assert v[("takedown.lea_hours", "NL")].n == 3
    assert v[("takedown.lea_hours", "GB")].status is Status.no_data


def test_holds_counted_apart(session: Session, world: None) -> None:
    v = _values(session)
    assert v[("takedown.held_items", "NL")].value == 2
    # 3 days ended; 2 days censored at the year's end: S = 1 until 3 days, then 0.
    assert v[("takedown.hold_days", "NL")].value == 3
    gb = v[("takedown.held_items", "GB")]
    assert (gb.value, gb.status) == (0, Status.ok)  # GB had items, none held
    assert v[("takedown.held_items", "FR")].status is Status.no_data


def test_a_period_still_running_is_watched_until_now(session: Session, world: None) -> None:
    """Asked on 1 March 2025, only what was known then: NL's items of 1-3 March are not
    yet noticed; the year has no NL clock ended."""
    found = removal_values(session, [YEAR], ["NL"], datetime(2025, 3, 1, 5, tzinfo=UTC))
    median = next(x for x in found if x.indicator == "takedown.median_hours" and x.country == "NL")
    # One clock (noticed at midnight, removed at 10 h), 5 h watched: censored.
    assert (median.n, median.status, median.value) == (1, Status.not_reached, None)
