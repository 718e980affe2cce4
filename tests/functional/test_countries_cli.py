"""``alliance frameworks`` (shipped data, no database) and ``alliance countries`` (the
member-country register) on a real database of each back end."""

from __future__ import annotations

import json

from tests.support.cli import Result, Run


def _ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def _one_line_error(result: Result, code: int, words: str) -> None:
    assert result.code == code, (result.out, result.err)
    err = result.err
    assert words in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_help_lists_the_groups(run: Run) -> None:
    out = _ok(run("--help"))
    assert "frameworks" in out and "countries" in out


def test_frameworks_list_and_show(run: Run) -> None:
    listed = json.loads(_ok(run("frameworks", "list", "--format", "json")))
    assert [f["id"] for f in listed] == ["ga2012", "icmec2018", "mnr2015", "mnr2022", "oosi2019"]
    assert {f["id"]: f["items"] for f in listed}["mnr2015"] == 27  # 6 domains, 21 capabilities
    assert "Model National Response" in _ok(run("frameworks", "list"))
    table = _ok(run("frameworks", "show", "ga2012"))
    assert "ga2012.goal.7" in table and "Faster notice and takedown" in table
    (whole,) = json.loads(_ok(run("frameworks", "show", "icmec2018", "--format", "json")))
    assert whole["items"][-1]["requires"] == [f"icmec2018.crit.{n}" for n in range(1, 5)]
    item = _ok(run("frameworks", "show", "mnr2015.cap.12"))
    assert "CSEA hotline" in item and "grae6p6/weprotect" in item
    (as_json,) = json.loads(
        _ok(run("frameworks", "show", "oosi2019.ind.4.4.1", "--format", "json"))
    )
    assert as_json["framework"] == "oosi2019" and as_json["scale"] == {"min": 0, "max": 3}
    _one_line_error(run("frameworks", "show", "mnr2099"), 4, "no framework 'mnr2099'")
    _one_line_error(run("frameworks", "show", "mnr2015.cap.99"), 4, "no framework item")


def _countries(run: Run) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(_ok(run("countries", "list", "--format", "json")))
    return rows


def test_countries_add_list_show_update(run: Run) -> None:
    _ok(run("jurisdictions", "add", "NL", "Netherlands"))
    _ok(run("orgs", "add", "nl-gov", "--name", "Ministry NL", "--kind", "ngo", "--country", "NL"))
    out = _ok(
        run(
            "countries", "add", "nl", "--joined-on", "2012-12-05",
            "--framework", "ga2012", "--framework", "mnr2015", "--contact", "nl-gov",
        )
    )  # fmt: skip
    assert "added member country NL (Netherlands)" in out
    _ok(run("countries", "add", "TR", "--joined-on", "2012-12-05"))
    rows = _countries(run)
    assert [(r["code"], r["name"], r["frameworks"]) for r in rows] == [
        ("NL", "Netherlands", "ga2012 mnr2015"),
        ("TR", "Türkiye", "ga2012"),
    ]
    assert rows[0]["contacts"] == "nl-gov" and rows[0]["demo"] is False
    mnr = json.loads(_ok(run("countries", "list", "--framework", "mnr2015", "--format", "json")))
    assert [r["code"] for r in mnr] == ["NL"]
    assert "Türkiye" in _ok(run("countries", "show", "tr"))
    _ok(run("countries", "update", "TR", "--name", "Turkey", "--framework", "icmec2018"))
    (turkey,) = json.loads(_ok(run("countries", "show", "TR", "--format", "json")))
    assert turkey["name"] == "Turkey" and turkey["framework_ids"] == ["icmec2018"]
    _ok(run("countries", "update", "NL", "--no-contacts"))
    assert _countries(run)[0]["contacts"] == ""
    audit = json.loads(_ok(run("audit", "list", "--format", "json")))
    kinds = [e["event_type"] for e in audit]
    assert kinds.count("member_country:added") == 2
    assert kinds.count("member_country:updated") == 2
    assert "jurisdiction:created" in kinds  # TR was not a jurisdiction yet


def test_countries_bad_input_is_one_clear_line(run: Run) -> None:
    _ok(run("countries", "add", "NL", "--joined-on", "2012-12-05"))
    _one_line_error(
        run("countries", "add", "XK", "--joined-on", "2012-12-05"),
        2,
        "'XK' is not an ISO 3166-1 alpha-2 country code",
    )
    _one_line_error(run("countries", "add", "GB", "--joined-on", "5 Dec 2012"), 2, "joined_on")
    _one_line_error(
        run("countries", "add", "GB", "--joined-on", "2012-12-05", "--framework", "nope"),
        2,
        "unknown framework 'nope'",
    )
    _one_line_error(
        run("countries", "add", "GB", "--joined-on", "2012-12-05", "--contact", "nobody"),
        2,
        "no organisation named 'nobody'",
    )
    _one_line_error(
        run("countries", "add", "NL", "--joined-on", "2012-12-05"),
        5,
        "NL is already a member country",
    )
    _one_line_error(run("countries", "show", "GB"), 4, "GB (United Kingdom) is not a member")
    _one_line_error(run("countries", "update", "GB", "--note", "x"), 4, "not a member country")
    _one_line_error(run("countries", "list", "--framework", "x"), 2, "unknown framework 'x'")
    assert [r["code"] for r in _countries(run)] == ["NL"]
