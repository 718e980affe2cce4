"""The indicator catalogue: read and checked at start-up, every indicator computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliance.errors import InvalidInput, NotFound
from alliance.reports.catalogue import (
    DATA_FILE,
    CatalogueError,
    catalogue,
    check_indicator_ids,
    get_indicator,
    load_catalogue,
)
from alliance.reports.computation import COMPUTED_BY


def test_every_indicator_is_computed_and_nothing_else() -> None:
    computed = [i for produced in COMPUTED_BY.values() for i in produced]
    assert len(computed) == len(set(computed))
    assert set(computed) == set(catalogue())


def test_lookups() -> None:
    indicator = get_indicator("takedown.median_hours")
    assert indicator.goal == "ga2012.goal.7" and indicator.clock is not None
    assert "censored" in indicator.clock.unfinished
    with pytest.raises(NotFound):
        get_indicator("takedown.nothing")
    assert check_indicator_ids([" victims.identified", "victims.identified"]) == [
        "victims.identified"
    ]
    with pytest.raises(InvalidInput) as caught:
        check_indicator_ids(["victims.nothing"], field="indicator")
    assert caught.value.field == "indicator"


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["indicators"][0].update(change)
    path = tmp_path / "indicators.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"goal": "ga2012.target.1"}, "not an operational goal"),
        ({"goal": "ga2012.goal.99"}, "not an operational goal"),
        ({"id": "victims.identified_growth"}, "listed twice"),
        ({"id": "Victims"}, "indicators.0.id"),
        ({"unit": "hours"}, "a time has a clock"),
        ({"target": {"at_least": 1, "source": "x"}}, "only a change or a share"),
    ],
)
def test_bad_catalogue_names_the_indicator(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_write(tmp_path, change))


def test_unreadable_catalogue(tmp_path: Path) -> None:
    bad = tmp_path / "indicators.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not JSON"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "missing.json")
