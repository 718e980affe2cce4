"""The demo's years of history give the progress report something to show: every indicator
has figures and a trend, alliance-wide for the secretariat and in full for a country's own
government, and an outsider sees a country's small cells hidden.

The whole demo world (with the takedown history, which needs a data directory) is built
once per database back end in a transaction rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.banks.models import BankSync, MatchEvent
from alliance.db.base import utcnow
from alliance.demo import hash_lists, world
from alliance.hosting.models import HostingProvider
from alliance.library.models import LibraryEntry
from alliance.reports.building import build_progress_report
from alliance.reports.catalogue import catalogue, get_indicator
from alliance.reports.schemas import Origin, Status, Value
from alliance.takedown.models import ContentItem, EventKind, ItemEvent, Report, ReportSource
from tests import factories

K = 5
#: Indicators a country's own figures may lack in a year and still be sound: victims are
#: identified only in some years by a country's police; a review comes every few years.
_SPARSE = {
    "victims.identified_growth",
    "victims.cumulative_growth",
    "victims.days_to_identification",
    "legal.criteria_change",
    "cooperation.referral_answer_hours",
    "cooperation.alerts_acknowledged",
    "takedown.hold_days",
}


@dataclass
class Demo:
    session: Session

    def principal(self, username: str) -> Principal:
        user = accounts.get_user(self.session, factories.OPERATOR, username)
        return accounts.principal_for_user(user)


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        with factory() as session:
            data_dir = tmp_path_factory.mktemp("demo-progress")
            world.build(session, factories.OPERATOR, world.DEFAULT_SEED, data_dir=data_dir)
            yield Demo(session)
    finally:
        outer.rollback()
        connection.close()


def _years() -> list[int]:
    """Last year and the four before it: the report's five years."""
    last = utcnow().year - 1
    return list(range(last - 4, last + 1))


def _by(values: list[Value], country: str | None) -> dict[tuple[str, str], Value]:
    return {(v.indicator, v.period): v for v in values if v.country == country}


def test_the_alliance_report_has_every_indicator_in_every_year(demo: Demo) -> None:
    years = _years()
    report = build_progress_report(
        demo.session, demo.principal("secretariat"), country=None, year=years[-1], k=K
    )
    cells = _by(report.values, None)
    missing = [
        (i.id, year)
        for i in catalogue().values()
        for year in years
        if cells[(i.id, str(year))].status is Status.no_data
    ]
    assert missing == []
    # Figures, not only "fewer than 5": most cells of the five years are shown (the demo's
    # four hotlines and four police forces are too few to show as sectors of subscribers).
    shown = [cells[(i.id, str(y))] for i in catalogue().values() for y in years]
    hidden = [v for v in shown if v.suppressed]
    assert len(hidden) <= len(shown) // 5, [(v.indicator, v.period) for v in hidden]
    # Trends move: removal got faster over the years, and hash matching started more.
    median = [cells[("takedown.median_hours", str(y))].value for y in years]
    assert median[0] is not None and median[-1] is not None and median[-1] < median[0]


@pytest.mark.parametrize("code", ["NL", "GB"])
def test_a_government_sees_its_own_figures_in_full(demo: Demo, code: str) -> None:
    years = _years()
    mine = build_progress_report(
        demo.session,
        demo.principal(f"{code.lower()}-editor"),
        country=code,
        year=years[-1],
        k=K,
    )
    cells = _by(mine.values, code)
    assert not any(v.suppressed for v in cells.values())
    for indicator in catalogue().values():
        if indicator.id in _SPARSE or indicator.origin is Origin.self_reported:
            continue
        with_figures = [
            y for y in years if cells[(indicator.id, str(y))].status is not Status.no_data
        ]
        assert len(with_figures) >= 3, (indicator.id, with_figures)
    # The secretariat, outside the country, sees the same report with small cells hidden.
    outside = build_progress_report(
        demo.session, demo.principal("secretariat"), country=code, year=years[-1], k=K
    )
    theirs = _by(outside.values, code)
    assert any(v.suppressed for v in theirs.values())
    for key, value in cells.items():
        small = value.n is not None and value.n < K and value.status is not Status.no_data
        if small and get_indicator(value.indicator).origin is not Origin.reviewed:
            assert theirs[key].suppressed and theirs[key].n is None, key


def test_history_is_settled_and_uses_every_source(demo: Demo) -> None:
    """The earlier years' items are all settled (nothing waits since years), some came
    from members' scanners and some were held for an investigation first."""
    session = demo.session
    year = utcnow().year
    old = session.execute(
        select(ContentItem).where(ContentItem.received_at < utcnow().replace(year=year - 1))
    ).scalars()
    assert all(not item.is_open for item in old)
    scanned = session.execute(
        select(Report.received_at).where(Report.source == ReportSource.scanner)
    ).scalars()
    assert {at.year for at in scanned} >= set(_years())
    held = session.execute(
        select(ItemEvent.at).where(ItemEvent.kind == EventKind.hold_released)
    ).scalars()
    assert len({at.year for at in held}) >= 4


def test_hash_lists_have_subscribers_and_matches_over_the_years(demo: Demo) -> None:
    session = demo.session
    syncs = session.execute(select(BankSync)).scalars().all()
    assert syncs and all(s.first_synced_at <= s.synced_at <= utcnow() for s in syncs)
    first_years = {s.first_synced_at.year for s in syncs}
    assert len(first_years) >= 3
    matched = session.execute(select(MatchEvent.matched_at)).scalars().all()
    assert len({at.year for at in matched}) >= 4
    # Hotlines and police fetched from the first of the years; platforms joined later.
    assert min(first_years) <= utcnow().year - hash_lists.YEARS + 1 < max(first_years)


def test_some_providers_take_part_in_the_alliance(demo: Demo) -> None:
    providers = demo.session.execute(select(HostingProvider)).scalars().all()
    members = {p.slug: p.member for p in providers if p.member is not None}
    assert members and all(slug == member for slug, member in members.items())
    assert len(members) < len(providers)


def test_library_entries_are_dated_over_the_years(demo: Demo) -> None:
    published = demo.session.execute(
        select(LibraryEntry.published_at).where(LibraryEntry.published_at.is_not(None))
    ).scalars()
    assert {at.year for at in published if at is not None} >= set(_years())
