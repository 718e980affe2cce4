"""``alliance audit anchor export`` and ``alliance audit verify --anchor``: the three ways of
rewriting the chain that `verify` alone cannot see, caught against an exported anchor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from alliance.db import create_db_engine
from alliance.signing import Signer
from tests.support.audit_forgery import cut_tail, forget_anchors, rehash_from, wipe
from tests.support.cli import Run, cli_runner


@pytest.fixture
def run(
    fresh_db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    with cli_runner(fresh_db_url, tmp_path / "var", monkeypatch, capsys, migrate=True) as invoke:
        for code, name in (("NL", "Netherlands"), ("GB", "United Kingdom"), ("SE", "Sweden")):
            assert invoke("jurisdictions", "add", code, name).code == 0
        yield invoke


def _forge(url: str, change: Callable[[Session], None]) -> None:
    engine = create_db_engine(url)
    with Session(engine) as session, session.begin():
        change(session)
        forget_anchors(session)
    engine.dispose()


def test_export_then_verify_against_the_anchor(run: Run, tmp_path: Path) -> None:
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
    out = tmp_path / "anchors.jsonl"
    assert run("audit", "anchor", "export", "--out", str(out)).code == 0
    _forge(fresh_db_url, forgery)
    assert run("audit", "verify").code == 0  # consistent in itself: the chain alone passes
    broken = run("audit", "verify", "--anchor", str(out))
    assert broken.code == 1
    assert message in broken.err
    assert "audit chain broken at event" in broken.err


def test_a_bad_anchor_file_is_bad_input(run: Run, tmp_path: Path) -> None:
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
