"""``alliance capabilities show|set|export|distribution`` on a real database of each back
end: a country's own assessment through its government, and the distribution with small
counts hidden (k = 2 here)."""

from __future__ import annotations

import csv
import io
import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from alliance.accounts.permissions import OrgKind
from alliance.db import create_db_engine
from alliance.settings import get_settings
from tests import factories
from tests.support.cli import Result, Run

#: Members reporting against the MNR 2015; SE reports against none.
MNR_COUNTRIES = ("NL", "DE", "BE", "FR")
PHASES = ("phase_1", "phase_2", "phase_3", "phase_4")

#: ``capabilities`` words (split like a shell's) and further arguments, acting for a
#: government organisation.
Act = Callable[..., Result]


@pytest.fixture
def cli_columns() -> int:
    return 250


@pytest.fixture
def run(run: Run, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The shared ``run``, with k = 2, countries reporting against mnr2015 (and SE not),
    and a government organisation for each."""
    monkeypatch.setenv("ALLIANCE_DISCLOSURE_K", "2")
    get_settings.cache_clear()
    for code in MNR_COUNTRIES:
        _ok(run(*shlex.split(f"countries add {code} --joined-on 2015-01-01 --framework mnr2015")))
    _ok(run("countries", "add", "SE", "--joined-on", "2015-01-01"))
    _governments(fresh_db_url)
    return run


def _governments(url: str) -> None:
    """A government organisation for each member (``nl-gov``, ...) and NL's hotline."""
    engine = create_db_engine(url)
    try:
        with sessionmaker(engine).begin() as session:
            for code in (*MNR_COUNTRIES, "SE"):
                factories.organisation(
                    session, OrgKind.government, code, slug=f"{code.lower()}-gov"
                )
            factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hot")
    finally:
        engine.dispose()


def acting(run: Run, organisation: str) -> Act:
    def act(words: str, *more: str) -> Result:
        return run("capabilities", *shlex.split(words), *more, "--for", organisation)

    return act


def _ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def _refused(result: Result, code: int, words: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert words in result.err, result.err


def _phases(run: Run, country: str = "NL", year: int = 2026) -> dict[str, tuple[object, ...]]:
    """The assessed capabilities' (phase, evidence, links) by number."""
    act = acting(run, f"{country.lower()}-gov")
    rows = json.loads(_ok(act(f"show {country} --year {year} --format json")))
    return {r["number"]: (r["phase"], r["evidence"], r["links"]) for r in rows if r["phase"]}


def _set(run: Run, country: str, capability: str, phase: str) -> None:
    act = acting(run, f"{country.lower()}-gov")
    _ok(act(f"set {country} 2026 --capability {capability} --phase {phase}"))


def test_set_show_and_export_for_the_countrys_government(run: Run, tmp_path: Path) -> None:
    nl = acting(run, "nl-gov")
    shown = _ok(nl("show NL --year 2026"))
    assert "0 of 21 capabilities of mnr2015 assessed" in shown and "not assessed" in shown
    links = ("--link", "https://example.org/a", "--link", "https://example.org/b")
    evidence = ("--evidence", "a national hotline")
    done = _ok(nl("set NL 2026 --capability 12 --phase 3", *evidence, *links))
    assert "1 capability changed (12)" in done
    again = _ok(nl("set NL 2026 --capability mnr2015.cap.12 --phase 3", *evidence, *links))
    assert "nothing changed" in again
    assert _phases(run) == {
        "12": (3, "a national hotline", ["https://example.org/a", "https://example.org/b"])
    }
    shown = _ok(nl("show NL --year 2026"))
    assert "1 of 21" in shown and "3 — Phase 3" in shown and "years assessed: 2026" in shown
    rows = list(csv.DictReader(io.StringIO(_ok(nl("show NL --year 2026 --format csv")))))
    assert len(rows) == 21
    assert rows[11]["links"] == "https://example.org/a https://example.org/b"

    _ok(nl("set NL 2026 --capability 12 --clear"))
    assert _phases(run) == {}
    _ok(nl("set NL 2026 --capability 12 --phase 2"))

    target = tmp_path / "nl.csv"
    _ok(nl(f"export NL --year 2026 --format csv -o {target}"))
    (row,) = csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))
    assert (row["country"], row["capability"], row["phase"]) == ("NL", "mnr2015.cap.12", "2")
    exported = json.loads(_ok(nl("export NL --format json")))
    assert [(r["year"], r["number"], r["phase"]) for r in exported] == [(2026, "12", 2)]


