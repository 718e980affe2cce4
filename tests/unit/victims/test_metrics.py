"""The identified-victims KPI: per year, per country, growth against +10 %, and its chart."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from alliance.errors import InvalidInput, PermissionDenied
from alliance.victims import identification, metrics
from alliance.victims.schemas import KpiYear, SafeguardIn, VictimIn, VictimMetrics
from tests.support.victims_world import VictimsWorld, build_world

THIS_YEAR = datetime.now(UTC).year
START = THIS_YEAR - 4


@pytest.fixture
def world(session: Session) -> VictimsWorld:
    return build_world(session)


def build_history(world: VictimsWorld) -> dict[str, str]:
    """NL identifies 10, 11, 0, 4, 4 victims in the five years up to this one (one of the
    last year's for DE); GB identifies 1 in the last year. Returns what must stay secret."""
    first_seen = datetime(START, 1, 1, tzinfo=UTC)
    nl = world.series(world.nl, "Amber Fox", 2, first_seen_at=first_seen)
    gb = world.series(world.gb, "Grey Owl", 1, first_seen_at=first_seen)
    secrets = {"nl-series": nl.name, "nl-code": nl.code, "gb-code": gb.code}
    plan = {START: 10, START + 1: 11, START + 2: 0, START + 3: 4, START + 4: 3}
    for year, count in plan.items():
        for n in range(count):
            # Past years: 1, 3, 5 ... January; this year on 1 January, never in the future.
            day = 1 if year == THIS_YEAR else 1 + n * 2
            victim = world.identified_victim(world.nl, nl.code, date(year, 1, day))
            secrets[f"victim-{year}-{n}"] = victim.reference
    de = world.identified_victim(world.nl, nl.code, date(THIS_YEAR, 1, 1), country="DE")
    secrets["de-victim"] = de.reference
    gb_victim = world.identified_victim(world.gb, gb.code, date(THIS_YEAR, 1, 1))
    identification.safeguard_victim(
        world.session,
        world.gb,
        gb_victim.reference,
        SafeguardIn(safeguarded_on=date(THIS_YEAR, 1, 1)),
    )
    # An unidentified victim counts nowhere.
    identification.add_victim(world.session, world.nl, nl.code, VictimIn())
    secrets["nl-police"] = world.orgs["nl-police"].name
    secrets["gb-police"] = world.orgs["gb-police"].name
    return secrets


def row(rows: list[KpiYear], year: int, country: str | None = None) -> KpiYear:
    [found] = [r for r in rows if r.year == year and r.country == country]
    return found


def test_identified_victims_per_year_with_growth_against_the_target(
    session: Session, world: VictimsWorld
) -> None:
    build_history(world)
    report = metrics.victim_metrics(session, world.nl)

    assert report.target_growth == metrics.TARGET_GROWTH == 0.10
    assert [r.year for r in report.years] == list(range(START, THIS_YEAR + 1))
    assert [r.identified for r in report.years] == [10, 11, 0, 4, 5]
    assert [r.cumulative for r in report.years] == [10, 21, 21, 25, 30]
    growths = [r.growth for r in report.years]
    assert growths == [None, 0.1, -1.0, None, 0.25]
    # 11 after 10 is exactly +10 %: met (no floating-point near miss).
    assert [r.target_met for r in report.years] == [None, True, False, None, True]
    first = row(report.years, START)
    # Identified on 1, 3, 5 ... 19 January of the year the series was first seen.
    assert first.median_days_to_identification == 9.0
    assert row(report.years, START + 2).median_days_to_identification is None


def test_the_same_rows_per_identifying_country(session: Session, world: VictimsWorld) -> None:
    build_history(world)
    report = metrics.victim_metrics(session, world.gb)

    assert sorted({str(r.country) for r in report.by_country}) == ["DE", "GB", "NL"]
    for country in ("DE", "GB", "NL"):
        years = [r.year for r in report.by_country if r.country == country]
        assert years == list(range(START, THIS_YEAR + 1))  # no gaps, the alliance's range
    nl = row(report.by_country, THIS_YEAR, "NL")
    assert (nl.identified, nl.cumulative, nl.growth, nl.target_met) == (3, 28, -0.25, False)
    gb = row(report.by_country, THIS_YEAR, "GB")
    assert (gb.identified, gb.cumulative, gb.growth) == (1, 1, None)  # safeguarded counts
    assert row(report.by_country, THIS_YEAR - 1, "GB").identified == 0

    only_de = metrics.victim_metrics(session, world.nl, country="de")
    assert {r.country for r in only_de.by_country} == {"DE"}
    assert only_de.years == report.years  # the alliance-wide rows stay as the reference
    assert metrics.victim_metrics(session, world.nl, country="FR").by_country == []


def test_years_keeps_the_last_ones_but_counts_the_earlier(
    session: Session, world: VictimsWorld
) -> None:
    build_history(world)
    report = metrics.victim_metrics(session, world.nl, years=2)

    assert [r.year for r in report.years] == [THIS_YEAR - 1, THIS_YEAR]
    assert report.years[0].cumulative == 25 and report.years[0].growth is None
    assert {r.year for r in report.by_country} == {THIS_YEAR - 1, THIS_YEAR}
    later = metrics.victim_metrics(session, world.nl, today=date(THIS_YEAR + 2, 1, 1))
    assert later.years[-1].year == THIS_YEAR + 2 and later.years[-1].identified == 0


def test_the_secretariat_sees_counts_and_never_a_name(
    session: Session, world: VictimsWorld
) -> None:
    secrets = build_history(world)
    report = metrics.victim_metrics(session, world.secretariat)

    shown = [
        json.dumps(report.model_dump(mode="json")),
        metrics.metrics_csv(report),
        metrics.chart_svg(report),
        metrics.chart_svg(report, country="NL"),
    ]
    for text in shown:
        for secret in secrets.values():
            assert secret not in text
    assert sum(r.identified for r in report.years) == 30


def test_bad_requests_are_refused(session: Session, world: VictimsWorld) -> None:
    with pytest.raises(PermissionDenied):
        metrics.victim_metrics(session, world.hotline)
    with pytest.raises(InvalidInput, match="country"):
        metrics.victim_metrics(session, world.nl, country="Netherlands")
    with pytest.raises(InvalidInput, match="years"):
        metrics.victim_metrics(session, world.nl, years=0)


def test_no_identifications_yet(session: Session, world: VictimsWorld) -> None:
    world.series(world.nl, "Amber Fox", 1)
    report = metrics.victim_metrics(session, world.secretariat)

    assert report == VictimMetrics(target_growth=0.1, years=[], by_country=[])
    assert metrics.metrics_csv(report).splitlines() == [",".join(metrics.CSV_COLUMNS)]
    svg = metrics.chart_svg(report)
    assert svg.startswith("<svg") and "No victims identified yet." in svg


def test_csv_has_the_alliance_rows_then_the_countries(
    session: Session, world: VictimsWorld
) -> None:
    build_history(world)
    text = metrics.metrics_csv(metrics.victim_metrics(session, world.nl))

    lines = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == (
        "year,country,identified,cumulative,growth,target_met,median_days_to_identification"
    )
    assert lines[0] == {
        "year": str(START),
        "country": "",
        "identified": "10",
        "cumulative": "10",
        "growth": "",
        "target_met": "",
        "median_days_to_identification": "9.0",
    }
    assert (lines[1]["growth"], lines[1]["target_met"]) == ("0.1", "true")
    assert [line["country"] for line in lines[5:]] == ["DE"] * 5 + ["GB"] * 5 + ["NL"] * 5


def test_the_chart_is_an_accessible_svg_with_the_target_line(
    session: Session, world: VictimsWorld
) -> None:
    build_history(world)
    svg = metrics.chart_svg(metrics.victim_metrics(session, world.nl))

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "<title" in svg and "<desc>" in svg
    assert "+10%" in svg and "<script" not in svg and "href" not in svg
    for year in range(START, THIS_YEAR + 1):
        assert f">{year}</text>" in svg  # every year labelled
    assert f"{START + 1} target: 11.0" in svg  # 10 the year before, +10 %
    assert f"{START + 3} target" not in svg  # no target after a year of none
    # The target line breaks at the empty year: one line, then a lone marker (the legend
    # draws a dash too).
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 3
    nl = metrics.chart_svg(metrics.victim_metrics(session, world.nl), country="nl")
    assert "in NL" in nl
