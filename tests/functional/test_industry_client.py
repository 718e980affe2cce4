"""The member's client for industry reports, against the hub in-process: a send whose
answer is lost is sent again and finds the same report (never a second); a refusal is
final; the outcome is read back by the case reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance import errors
from alliance.accounts.permissions import Role
from alliance.industry.client import IndustryReports
from alliance.industry.models import IndustryReport
from alliance.industry.schemas import IndustryReportIn
from tests.functional.conftest import World
from tests.functional.test_industry_reports import body
from tests.unit.industry.conftest import write_test_geo


class Flaky(httpx.BaseTransport):
    """Passes requests to the hub; the first ``lose`` answers are lost on the way back
    (the hub did the work), the next ``fail`` are 503s before reaching it."""

    def __init__(self, inner: Any, *, lose: int = 0, fail: int = 0) -> None:
        self.inner = inner
        self.lose = lose
        self.fail = fail
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail:
            self.fail -= 1
            return httpx.Response(503, json={"error": {"code": "busy", "message": "busy"}})
        answer = self.inner.handle_request(request)
        content = answer.read()
        if self.lose:
            self.lose -= 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=content)


@pytest.fixture(autouse=True)
def geo(tmp_path: Path) -> Path:
    return write_test_geo(tmp_path / "hosting.mmdb")


def reports(client: TestClient, token: str, transport: Flaky) -> IndustryReports:
    http = httpx.Client(
        base_url="http://testserver",
        transport=transport,
        headers={"Authorization": f"Bearer {token}"},
    )
    return IndustryReports(http, sleep=lambda _seconds: None)


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.execute(select(func.count()).select_from(IndustryReport)).scalar_one())


def test_a_lost_answer_is_sent_again_and_never_duplicates(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    flaky = Flaky(client._transport, lose=1, fail=1)
    member = reports(client, world.keys[Role.reviewer], flaky)
    case = IndustryReportIn.model_validate(body("CASE-C1"))
    sent = member.submit(case)
    assert flaky.calls == 3  # 503, then done but lost, then found again
    assert (sent.case_reference, sent.created, sent.country) == ("CASE-C1", False, "NL")
    assert count(sessions) == 1
    assert member.status("CASE-C1").reference == sent.reference


def test_a_refusal_is_final_and_the_retries_end(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    flaky = Flaky(client._transport)
    member = reports(client, world.keys[Role.reviewer], flaky)
    member.submit(IndustryReportIn.model_validate(body("CASE-C2")))
    with pytest.raises(errors.Conflict, match="different contents"):
        member.submit(IndustryReportIn.model_validate(body("CASE-C2", classification="A1")))
    with pytest.raises(errors.NotFound):
        member.status("CASE-NONE")
    assert flaky.calls == 3
    down = reports(client, world.keys[Role.reviewer], Flaky(client._transport, fail=10))
    with pytest.raises(errors.AllianceError, match="503"):
        down.submit(IndustryReportIn.model_validate(body("CASE-C3")))
    assert count(sessions) == 1
