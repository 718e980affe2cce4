"""``alliance commitments list|show|submit|publish|return`` on a real database of each
back end."""

from __future__ import annotations

import json

from sqlalchemy.orm import sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.countries import commitments
from alliance.countries.schemas import CommitmentIn
from alliance.db import create_db_engine
from tests import factories
from tests.support.cli import Result, Run


def _ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def _draft(url: str) -> None:
    """NL's government, its editor, and a draft for 2026, target 2."""
    engine = create_db_engine(url)
    try:
        with sessionmaker(engine).begin() as session:
            gov = factories.organisation(session, OrgKind.government, "NL", slug="nl-gov")
            factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hot")
            editor = factories.principal(factories.user(session, gov, Role.country_editor))
            commitments.save(
                session,
                editor,
                "NL",
                2026,
                2,
                CommitmentIn(version=0, committed="- prosecute [[ga2012.goal.2]]"),
            )
    finally:
        engine.dispose()


def test_list_show_submit_return_publish(run: Run, fresh_db_url: str) -> None:
    _ok(run("countries", "add", "NL", "--joined-on", "2012-12-05"))
    _draft(fresh_db_url)
    (row,) = json.loads(_ok(run("commitments", "list", "--format", "json")))
    assert (row["country"], row["cycle"], row["target"], row["status"]) == ("NL", 2026, 2, "draft")
    shown = _ok(run("commitments", "show", "NL", "2026", "2"))
    assert "committed#1:ga2012.goal.2" in shown and "Investigate and prosecute" in shown
    refused = run("commitments", "submit", "NL", "2026", "2", "--for", "nl-hot")
    assert refused.code == 2 and "not a government" in refused.err
    assert run("commitments", "publish", "NL", "2026", "2").code == 5  # a draft
    _ok(run("commitments", "submit", "NL", "2026", "2", "--for", "nl-gov", "--version", "1"))
    assert "returned" in _ok(
        run("commitments", "return", "NL", "2026", "2", "--reason", "name the agency")
    )
    _ok(run("commitments", "submit", "NL", "2026", "2", "--for", "nl-gov"))
    assert "published" in _ok(run("commitments", "publish", "NL", "2026", "2"))
    (out,) = json.loads(_ok(run("commitments", "show", "NL", "2026", "2", "--format", "json")))
    assert out["status"] == "published" and out["published_version"] == 1
    listed = _ok(run("commitments", "list", "--status", "published", "--format", "json"))
    assert len(json.loads(listed)) == 1
    assert run("commitments", "show", "NL", "2026", "3").code == 4
