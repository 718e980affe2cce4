"""``alliance dsa check`` and ``alliance dsa submit`` against the stand-in Transparency
Database on 127.0.0.1: exit codes, the progress file, resuming, the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from alliance.audit.models import AuditEvent
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.platforms.dsa.schemas import AutomatedDecision, ContentType
from alliance.platforms.dsa.statements import Removal, statement_for
from tests.support.cli import Run

TOKEN = "cli-test-token"
REMOVAL = Removal(
    puid="case-0",
    content_id="upload 0",
    content_type=ContentType.VIDEO,
    uploaded_on=date(2026, 11, 2),
    decided_on=date(2026, 11, 3),
    bank="Example Hotline List",
    category="A",
    automated_decision=AutomatedDecision.PARTIALLY,
)


@pytest.fixture
def database() -> Iterator[StandInTransparencyDatabase]:
    with StandInTransparencyDatabase(TOKEN, stall_seconds=1.5) as stand_in:
        yield stand_in


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    statements = [statement_for(replace(REMOVAL, puid=f"case-{i}")).to_api() for i in range(5)]
    path = tmp_path / "statements.json"
    path.write_text(json.dumps({"statements": statements}))
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    return path, token


def test_check_lists_every_statement_at_fault(run: Run, tmp_path: Path) -> None:
    good = statement_for(REMOVAL).to_api()
    path = tmp_path / "statements.jsonl"
    lines = [
        good,
        {**good, "puid": "case-1", "territorial_scope": ["US"]},
        {**good, "puid": "case-2", "illegal_content_legal_ground": ""},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = run("dsa", "check", str(path))
    assert result.code == 2
    assert "statement 1 puid 'case-1': territorial_scope" in result.err
    assert "statement 2 puid 'case-2': illegal_content_legal_ground" in result.err
    assert "2 of 3 statements would be refused" in result.err
    single = tmp_path / "one.json"
    single.write_text(json.dumps(good))
    assert run("dsa", "check", str(single)).code == 2  # not a list
    single.write_text(json.dumps([good]))
    ok = run("dsa", "check", str(single))
    assert ok.code == 0 and "1 statements valid" in ok.out


def test_submit_stops_resumes_and_audits(
    run: Run,
    database: StandInTransparencyDatabase,
    files: tuple[Path, Path],
    fresh_db_url: str,
) -> None:
    path, token = files
    database.fail(2, "error")
    database.fail(3, "error")
    args = ("dsa", "submit", str(path), "--url", database.url, "--token-file", str(token))
    stopped = run(*args, "--batch-size", "2", "--tries", "2")
    assert stopped.code == 1
    assert "answered 503" in stopped.err and "run again to resume" in stopped.err
    progress = json.loads(path.with_name("statements.json.progress.json").read_text())
    states = {puid: entry["state"] for puid, entry in progress["statements"].items()}
    assert states == {
        "case-0": "accepted",
        "case-1": "accepted",
        "case-2": "pending",
        "case-3": "pending",
        "case-4": "pending",
    }
    assert "answered 503" in progress["stopped"]

    resumed = run(*args, "--batch-size", "2")
    assert resumed.code == 0, resumed.err
    assert "5 accepted, 0 already in the database, 0 refused, 0 pending" in resumed.out
    assert sorted(database.stored) == [f"case-{i}" for i in range(5)]
    assert database.calls[-2:] == [["case-2", "case-3"], ["case-4"]]

    again = run(*args)  # everything settled: nothing is sent
    assert again.code == 0 and len(database.calls) == 5

    engine = create_engine(fresh_db_url)
    with Session(engine) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == progress["id"])
            .order_by(AuditEvent.seq)
        ).all()
    engine.dispose()
    kinds = [e.event_type for e in events]
    assert kinds == [
        "dsa_statements:submitted",
        "dsa_submission:stopped",
        "dsa_statements:submitted",
        "dsa_statements:submitted",
    ]
    assert json.loads(events[0].details)["accepted"] == ["case-0", "case-1"]
    assert events[0].actor == "operator:tester"


def test_submit_lists_what_the_database_refused(
    run: Run, database: StandInTransparencyDatabase, files: tuple[Path, Path]
) -> None:
    path, token = files
    database.refuse("case-3", "decision_facts", "The decision facts field is required.")
    result = run("dsa", "submit", str(path), "--url", database.url, "--token-file", str(token))
    assert result.code == 2
    assert "puid case-3 refused: decision_facts: The decision facts field is required." in (
        result.err
    )
    assert "4 accepted" in result.out and "1 refused" in result.out


def test_submit_sends_nothing_unless_every_statement_is_valid(
    run: Run, database: StandInTransparencyDatabase, files: tuple[Path, Path]
) -> None:
    path, token = files
    statements = json.loads(path.read_text())["statements"]
    statements[4]["puid"] = "case 4"
    path.write_text(json.dumps(statements))
    result = run("dsa", "submit", str(path), "--url", database.url, "--token-file", str(token))
    assert result.code == 2 and "statement 4" in result.err
    assert database.calls == []


def test_submit_needs_a_url_and_a_token(run: Run, files: tuple[Path, Path]) -> None:
    path, token = files
    assert run("dsa", "submit", str(path), "--token-file", str(token)).code == 7
    assert run("dsa", "submit", str(path), "--url", "http://127.0.0.1:9").code == 7


def test_an_organisations_trusted_flagger_status(run: Run) -> None:
    assert run("jurisdictions", "add", "nl", "Netherlands").code == 0
    args = ("orgs", "add", "nl-hotline", "--name", "Hotline NL", "--kind", "hotline")
    assert run(*args, "--country", "NL").code == 0
    awarded = run("orgs", "trusted-flagger", "nl-hotline", "--awarded-by", "ACM (NL)")
    assert awarded.code == 0 and "a trusted flagger, awarded by ACM (NL)" in awarded.out
    withdrawn = run("orgs", "trusted-flagger", "nl-hotline", "--withdrawn")
    assert withdrawn.code == 0 and "not a trusted flagger" in withdrawn.out
    assert run("orgs", "trusted-flagger", "nl-hotline").code == 2
    assert run("orgs", "trusted-flagger", "nobody", "--withdrawn").code == 4