def test_a_file_of_rows_all_or_nothing(run: Run, tmp_path: Path) -> None:
    nl = acting(run, "nl-gov")
    _set(run, "NL", "12", "3")
    good = tmp_path / "good.csv"
    good.write_text(
        "capability,phase,evidence,links\n"
        '1,2,"a law\nand a unit",https://example.org/law https://example.org/unit\n'
        "mnr2015.cap.3,4,,\n"
        "12,,,\n",  # an empty phase clears 12
        encoding="utf-8",
    )
    assert "3 capabilities changed" in _ok(nl(f"set NL 2026 --file {good}"))
    before = _phases(run)
    assert before == {
        "1": (2, "a law\nand a unit", ["https://example.org/law", "https://example.org/unit"]),
        "3": (4, "", []),
    }

    header = "capability,phase,evidence,links\n"
    refused = {
        # The first row spans lines 2 and 3: the bad one starts on line 4.
        "phase.csv": (header + '1,1,"two\nlines",\n3,7,,\n', "line 4: phase"),
        "unknown.csv": (header + "1,1,,\n99,2,,\n", "line 3: mnr2015 has no capability '99'"),
        "script.csv": (
            header + "1,1,,javascript:alert(1)\n",
            "line 2: 'javascript:alert(1)' is not a web address",
        ),
        "evidence.csv": (header + "1,,some evidence,\n", "line 2: capability 1"),
        "twice.csv": (
            header + "1,1,,\n3,1,,\nmnr2015.cap.1,2,,\n",
            "line 4: capability 1 is given twice (first on line 2)",
        ),
        "columns.csv": ("capability,evidence\n1,x\n", "line 1: missing column 'phase'"),
        "empty.csv": (header, "the file has no rows"),
        "script.json": (
            '[\n  {"capability": "1", "phase": 1},\n  {"capability": "2",\n   "phase": 2,'
            ' "links": ["javascript:x"]}\n]\n',
            "line 3: 'javascript:x' is not a web address",
        ),
        "broken.json": ('[{"capability": "1", "phase": 1}', "line 1: not JSON"),
        "object.json": ('{"capability": "1", "phase": 1}', "a JSON file is a list of rows"),
        "other.json": (
            '[{"country": "DE", "capability": "1", "phase": 1}]',
            "line 1: the row is 'DE''s, not NL's",
        ),
        "rows.txt": (header + "1,1,,\n", "a .csv or .json file"),
    }
    for name, (body, words) in refused.items():
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        _refused(nl(f"set NL 2026 --file {path}"), 2, words)
    _refused(nl(f"set NL 2026 --file {good} --phase 2"), 2, "go with --capability")
    assert _phases(run) == before  # nothing written by any of them

    # An export is a file that set reads: 2026 starts 2027.
    exported = tmp_path / "nl-2026.json"
    _ok(nl(f"export NL --year 2026 --format json -o {exported}"))
    _ok(nl(f"set NL 2027 --file {exported}"))
    assert _phases(run, year=2027) == before


