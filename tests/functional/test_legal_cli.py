"""``alliance legal``: export, import all or nothing (the bad line named), show, gaps,
publish, on a real database of each back end."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Result, Run

CRIT = [f"icmec2018.crit.{n}" for n in range(1, 6)]


def _ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def _doc(*reviews: dict[str, object]) -> str:
    return json.dumps({"format": "alliance.legal_matrix", "version": 1, "reviews": list(reviews)})


def _review(country: str, day: str, crit4: str = "met", s2: int = 4) -> dict[str, object]:
    return {
        "country": country,
        "reviewed_on": day,
        "reviewed_by": "legal desk",
        "criteria": {c: {"status": crit4 if c.endswith(".4") else "met"} for c in CRIT},
        "scores": {"oosi2019.ind.4.4.1": 3, "oosi2019.ind.4.4.2": s2, "oosi2019.ind.4.4.3": 1},
        "published": True,
    }


def test_import_export_show_gaps(run: Run, tmp_path: Path) -> None:
    _ok(run("countries", "add", "NL", "--joined-on", "2012-12-05"))
    _ok(run("countries", "add", "GB", "--joined-on", "2012-12-05"))
    bad = tmp_path / "bad.json"
    bad.write_text(
        _doc(_review("NL", "2020-01-01"), _review("GB", "2020-01-01", s2=9)), encoding="utf-8"
    )
    result = run("legal", "import", str(bad), "--format", "json")
    assert result.code == 2, result.err
    assert "review 2: " in result.err and "0–4, not 9" in result.err
    assert json.loads(_ok(run("legal", "show", "NL", "--format", "json"))) == []

    good = tmp_path / "good.json"
    good.write_text(
        _doc(
            _review("NL", "2020-01-01", crit4="partly", s2=2),
            _review("NL", "2024-01-01"),
            _review("GB", "2024-01-01", crit4="not_met"),
        ),
        encoding="utf-8",
    )
    assert "3 reviews recorded for 2 countries" in _ok(
        run("legal", "import", str(good), "--format", "json")
    )
    shown = json.loads(_ok(run("legal", "show", "NL", "--format", "json")))
    assert [r["sufficient"] for r in shown] == [True, False]
    (report,) = json.loads(_ok(run("legal", "gaps", "--format", "json")))
    assert (report["reviewed"], report["sufficient"]) == (2, 1)
    assert report["most_often_missing"] == ["icmec2018.crit.4"]
    nl = next(c for c in report["countries"] if c["country"] == "NL")
    assert nl["score_change"] == 2 and nl["criteria_gained"] == ["icmec2018.crit.4"]
    assert "1 of 2 reviewed members sufficient" in _ok(run("legal", "gaps"))

    csv_file = tmp_path / "matrix.csv"
    run("legal", "export", "--format", "csv", "-o", str(csv_file))
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("country,reviewed_on,reviewed_by,icmec2018.crit.1,")
    assert len(lines) == 4
    # One bad row: nothing written, its line named.
    lines[2] = lines[2].replace("2024-01-01", "2024-13-01", 1)
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("legal", "import", str(csv_file), "--format", "csv")
    assert result.code == 2 and "line 3: " in result.err, result.err
    assert len(json.loads(_ok(run("legal", "show", "NL", "--format", "json")))) == 2
    exported = json.loads(_ok(run("legal", "export", "--format", "json")))
    assert len(exported["reviews"]) == 3
