"""``alliance review cybertipline|dsa|police|reports|close``: a confirmed case's reports
from the console, against the stand-ins on 127.0.0.1. A stand-in failing mid-way is exit 1
with one line, the case says where it stopped, and the same command resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance.accounts.permissions import OrgKind, Role
from alliance.cli import context
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.member import destinations
from alliance.review import cases, decisions
from alliance.review.models import DecisionKind
from alliance.review.schemas import CaseMatch, ContentRef, DecisionIn
from alliance.settings import get_settings, load_settings
from tests import factories
from tests.support.cli import Run
from tests.support.server import free_port
from tests.unit.review.conftest import picture

TOKEN = "cli-dsa-token-not-a-secret"
#: Square brackets that Rich would take for markup: printed as they are, or lost.
COMPLAINT = "[b]https://photos.example.test/appeals[/b], quoting the reference"


@pytest.fixture
def stand_ins() -> Iterator[tuple[StandInCyberTipline, StandInTransparencyDatabase]]:
    with StandInCyberTipline() as ncmec, StandInTransparencyDatabase(TOKEN) as tdb:
        yield ncmec, tdb


@pytest.fixture
def case(
    run: Run,
    stand_ins: tuple[StandInCyberTipline, StandInTransparencyDatabase],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """A confirmed case of a platform, its file under the media root; the stand-ins in
    the settings; no waits between tries."""
    ncmec, tdb = stand_ins
    media = tmp_path / "media"
    picture(media / "uploads" / "u1.png")
    token = tmp_path / "dsa-token"
    token.write_text(TOKEN)
    for name, value in {
        "ALLIANCE_REVIEW_MEDIA_ROOT": str(media),
        "ALLIANCE_CYBERTIPLINE_URL": ncmec.base_url,
        "ALLIANCE_CYBERTIPLINE_USERNAME": ncmec.username,
        "ALLIANCE_CYBERTIPLINE_PASSWORD": ncmec.password,
        "ALLIANCE_CYBERTIPLINE_TIMEOUT_SECONDS": "5",
        "ALLIANCE_CYBERTIPLINE_REPORTER_FIRST_NAME": "Ada",
        "ALLIANCE_CYBERTIPLINE_REPORTER_LAST_NAME": "Reviewer",
        "ALLIANCE_CYBERTIPLINE_REPORTER_EMAIL": "safety@example.test",
        "ALLIANCE_DSA_URL": tdb.url,
        "ALLIANCE_DSA_TOKEN_FILE": str(token),
        "ALLIANCE_DSA_COMPLAINT": COMPLAINT,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    monkeypatch.setattr(destinations, "BACKOFF_SECONDS", 0.0)
    settings = load_settings(data_dir=tmp_path, review_media_root=media)
    with context.sessions().begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewer = factories.principal(factories.user(session, org, Role.reviewer))
        opened = cases.open_case(
            session,
            reviewer,
            ContentRef(content_id="upload-1", media_path="uploads/u1.png"),
            [CaseMatch(bank="baseline-nl", entry_id=4, category="B1", distance=2)],
            settings=settings,
        )
        yes = DecisionIn(decision=DecisionKind.confirm)
        decisions.decide(session, reviewer, opened.reference, yes, settings=settings)
        return opened.reference


def test_cybertipline_stops_says_where_and_resumes(
    run: Run, case: str, stand_ins: tuple[StandInCyberTipline, StandInTransparencyDatabase]
) -> None:
    ncmec, _ = stand_ins
    ip = ["--ip", "203.0.113.5@2026-12-07T10:41:09Z@upload"]
    for _ in range(destinations.TRIES):
        ncmec.fail("upload", "http_5xx")
    stopped = run("review", "cybertipline", case, "--account", "user-1", *ip, "--country", "NL")
    assert stopped.code == 1 and "upload u1.png" in stopped.err and "resume" in stopped.err
    shown = run("review", "reports", case)
    assert shown.code == 1 and "cybertipline: stopped at upload u1.png" in shown.out
    assert "dsa: not started" in shown.out
    closing = run("review", "close", case)
    assert closing.code == 5 and "stays open" in closing.err
    resumed = run("review", "cybertipline", case)
    assert resumed.code == 0 and "filed as CyberTipline report" in resumed.out
    [report] = ncmec.finished_reports()
    assert report.report_id in resumed.out and b"user-1" in report.document
    again = run("review", "cybertipline", case)
    assert again.code == 5 and "done already" in again.err
    assert len(ncmec.reports) == 1


def test_dsa_statement_then_close(
    run: Run, case: str, stand_ins: tuple[StandInCyberTipline, StandInTransparencyDatabase]
) -> None:
    _, tdb = stand_ins
    bad = run("review", "dsa", case, "--account-action", "banned")
    assert bad.code == 2 and "suspended, terminated" in bad.err
    sent = run("review", "dsa", case, "--account-action", "suspended")
    assert sent.code == 0 and "accepted as" in sent.out
    assert tdb.stored[case]["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert run("review", "dsa", case).code == 5
    assert run("review", "close", case).code == 0
    shown = run("review", "reports", case)
    assert shown.code == 0 and f"case {case}: closed" in shown.out
    assert "dsa: accepted by the Transparency Database" in shown.out
    # The statement of reasons the uploader reads, written with the statement, verbatim.
    notice = shown.out.split("statement of reasons for the uploader (DSA Art. 17):", 1)[1]
    assert f"Reference: {case}" in notice and "Your upload: upload-1" in notice
    assert "Your account has also been suspended." in notice
    assert COMPLAINT in notice


def test_police_through_a_hub_that_fails_is_kept_on_the_case(run: Run, case: str) -> None:
    hub = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    sent = run("review", "police", case, "--server", hub, "--key", "alk_x", "--country", "NL")
    assert sent.code == 1
    shown = run("review", "reports", case)
    assert "police: stopped at sending to the hub" in shown.out