def test_bad_input_and_other_countries_are_refused(run: Run) -> None:
    nl = acting(run, "nl-gov")
    _set(run, "NL", "12", "3")
    before = _phases(run)
    _refused(nl("set NL 2026 --capability 12 --phase 7"), 2, "phase")
    _refused(nl("set NL 2026 --capability 99 --phase 2"), 2, "mnr2015 has no capability '99'")
    _refused(
        nl("set NL 2026 --capability 12 --phase 2 --link javascript:alert(1)"),
        2,
        "'javascript:alert(1)' is not a web address",
    )
    _refused(nl("set NL 2026 --capability 12 --phase 2 --evidence", "x\x00y"), 2, "evidence")
    _refused(nl("set NL 2026 --capability 12"), 2, "give --phase 1 to 4, or --clear")
    _refused(nl("set NL 2026"), 2, "give either --capability or --file")
    _refused(nl("set NL 1999 --capability 12 --phase 2"), 2, "a year from")
    # The country: not a member; reporting against no MNR version.
    _refused(nl("show PL --year 2026"), 4, "not a member country")
    se = acting(run, "se-gov")
    _refused(se("set SE 2026 --capability 12 --phase 2"), 2, "does not report against a Model")
    _refused(se("show SE --year 2026"), 2, "does not report against a Model National Response")
    # Whom the operator acts for: another country's government, no government, no one.
    de = acting(run, "de-gov")
    _refused(de("set NL 2026 --capability 12 --phase 2"), 3, "only the editors of Netherlands")
    _refused(de("show NL --year 2026"), 3, "for its own government only")
    _refused(de("export NL --format csv"), 3, "for its own government only")
    _refused(acting(run, "nl-hot")("show NL"), 2, "nl-hot is not a government organisation")
    _refused(acting(run, "nobody")("show NL"), 4, "no organisation named 'nobody'")
    assert _phases(run) == before


def test_distribution_hides_small_counts_and_names_no_country(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Capability 1: three countries in phase 3. Capability 3: two in phase 2, two in
    # phase 4. Capability 2: NL alone. Capability 5: one each in phases 1 to 3.
    for code in ("NL", "DE", "BE"):
        _set(run, code, "1", "3")
    for code, phase in (("NL", "2"), ("DE", "2"), ("BE", "4"), ("FR", "4")):
        _set(run, code, "3", phase)
    _set(run, "NL", "2", "1")
    for code, phase in (("NL", "1"), ("DE", "2"), ("BE", "3")):
        _set(run, code, "5", phase)

    out = _ok(run(*shlex.split("capabilities distribution --year 2026 --format json")))
    rows = {r["number"]: r for r in json.loads(out)}
    assert len(rows) == 21 and rows["1"]["capability"] == "mnr2015.cap.1"
    assert [rows["1"][p] for p in ("assessed", *PHASES)] == [3, "<2", "<2", 3, "<2"]
    assert [rows["3"][p] for p in ("assessed", *PHASES)] == [4, "<2", 2, "<2", 2]
    assert [rows["2"][p] for p in ("assessed", *PHASES)] == ["<2"] * 5
    assert [rows["5"][p] for p in ("assessed", *PHASES)] == [3, "<2", "<2", "<2", "<2"]
    assert rows["4"]["assessed"] == "<2"
    for name in (*MNR_COUNTRIES, "Netherlands", "Germany", "Belgium", "France"):
        assert name not in out.replace("mnr2015", "")

    table = _ok(run("capabilities", "distribution", "--year", "2026"))
    assert "countries that assessed any capability: 4" in table and "<2" in table
    text = _ok(run(*shlex.split("capabilities distribution --year 2026 --format csv")))
    assert next(csv.DictReader(io.StringIO(text)))["phase_3"] == "3"
    earlier = _ok(run(*shlex.split("capabilities distribution --year 2025 --format jsonl")))
    assert json.loads(earlier.splitlines()[0])["assessed"] == "<2"
    _refused(
        run(*shlex.split("capabilities distribution --year 2026 --framework ga2012")),
        2,
        "ga2012 is not a Model National Response version",
    )

    # With k = 1 only zeros are hidden; capability 5's one zero (phase 4) could be worked
    # out from the total, so the smallest shown count is hidden with it: "hidden", not
    # "<1", since it is 1.
    monkeypatch.setenv("ALLIANCE_DISCLOSURE_K", "1")
    get_settings.cache_clear()
    out = _ok(run(*shlex.split("capabilities distribution --year 2026 --format json")))
    row = next(r for r in json.loads(out) if r["number"] == "5")
    assert [row[p] for p in ("assessed", *PHASES)] == [3, "hidden", 1, 1, "<1"]
