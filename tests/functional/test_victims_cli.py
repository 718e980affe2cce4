"""``alliance seizures|series|victims|referrals|media|metrics victims`` on a real database
of each back end, as an operator acting for an agency (``--agency``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import factories
from tests.support.cli import Result, Run


def digest(kind: str, text: str) -> str:
    return hashlib.new(kind, text.encode()).hexdigest()


@pytest.fixture
def run(run: Run) -> Run:
    """Two countries, and their police and a hotline."""
    ok(run("jurisdictions", "add", "NL", "Netherlands"))
    ok(run("jurisdictions", "add", "GB", "United Kingdom"))
    for slug, kind, country in (
        ("nl-police", "law_enforcement", "NL"),
        ("gb-police", "law_enforcement", "GB"),
        ("nl-hotline", "hotline", "NL"),
    ):
        ok(run("orgs", "add", slug, "--name", slug, "--kind", kind, "--country", country))
    return run


def ok(result: Result) -> Result:
    assert result.code == 0, result.err or result.out
    return result


def seizure_file(path: Path, *items: Mapping[str, object]) -> Path:
    path.write_text(
        "".join(json.dumps({"path": f"f{n}.png", **i}) + "\n" for n, i in enumerate(items))
    )
    return path


def as_json(result: Result) -> Any:
    return json.loads(ok(result).out)


def found(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in ``text``, which must be there."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return match.group(1)


def gb_series(run: Run, tmp_path: Path) -> str:
    """A GB series of three files (MD5 and PDQ), from a GB seizure."""
    file = seizure_file(
        tmp_path / "gb.jsonl",
        *({"md5": digest("md5", f"gb-{n}"), "pdq": factories.pdq_hex(n)} for n in range(3)),
    )
    report = as_json(
        run("seizures", "triage", str(file), "--agency", "gb-police", "--format", "json")
    )
    assert isinstance(report, dict) and report["new"] == 3
    created = ok(
        run(
            "series",
            "create",
            "--agency",
            "gb-police",
            "--name",
            "Blue Heron",
            "--from-seizure",
            report["reference"],
        )
    )
    match = re.search(r"created series (S-\w+)", created.out)
    assert match, created.out
    return match.group(1)


def test_triage_prints_totals_and_series_and_pipes_lines(run: Run, tmp_path: Path) -> None:
    gb_code = gb_series(run, tmp_path)
    nl = seizure_file(
        tmp_path / "nl.jsonl",
        {"md5": digest("md5", "gb-0")},
        {"pdq": factories.flip_bits(factories.pdq_hex(1), 10)},
        {"md5": digest("md5", "nl-1"), "pdq": factories.pdq_hex(201)},
        {"md5": digest("md5", "nl-2"), "pdq": factories.pdq_hex(202)},
    )

    # For people: the totals, then the series touched.
    table = ok(
        run(
            "seizures",
            "triage",
            str(nl),
            "--agency",
            "nl-police",
            "--case",
            "NL-7",
            "--share-note",
            "desk 3",
        )
    )
    for text in ("items", "known", "pre-categorised", "near duplicates", "new", "Baseline"):
        assert text in table.out
    assert "Series touched" in table.out, table.out
    assert gb_code in table.out and "Blue Heron" in table.out

    # For a pipe: one JSON line per file on stdout, the totals on stderr.
    piped = ok(run("seizures", "triage", str(nl), "--agency", "nl-police", "--format", "jsonl"))
    lines = [json.loads(line) for line in piped.out.splitlines()]
    assert [(x["line"], x["verdict"]) for x in lines] == [
        (1, "known"),
        (2, "near"),
        (3, "new"),
        (4, "new"),
    ]
    assert lines[1]["series"] == gb_code and lines[1]["distance"] == 10
    assert "items" in piped.err and "Series touched" in piped.err
    # The same file a second time: recognised, on the totals' side.
    assert "already triaged on" in piped.err and "It reads as it did then" in piped.err

    seizures = as_json(run("seizures", "list", "--agency", "nl-police", "--format", "json"))
    assert isinstance(seizures, list) and len(seizures) == 2
    reference = seizures[0]["reference"]
    shown = ok(run("seizures", "show", reference, "--agency", "nl-police", "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(shown.out)))
    assert [r["verdict"] for r in rows] == ["known", "near", "new", "new"]
    assert rows[0]["md5"] == digest("md5", "gb-0")

    # GB sees nothing of NL's seizure; NL none of GB's series.
    assert run("seizures", "show", reference, "--agency", "gb-police").code == 4
    refused = run("series", "show", gb_code, "--agency", "nl-police")
    assert refused.code == 4 and gb_code in refused.err


def test_series_victim_identified_and_the_kpi(run: Run, tmp_path: Path) -> None:
    nl = seizure_file(
        tmp_path / "nl.jsonl",
        *({"md5": digest("md5", f"nl-{n}"), "pdq": factories.pdq_hex(300 + n)} for n in range(3)),
    )
    report = as_json(
        run("seizures", "triage", str(nl), "--agency", "nl-police", "--format", "json")
    )
    assert isinstance(report, dict)
    created = ok(
        run(
            "series",
            "create",
            "--agency",
            "nl-police",
            "--name",
            "Red Kite",
            "--country",
            "NL",
            "--country",
            "be",
            "--notes",
            "room with blue tiles",
            "--from-seizure",
            report["reference"],
            "--line",
            "1",
            "--line",
            "2",
        )
    )
    code = found(r"created series (S-\w+)", created.out)
    assert "2 media records" in created.out

    detail = as_json(run("series", "show", code, "--agency", "nl-police", "--format", "json"))
    assert isinstance(detail, list)
    assert detail[0]["countries"] == ["BE", "NL"] and detail[0]["media"] == 2
    table = ok(run("series", "show", code, "--agency", "nl-police"))
    assert "Timeline" in table.out and "media_linked" in table.out
    linked = ok(
        run("series", "link", code, "--agency", "nl-police", "--seizure", report["reference"])
    )
    assert "linked 1 items" in linked.out
    ok(run("series", "update", code, "--agency", "nl-police", "--status", "offender_identified"))
    listed = as_json(run("series", "list", "--agency", "nl-police", "--format", "json"))
    assert [(s["code"], s["status"], s["media"]) for s in listed] == [
        (code, "offender_identified", 3)
    ]

    added = ok(run("victims", "add", code, "--agency", "nl-police", "--age-group", "child"))
    victim = found(r"victim (V-\w+)", added.out)
    ok(run("victims", "identify", victim, "--agency", "nl-police", "--country", "NL"))
    twice = run("victims", "identify", victim, "--agency", "nl-police")
    assert twice.code == 5 and "already identified" in twice.err
    ok(run("victims", "safeguard", victim, "--agency", "nl-police"))
    victims = as_json(run("victims", "list", code, "--agency", "nl-police", "--format", "json"))
    assert [(v["reference"], v["status"]) for v in victims] == [(victim, "safeguarded")]
    assert victim in ok(run("victims", "show", victim, "--agency", "nl-police")).out
    assert run("victims", "show", victim, "--agency", "gb-police").code == 4
    bad_age = run("victims", "add", code, "--agency", "nl-police", "--age-group", "elderly")
    assert bad_age.code == 2

    year = str(datetime.now(UTC).year)
    as_csv = ok(run("metrics", "victims", "--format", "csv"))
    assert year in as_csv.out
    kpi = as_json(run("metrics", "victims", "--format", "json"))
    assert isinstance(kpi, dict)
    assert [y["identified"] for y in kpi["years"] if y["year"] == int(year)] == [1]
    assert "Identified victims" in ok(run("metrics", "victims", "--country", "NL")).out


def test_bad_input_is_refused_with_the_usual_exit_codes(run: Run, tmp_path: Path) -> None:
    good = seizure_file(tmp_path / "good.jsonl", {"md5": digest("md5", "x")})
    refused = run("seizures", "triage", str(good), "--agency", "nl-hotline")
    assert refused.code == 3 and "law-enforcement" in refused.err
    assert run("seizures", "triage", str(good), "--agency", "no-such-org").code == 4

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"md5": digest("md5", "y")}) + '\n{"md5": "nope"}\n')
    malformed = run("seizures", "triage", str(bad), "--agency", "nl-police")
    assert malformed.code == 2 and "line 2" in malformed.err
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text(f"name,md5\na.jpg,{digest('md5', 'z')}\nb.jpg,12\n")
    malformed = run("seizures", "triage", str(bad_csv), "--agency", "nl-police")
    assert malformed.code == 2 and "line 3" in malformed.err
    as_vics = run(
        "seizures", "triage", str(good), "--agency", "nl-police", "--input-format", "vics"
    )
    assert as_vics.code == 2
    assert as_json(run("seizures", "list", "--agency", "nl-police", "--format", "json")) == []

    # Conflicting merges.
    codes = []
    for name in ("Amber Fox", "Grey Owl", "Green Finch"):
        created = ok(run("series", "create", "--agency", "nl-police", "--name", name))
        codes.append(found(r"created series (S-\w+)", created.out))
    merged = ok(run("series", "merge", codes[0], "--agency", "nl-police", "--into", codes[1]))
    assert f"into {codes[1]}" in merged.out
    again = run("series", "merge", codes[0], "--agency", "nl-police", "--into", codes[2])
    assert again.code == 5 and "merged into" in again.err
    assert run("series", "merge", codes[1], "--agency", "nl-police", "--into", codes[1]).code == 5
    taken = run("series", "create", "--agency", "gb-police", "--name", "grey owl")
    assert taken.code == 5
    invite = run("series", "invite", codes[1], "nl-hotline", "--agency", "nl-police")
    assert invite.code == 2


def test_referrals_and_the_exchange(run: Run, tmp_path: Path) -> None:
    code = gb_series(run, tmp_path)
    sent = ok(
        run(
            "referrals",
            "send",
            code,
            "--agency",
            "gb-police",
            "--country",
            "NL",
            "--indicator",
            "Dutch packaging",
            "--indicator",
            "power socket type F",
            "--note",
            "see the second image",
        )
    )
    reference = found(r"referral (RF-\w+)", sent.out)
    incoming = as_json(
        run("referrals", "list", "--agency", "nl-police", "--incoming", "--format", "json")
    )
    assert [r["reference"] for r in incoming] == [reference]
    assert (
        as_json(run("referrals", "list", "--agency", "nl-police", "--outgoing", "--format", "json"))
        == []
    )
    assert "Dutch packaging" in ok(run("referrals", "show", reference, "--agency", "nl-police")).out
    decided = ok(
        run(
            "referrals",
            "decide",
            reference,
            "--agency",
            "nl-police",
            "--accept",
            "--reason",
            "ours",
        )
    )
    assert "accepted" in decided.out
    again = run("referrals", "decide", reference, "--agency", "nl-police", "--decline")
    assert again.code == 5
    # Accepted: NL now works on the series.
    ok(run("series", "show", code, "--agency", "nl-police"))

    out = tmp_path / "series.csv"
    ok(
        run(
            "media",
            "export",
            "--series",
            code,
            "--format",
            "icse",
            "-o",
            str(out),
            "--agency",
            "gb-police",
        )
    )
    rows = list(csv.reader(io.StringIO(out.read_text()), delimiter=";"))
    assert rows[0][0] == "MD5" and len(rows) == 4
    vics = as_json(run("media", "export", "--format", "vics", "--agency", "gb-police"))
    assert isinstance(vics, dict) and len(vics["value"]) == 3

    icse = tmp_path / "import.csv"
    icse.write_text(
        "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;"
        "Series name;Number of submissions;File Available;Media Type;Baseline\n"
        f"{digest('md5', 'imported')};;;IMG-9;true;false;false;;1;false;image;true\n"
    )
    imported = ok(run("media", "import", str(icse), "--format", "icse", "--agency", "nl-police"))
    assert "1 created" in imported.out
    known = seizure_file(tmp_path / "known.jsonl", {"md5": digest("md5", "imported")})
    report = as_json(
        run("seizures", "triage", str(known), "--agency", "gb-police", "--format", "json")
    )
    assert isinstance(report, dict) and (report["known"], report["baseline"]) == (1, 1)
    broken = tmp_path / "broken.csv"
    broken.write_text(icse.read_text() + "zz;;;;;;;;;;image;\n")
    assert (
        run("media", "import", str(broken), "--format", "icse", "--agency", "nl-police").code == 2
    )
