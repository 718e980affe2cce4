"""The ``alliance`` command line on a real database of each back end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from alliance.db import create_db_engine
from alliance.settings import get_settings
from alliance.signing import Signer
from tests.support.audit_forgery import cut_tail, forget_anchors, rehash_from, wipe
from tests.support.cli import Run


@pytest.fixture
def cli_migrate() -> bool:
    return False  # these tests run `db upgrade` themselves


def test_help_lists_every_group(run: Run) -> None:
    result = run("--help")
    assert result.code == 0
    for group in (
        "db",
        "orgs",
        "users",
        "keys",
        "audit",
        "jurisdictions",
        "serve",
        "demo",
        "settings",
    ):
        assert group in result.out


def test_commands_need_a_migrated_database(run: Run) -> None:
    result = run("orgs", "list")
    assert result.code == 7
    assert "alliance db upgrade" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_db_upgrade_and_check(run: Run) -> None:
    assert run("db", "upgrade").code == 0
    check = run("db", "check")
    assert check.code == 0 and "agree" in check.out
    database, head = run("db", "current").out.split()[1::2]
    assert database == head


def test_onboarding_flow(run: Run) -> None:
    run("db", "upgrade")
    assert run("jurisdictions", "add", "nl", "Netherlands").code == 0
    assert (
        run(
            "orgs",
            "add",
            "nl-hotline",
            "--name",
            "Hotline NL",
            "--kind",
            "hotline",
            "--country",
            "NL",
        ).code
        == 0
    )
    orgs = json.loads(run("orgs", "list", "--format", "json").out)
    assert orgs == [
        {
            "slug": "nl-hotline",
            "name": "Hotline NL",
            "kind": "hotline",
            "country": "NL",
            "active": True,
        }
    ]

    added = run("users", "add", "anna", "--org", "nl-hotline", "--role", "analyst")
    assert added.code == 0 and "password (shown once)" in added.out
    users = json.loads(run("users", "list", "--format", "json").out)
    assert users[0]["username"] == "anna" and users[0]["active"] is True
    reset = run("users", "reset-password", "anna")
    assert reset.code == 0 and "password (shown once)" in reset.out
    assert run("users", "disable", "anna").code == 0
    assert run("users", "list", "--format", "jsonl").out.count('"active": false') == 1

    created = run(
        "keys",
        "create",
        "--org",
        "nl-hotline",
        "--name",
        "scanner",
        "--role",
        "viewer",
        "--days",
        "10",
    )
    assert created.code == 0
    token = created.out.split("key (shown once): ")[1].split()[0]
    keys = json.loads(run("keys", "list", "--format", "json").out)
    assert keys[0]["status"] == "active" and token not in json.dumps(keys)
    assert run("keys", "revoke", keys[0]["prefix"]).code == 0
    assert json.loads(run("keys", "list", "--format", "json").out)[0]["status"] == "revoked"

    csv_out = run("orgs", "list", "--format", "csv").out.splitlines()
    assert csv_out[0] == "slug,name,kind,country,active"

    events = json.loads(run("audit", "list", "--format", "json", "--limit", "100").out)
    types = {e["event_type"] for e in events}
    assert {
        "jurisdiction:created",
        "org:created",
        "user:created",
        "user:disabled",
        "api_key:created",
        "api_key:revoked",
    } <= types
    assert all(e["actor"] == "operator:tester" for e in events)
    only_users = json.loads(run("audit", "list", "--format", "json", "--type", "user:").out)
    assert {e["event_type"] for e in only_users} == {
        "user:created",
        "user:disabled",
        "user:password_changed",
    }
    by_subject = json.loads(
        run("audit", "list", "--format", "json", "--subject", "organisation").out
    )
    assert [e["event_type"] for e in by_subject] == ["org:created"]
    assert json.loads(run("audit", "list", "--format", "json", "--since", "2999-01-01").out) == []


def test_bad_input_gets_one_line_and_an_exit_code(run: Run) -> None:
    run("db", "upgrade")
    unknown = run("orgs", "add", "zz-x", "--name", "x", "--kind", "hotline", "--country", "ZZ")
    assert unknown.code == 2 and "unknown jurisdiction ZZ" in unknown.err
    assert len(unknown.err.strip().splitlines()) == 1
    bad_slug = run("orgs", "add", "Bad Slug", "--name", "x", "--kind", "hotline", "--country", "NL")
    assert bad_slug.code == 2 and "slug" in bad_slug.err
    assert run("users", "disable", "nobody").code == 4
    run("jurisdictions", "add", "NL", "Netherlands")
    assert run("jurisdictions", "add", "NL", "Netherlands").code == 5
    assert run("audit", "list", "--since", "yesterday").code == 2
    assert run("orgs", "add").code == 2  # usage error from the parser


def test_audit_verify_catches_tampering(run: Run, fresh_db_url: str) -> None:
    run("db", "upgrade")
    run("jurisdictions", "add", "NL", "Netherlands")
    run("jurisdictions", "add", "GB", "United Kingdom")
    run("jurisdictions", "add", "SE", "Sweden")
    ok = run("audit", "verify")
    assert ok.code == 0 and "3 events verified" in ok.out

    engine = create_db_engine(fresh_db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET details = '{}' WHERE seq = 2"))
    broken = run("audit", "verify")
    assert broken.code == 1
    assert "broken at event 2" in broken.err

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert "broken at event 2" in run("audit", "verify").err
    engine.dispose()


def test_settings_masks_secrets(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_SECRET_KEY", "top-secret-value")
    get_settings.cache_clear()
    result = run("settings", "--format", "json")
    assert result.code == 0
    assert "top-secret-value" not in result.out
    names = {row["setting"] for row in json.loads(result.out)}
    assert {"ALLIANCE_DATABASE_URL", "ALLIANCE_SECRET_KEY", "ALLIANCE_DATA_DIR"} <= names


def test_production_without_secret_fails_clearly(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MODE", "production")
    get_settings.cache_clear()
    result = run("settings")
    assert result.code == 7 and "ALLIANCE_SECRET_KEY must be set" in result.err


def test_demo_is_deterministic_and_idempotent(run: Run) -> None:
    first = run("demo", "--seed", "7")
    assert first.code == 0 and "Built the demo world" in first.out
    again = run("demo", "--seed", "7")
    assert "Found the demo world" in again.out
    assert first.out.split("seed 7).")[1] == again.out.split("seed 7).")[1]
    other_seed = run("demo", "--seed", "8")
    assert other_seed.code == 5 and "--reset" in other_seed.err
    reset = run("demo", "--seed", "8", "--reset")
    assert reset.code == 0 and "Built" in reset.out
    orgs = json.loads(run("orgs", "list", "--format", "json").out)
    kinds = {o["kind"] for o in orgs}
    assert {"hotline", "law_enforcement", "industry", "secretariat"} <= kinds
    countries = json.loads(run("jurisdictions", "list", "--format", "json").out)
    assert len(countries) >= 12
    users = json.loads(run("users", "list", "--format", "json").out)
    assert {"secretariat_admin", "org_admin", "analyst", "investigator", "reviewer", "viewer"} <= {
        u["role"] for u in users
    }
    assert run("audit", "verify").code == 0


def test_sync_needs_a_server_and_shows_status(run: Run) -> None:
    missing = run("sync")
    assert missing.code == 2 and "--server" in missing.err
    status = run("sync", "--status")
    assert status.code == 0 and "Local banks" in status.out
    bad_url = run("sync", "--server", "ftp://example.test", "--key", "k")
    assert bad_url.code == 7 and "http(s) URL" in bad_url.err
    unreachable = run("sync", "--server", "http://127.0.0.1:9", "--key", "k")
    assert unreachable.code == 1 and "cannot reach the platform" in unreachable.err


def test_banks_create_import_export(run: Run, tmp_path: Path) -> None:
    run("db", "upgrade")
    run("jurisdictions", "add", "NL", "Netherlands")
    run("orgs", "add", "nl-hotline", "--name", "Hotline", "--kind", "hotline", "--country", "NL")
    created = run(
        "banks",
        "create",
        "baseline-nl",
        "--scope",
        "baseline",
        "--owner",
        "nl-hotline",
        "--subscriber-kind",
        "industry",
    )
    assert created.code == 0, created.err
    assert (
        run("banks", "create", "baseline-nl", "--scope", "baseline", "--owner", "nl-hotline").code
        == 5
    )
    assert run("banks", "create", "x-y", "--scope", "galactic", "--owner", "nl-hotline").code == 2
    source = tmp_path / "list.txt"
    source.write_text("# synthetic\npdq " + "ab" * 32 + "\nmd5 " + "cd" * 16 + "\n")
    imported = run("banks", "import", "baseline-nl", str(source), "--format", "txt")
    assert imported.code == 0 and "2 added" in imported.out
    broken = tmp_path / "broken.txt"
    broken.write_text("pdq " + "ab" * 31 + "\n")
    failed = run("banks", "import", "baseline-nl", str(broken), "--format", "txt")
    assert failed.code == 2 and "line 1" in failed.err
    shown = json.loads(run("banks", "show", "baseline-nl", "--format", "json").out)
    assert shown[0]["entries"] == 2 and shown[0]["sequence"] == 1
    out = tmp_path / "out.csv"
    assert run("banks", "export", "baseline-nl", "--format", "csv", "--out", str(out)).code == 0
    again = run("banks", "import", "baseline-nl", str(out), "--format", "csv")
    assert "2 unchanged" in again.out
    listed = json.loads(run("banks", "list", "--format", "json").out)
    assert [b["name"] for b in listed] == ["baseline-nl"]
    assert run("banks", "show", "nothing").code == 4


# Audit anchors: the three ways of rewriting the chain that `verify` alone cannot see,
# caught against an exported anchor.


def _three_events(run: Run) -> None:
    run("db", "upgrade")
    for code, name in (("NL", "Netherlands"), ("GB", "United Kingdom"), ("SE", "Sweden")):
        assert run("jurisdictions", "add", code, name).code == 0


def _forge(url: str, change: Callable[[Session], None]) -> None:
    engine = create_db_engine(url)
    with Session(engine) as session, session.begin():
        change(session)
        forget_anchors(session)
    engine.dispose()


def test_export_then_verify_against_the_anchor(run: Run, tmp_path: Path) -> None:
    _three_events(run)
    out = tmp_path / "anchors.jsonl"
    exported = run("audit", "anchor", "export", "--out", str(out))
    assert exported.code == 0 and "1 anchors written" in exported.err
    (line,) = out.read_text().splitlines()
    head = json.loads(line)
    assert (head["type"], head["version"], head["seq"]) == ("alliance.audit_anchor", 1, 3)
    signer = Signer.from_file(tmp_path / "var" / "signing_key.pem", create=False)
    assert head["public_key_sha256"] == signer.fingerprint
    ok = run("audit", "verify", "--anchor", str(out))
    assert ok.code == 0, ok.err
    assert "3 events verified, against 2 signed heads" in ok.out
    run("jurisdictions", "add", "FR", "France")
    assert "head (event 4) signed" in run("audit", "verify").out
    on_stdout = run("audit", "anchor", "export").out.splitlines()
    assert [json.loads(x)["seq"] for x in on_stdout] == [3, 4]


@pytest.mark.parametrize(
    ("forgery", "message"),
    [
        (lambda s: rehash_from(s, 2), "event 3 is not the one signed"),
        (lambda s: cut_tail(s, 1), "the chain ends at event 1"),
        (wipe, "the chain ends at event 0"),
    ],
    ids=["rehash", "truncated-tail", "wiped"],
)
def test_a_consistent_forgery_fails_against_the_exported_anchor(
    run: Run, tmp_path: Path, fresh_db_url: str, forgery: Callable[[Session], None], message: str
) -> None:
    _three_events(run)
    out = tmp_path / "anchors.jsonl"
    assert run("audit", "anchor", "export", "--out", str(out)).code == 0
    _forge(fresh_db_url, forgery)
    assert run("audit", "verify").code == 0  # consistent in itself: the chain alone passes
    broken = run("audit", "verify", "--anchor", str(out))
    assert broken.code == 1
    assert message in broken.err
    assert "audit chain broken at event" in broken.err


def test_a_bad_anchor_file_is_bad_input(run: Run, tmp_path: Path) -> None:
    _three_events(run)
    out = tmp_path / "anchors.jsonl"
    run("audit", "anchor", "export", "--out", str(out))
    head = json.loads(out.read_text())
    altered = tmp_path / "altered.jsonl"
    altered.write_text(json.dumps({**head, "seq": 2}) + "\n")
    refused = run("audit", "verify", "--anchor", str(altered))
    assert refused.code == 2 and "does not verify" in refused.err
    missing = run("audit", "verify", "--anchor", str(tmp_path / "nowhere.jsonl"))
    assert missing.code == 2 and "cannot read anchor file" in missing.err
    other = tmp_path / "other.pem"
    other.write_text(Signer.generate().public_pem())
    foreign = run("audit", "verify", "--anchor", str(out), "--public-key", str(other))
    assert foreign.code == 2 and "signed by key" in foreign.err
