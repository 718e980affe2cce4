"""``alliance reports|items|holds|metrics|worker`` on a real database of each back end.

DNS never leaves the machine: every reported host is in the test's hosts file, and the
geo database is written by the test (documentation address ranges).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alliance.cli import takedown as takedown_cli
from tests.support.cli import Result, Run
from tests.support.takedown_world import write_network_files

URL = "http://photos.example.test/gallery/a.png"
URL_2 = "http://pics.example.test/b.png"


@pytest.fixture
def cli_columns() -> int:
    return 250


@pytest.fixture
def cli_data_dir(cli_data_dir: Path) -> Path:
    write_network_files(cli_data_dir)  # hosting.mmdb and hosts: found there by default
    return cli_data_dir


def ok(result: Result) -> Result:
    assert result.code == 0, result.err or result.out
    return result


def items(run: Run, *args: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(
        ok(run("items", "list", "--format", "json", *args)).out
    )
    return rows


def members(run: Run) -> None:
    """An NL hotline and police with an analyst and an investigator; a provider."""
    ok(run("jurisdictions", "add", "NL", "Netherlands"))
    for slug, kind in (("nl-hotline", "hotline"), ("nl-police", "law_enforcement")):
        ok(run("orgs", "add", slug, "--name", slug, "--kind", kind, "--country", "NL"))
    ok(run("users", "add", "anna", "--org", "nl-hotline", "--role", "analyst"))
    ok(run("users", "add", "ivan", "--org", "nl-police", "--role", "investigator"))
    ok(
        run(
            "providers",
            "add",
            "nl-host",
            "--name",
            "NL Host",
            "--country",
            "NL",
            "--asn",
            "64500",
            "--abuse-email",
            "abuse@nl-host.example.test",
        )
    )


def test_submit_list_and_show(run: Run) -> None:
    submitted = ok(
        run("reports", "submit", URL, URL_2, "--description", "two pages", "--format", "json")
    )
    receipt = json.loads(submitted.out)[0]
    assert receipt["reference"].startswith("R-")
    assert [i["new"] for i in receipt["items"]] == [True, True]

    again = ok(run("reports", "submit", URL, "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(again.out)))
    assert rows[0]["new"] == "False" and rows[0]["item"] == receipt["items"][0]["item"]

    listed = items(run)
    assert {row["url"] for row in listed} == {URL, URL_2}
    assert {row["stage"] for row in listed} == {"received"}
    assert items(run, "--stage", "removed") == []
    assert len(items(run, "--limit", "1")) == 1

    reference = receipt["items"][0]["item"]
    shown = ok(run("items", "show", reference))
    assert reference in shown.out and "Timeline" in shown.out
    assert "received" in shown.out and "report_joined" in shown.out
    detail = json.loads(ok(run("items", "show", reference, "--format", "json")).out)[0]
    assert detail["report_count"] == 2 and len(detail["reports"]) == 2

    assert run("items", "show", "I-NOSUCH22").code == 4
    assert run("reports", "submit", "not a url").code == 2


def test_import_is_all_or_nothing(run: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps({"urls": [URL]})
        + "\n\n"
        + json.dumps({"urls": [URL_2, URL], "description": "again", "country_hint": "nl"})
        + "\n"
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"urls": ["http://img.example.test/c.png"]})
        + "\n"
        + json.dumps({"urls": []})
        + "\n"
        + '{"urls": ["http://img.example.test/d.png"], "colour": "red"}\n'
    )
    refused = run("reports", "import", str(bad))
    assert refused.code == 2
    assert (
        "line 2" in refused.err and "line 3" in refused.err and "nothing was saved" in refused.err
    )
    assert items(run) == []

    imported = ok(run("reports", "import", str(good)))
    assert "imported 2 reports: 2 new items, 1 joined" in imported.out
    assert {row["url"] for row in items(run)} == {URL, URL_2}


def test_import_a_bad_url_in_a_later_batch_saves_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(takedown_cli, "MAX_REPORTS_PER_BATCH", 2)
    lines = [json.dumps({"urls": [f"http://img.example.test/{n}.png"]}) for n in range(4)]
    lines.append(json.dumps({"urls": ["ftp://img.example.test/x.png"]}))
    file = tmp_path / "reports.jsonl"
    file.write_text("\n".join(lines) + "\n")
    refused = run("reports", "import", str(file))
    assert refused.code == 2, refused.out
    assert "lines 5-5" in refused.err
    assert items(run) == []

    file.write_text("\n".join(lines[:4]) + "\n")
    assert "4 new items" in ok(run("reports", "import", str(file))).out
    assert len(items(run)) == 4


def test_holds_are_placed_by_an_lea_investigator(run: Run) -> None:
    members(run)
    placed = ok(
        run(
            "holds",
            "place",
            "--type",
            "domain",
            "--value",
            "photos.example.test",
            "--reason",
            "operation example",
            "--as",
            "ivan",
            "--days",
            "10",
        )
    )
    assert placed.out.startswith("placed hold H-")
    reference = placed.out.split()[2]

    refused = run(
        "holds", "place", "--type", "url", "--value", URL, "--reason", "mine", "--as", "anna"
    )
    assert refused.code == 3 and "may not" in refused.err
    assert run("holds", "place", "--type", "url", "--value", URL, "--reason", "x y").code == 2

    # The operator sees the hold but not the reason; the agency's investigator sees both.
    seen = json.loads(ok(run("holds", "list", "--format", "json")).out)
    assert [(h["reference"], h["reason"]) for h in seen] == [(reference, None)]
    own = json.loads(ok(run("holds", "list", "--as", "ivan", "--format", "json")).out)
    assert own[0]["reason"] == "operation example" and own[0]["active"] is True

    receipt = json.loads(ok(run("reports", "submit", URL, "--format", "json")).out)[0]
    assert receipt["items"][0]["on_hold_until"] is not None

    assert run("holds", "release", reference, "--as", "anna").code == 3
    assert "released hold" in ok(run("holds", "release", reference, "--as", "ivan")).out
    assert json.loads(ok(run("holds", "list", "--format", "json")).out) == []
    assert run("holds", "release", reference, "--as", "ivan").code == 5
    assert run("holds", "list", "--as", "nobody").code == 4


def test_metrics_takedown(run: Run) -> None:
    result = ok(run("metrics", "takedown", "--format", "csv"))
    header = result.out.splitlines()[0].split(",")
    assert header[:3] == ["group", "items", "removed"]
    assert "received_to_removed_median_hours" in header and "removed_within_3_days" in header
    assert len(result.out.splitlines()) == 1  # nothing assessed illegal yet

    report = json.loads(
        ok(
            run(
                "metrics",
                "takedown",
                "--group-by",
                "month",
                "--since",
                "2026-01-01",
                "--until",
                "2026-01-31",
                "--format",
                "json",
            )
        ).out
    )
    assert report["group_by"] == "month" and report["since"].startswith("2026-01-01")
    assert report["until"].startswith("2026-02-01")  # the --until day is included
    assert report["overall"]["items"] == 0
    assert "Takedown times by country" in ok(run("metrics", "takedown")).out
    assert run("metrics", "takedown", "--group-by", "hotline").code == 2
    assert run("metrics", "takedown", "--since", "01/02/2026").code == 2


def test_worker_resolves_and_routes(run: Run) -> None:
    members(run)
    receipt = json.loads(ok(run("reports", "submit", URL, "--format", "json")).out)[0]
    reference = receipt["items"][0]["item"]

    worked = ok(run("worker", "--until-idle", "--name", "cli-test"))
    assert "resolve" in worked.out and "NL" in worked.out
    assert "1 action(s) performed" in worked.out

    [row] = items(run)
    assert row["stage"] == "awaiting_assessment"
    assert row["country"] == "NL" and row["provider"] == "NL Host"
    detail = json.loads(ok(run("items", "show", reference, "--format", "json")).out)[0]
    assert detail["assigned_to"] == "nl-hotline" and detail["lea"] == "nl-police"
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds[:3] == ["received", "routed", "lea_informed"]

    idle = ok(run("worker", "--once"))
    assert "0 action(s) performed" in idle.out


def test_worker_stops_cleanly_on_sigterm(run: Run) -> None:
    """A polling worker (its own process) finishes its round and exits 0 on SIGTERM."""
    ok(run("reports", "submit", URL))
    worker = subprocess.Popen(
        [sys.executable, "-m", "alliance", "worker", "--poll", "0.2", "--name", "sigterm-test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and items(run)[0]["stage"] == "received":
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "resolve" in out and "worker stopped" in out
    assert items(run)[0]["stage"] == "awaiting_assessment"  # routed to nobody: no members
