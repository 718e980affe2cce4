"""Goal 1 on a small world whose values were worked out by hand: both readings of +10 %
a year (exactly 10 % meets it), growth from nothing (undefined), a country that never
identified anyone (no data, not 0), and the series figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.reports.identification import identification_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.takedown.models import AgeGroup
from alliance.victims.models import Series, SeriesStatus, Victim, VictimStatus
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def series(
    session: Session, owner: Organisation, first_seen: str, merged_into: Series | None = None
) -> Series:
    code = references.new("S")
    made = Series(
        code=code,
        name=code,
        name_key=code.lower(),
        owner_organisation_id=owner.id,
        status=SeriesStatus.active,
        first_seen_at=datetime.fromisoformat(first_seen).replace(tzinfo=UTC),
        countries=[],
        created_by="test",
        merged_into_id=merged_into.id if merged_into else None,
    )
    session.add(made)
    session.flush()
    return made


def victims(session: Session, of: Series, count: int, on: str | None, country: str | None) -> None:
    for _ in range(count):
        session.add(
            Victim(
                reference=references.new("V"),
                series_id=of.id,
                age_group=AgeGroup.pubescent,
                status=VictimStatus.identified if on else VictimStatus.unidentified,
                identified_on=date.fromisoformat(on) if on else None,
                identified_country=country if on else None,
                created_by="test",
            )
        )
    session.flush()


@pytest.fixture
def world(session: Session) -> None:
    nl = factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
    gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="gb-police")
    de = factories.organisation(session, OrgKind.law_enforcement, "DE", slug="de-police")
    s1 = series(session, nl, "2022-06-01T00:00")
    s2 = series(session, nl, "2025-01-01T00:00")
    s3 = series(session, nl, "2024-12-02T00:00")
    s4 = series(session, nl, "2025-06-01T00:00")  # nobody identified yet
    series(session, nl, "2023-01-01T00:00", merged_into=s1)  # merged away: not counted
    s6 = series(session, gb, "2024-01-01T00:00")
    s7 = series(session, de, "2025-03-01T00:00")
    # NL: 10 in 2023, 10 in 2024, 11 in 2025 (+10 % exactly).
    victims(session, s1, 10, "2023-05-01", "NL")
    victims(session, s1, 10, "2024-05-01", "NL")
    victims(session, s1, 9, "2025-05-01", "NL")
    victims(session, s2, 1, "2025-01-11", "NL")  # 10 days after s2 was first seen
    victims(session, s3, 1, "2025-01-01", "NL")  # 30 days after s3
    victims(session, s4, 1, None, None)  # not identified
    # GB: 4 in 2024, none in 2025. DE: 3 in 2025, none before.
    victims(session, s6, 4, "2024-02-01", "GB")
    victims(session, s7, 3, "2025-03-11", "DE")  # 10 days after s7
    # Identified in 2025 without a country recorded: alliance-wide only.
    victims(session, s1, 1, "2025-07-01", None)


def _values(session: Session) -> dict[tuple[str, str | None], Value]:
    found = identification_values(session, [YEAR], ["NL", "GB", "DE", "FR"], AS_OF)
    return {(v.indicator, v.country): v for v in found}


def test_identified_and_both_growths(session: Session, world: None) -> None:
    v = _values(session)

    def read(indicator: str, country: str | None) -> tuple[float | None, bool | None]:
        value = v[(f"victims.{indicator}", country)]
        return value.value, value.meets_target

    assert read("identified", "NL") == (11, None)
    assert read("identified_growth", "NL") == (0.1, True)  # 11 / 10 - 1
    assert read("cumulative_growth", "NL") == (0.55, True)  # 31 / 20 - 1
    assert read("identified", "GB") == (0, None)  # identified before: a real 0
    assert read("identified_growth", "GB") == (-1, False)
    assert read("cumulative_growth", "GB") == (0, False)  # 4 / 4 - 1
    assert read("identified", "DE") == (3, None)
    for indicator in ("identified_growth", "cumulative_growth"):
        de = v[(f"victims.{indicator}", "DE")]
        assert (de.value, de.status, de.meets_target) == (None, Status.undefined, None)
    fr = v[("victims.identified", "FR")]
    assert (fr.value, fr.n, fr.status) == (None, 0, Status.no_data)
    # Alliance-wide: 15 in 2025 (one without a country), 14 in 2024, 24 before 2025.
    alliance = v[("victims.identified", None)]
    assert alliance.value == 15 and alliance.coverage == pytest.approx(14 / 15)
    assert read("identified_growth", None) == (round(15 / 14 - 1, 4), False)
    assert read("cumulative_growth", None) == (round(39 / 24 - 1, 4), True)


def test_series(session: Session, world: None) -> None:
    v = _values(session)
    # NL owns s1-s4 (the merged one aside): s1, s2, s3 have an identified victim.
    nl = v[("victims.series_with_identified", "NL")]
    assert (nl.value, nl.n) == (0.75, 4)
    # First identified in 2025: s2 after 10 days, s3 after 30 (NL); s7 after 10 (DE).
    days = v[("victims.days_to_identification", "NL")]
    assert (days.value, days.n) == (20, 2)
    assert v[("victims.days_to_identification", "DE")].value == 10
    assert v[("victims.days_to_identification", "GB")].status is Status.no_data
    assert v[("victims.days_to_identification", None)].value == 10  # 10, 10, 30
    alliance = v[("victims.series_with_identified", None)]
    assert (alliance.value, alliance.n) == (round(5 / 6, 4), 6)
    assert v[("victims.series_with_identified", "FR")].status is Status.no_data
