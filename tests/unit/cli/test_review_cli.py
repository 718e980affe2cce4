"""``alliance review feedback``: false positives waiting for the hub, sent to a stand-in
hub on 127.0.0.1; an unreachable hub is exit 1 with one line, and nothing is lost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select

from alliance.accounts.permissions import OrgKind, Role
from alliance.cli import context
from alliance.review import cases, decisions
from alliance.review.models import CaseMatch, DecisionKind, FeedbackState
from alliance.review.schemas import CaseMatch as MatchIn
from alliance.review.schemas import ContentRef, DecisionIn
from alliance.settings import load_settings
from tests import factories
from tests.support.server import free_port


@pytest.fixture
def cli_migrate() -> bool:
    return True


class _Hub(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, dict[str, object]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        type(self).seen.append((self.path, self.headers["authorization"], body))
        answer = b'{"verdict": "disputed"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hub)
    _Hub.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_review_feedback_sends_what_waits(run, hub: str, tmp_path: Path) -> None:
    assert run("review", "feedback", "--server", hub, "--key", "k").out.startswith("0 sent")
    settings = load_settings(data_dir=tmp_path, review_media_root=tmp_path)
    with context.sessions().begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewer = factories.principal(factories.user(session, org, Role.reviewer))
        ref = ContentRef(content_id="u1", media_path="u1.png")
        case = cases.open_case(
            session,
            reviewer,
            ref,
            [MatchIn(bank="baseline-nl", entry_id=4, distance=2)],
            settings=settings,
        )
        wrong = DecisionIn(decision=DecisionKind.false_positive, reason="a cartoon")
        decisions.decide(session, reviewer, case.reference, wrong, settings=settings)
    down = run("review", "feedback", "--server", f"http://127.0.0.1:{free_port()}", "--key", "k")
    assert down.code == 1 and "cannot reach the platform" in down.err
    sent = run("review", "feedback", "--server", hub, "--key", "alk_member")
    assert sent.code == 0 and sent.out.startswith("1 sent, 0 refused")
    assert _Hub.seen == [
        (
            "/api/v1/banks/baseline-nl/entries/4/feedback",
            "Bearer alk_member",
            {"verdict": "disputed", "note": "a cartoon", "distance": 2},
        )
    ]
    with context.sessions()() as session:
        assert session.execute(select(CaseMatch.feedback)).scalar_one() is FeedbackState.sent


def test_review_police_refuses_what_it_cannot_send(run, hub: str) -> None:
    """Bad input is one line and a non-zero exit, and nothing reaches the hub."""
    bad_ip = run("review", "police", "RC-X", "--server", hub, "--key", "k", "--ip", "203.0.113.5")
    assert bad_ip.code == 2 and "give IP@TIME" in bad_ip.err
    not_ip = run(
        "review", "police", "RC-X", "--server", hub, "--key", "k",
        "--ip", "not-an-ip@2026-12-07T10:00:00Z",
    )  # fmt: skip
    assert not_ip.code == 2 and "not an IP address" in not_ip.err
    unknown = run("review", "police", "RC-NONE", "--server", hub, "--key", "k")
    assert unknown.code != 0 and "no case RC-NONE" in unknown.err
    assert _Hub.seen == []
