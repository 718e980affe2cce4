"""Submitting statements to the stand-in Transparency Database on 127.0.0.1: batches,
duplicates that are not sent again, retries with the same puids, and resuming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import httpx
import pytest

from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.errors import ConfigurationError, InvalidInput, NotAuthenticated
from alliance.platforms.dsa.client import (
    Progress,
    State,
    Step,
    TransparencyDatabase,
    TransparencyDatabaseUnavailable,
)
from alliance.platforms.dsa.schemas import AutomatedDecision, ContentType, Statement
from alliance.platforms.dsa.statements import Removal, statement_for

TOKEN = "test-token-not-a-secret"
REMOVAL = Removal(
    puid="case-0",
    content_id="upload 0",
    content_type=ContentType.IMAGE,
    uploaded_on=date(2026, 11, 30),
    decided_on=date(2026, 12, 1),
    bank="Example Hotline List",
    category="baseline",
    automated_decision=AutomatedDecision.NOT_AUTOMATED,
)


def statements(n: int, start: int = 0) -> list[Statement]:
    return [statement_for(replace(REMOVAL, puid=f"case-{i}")) for i in range(start, start + n)]


@pytest.fixture
def database() -> Iterator[StandInTransparencyDatabase]:
    with StandInTransparencyDatabase(TOKEN, stall_seconds=1.5) as stand_in:
        yield stand_in


def client(database: StandInTransparencyDatabase, **options: object) -> TransparencyDatabase:
    settings: dict[str, object] = {"timeout": 0.5, "tries": 3, "sleep": lambda _: None}
    settings.update(options)
    return TransparencyDatabase(database.url, TOKEN, **settings)  # type: ignore[arg-type]


def test_statements_go_in_batches_and_come_back_with_uuids(
    database: StandInTransparencyDatabase,
) -> None:
    steps: list[Step] = []
    with client(database) as tdb:
        progress = tdb.submit(statements(5), batch_size=2, on_step=lambda _, s: steps.append(s))
    assert database.calls == [["case-0", "case-1"], ["case-2", "case-3"], ["case-4"]]
    assert progress.done and progress.counts()["accepted"] == 5
    assert progress.entries["case-4"].uuid == database.stored["case-4"]["uuid"]
    assert [s.accepted for s in steps] == [("case-0", "case-1"), ("case-2", "case-3"), ("case-4",)]
    assert database.stored["case-0"]["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"


def test_a_duplicate_is_answered_422_and_not_sent_again(
    database: StandInTransparencyDatabase,
) -> None:
    with client(database) as tdb:
        tdb.submit(statements(1, start=1))  # case-1 is in the database already
        progress = tdb.submit(statements(3))
    assert database.calls[1:] == [["case-0", "case-1", "case-2"], ["case-0", "case-2"]]
    assert progress.state("case-1") is State.duplicate
    assert progress.puids(State.accepted) == ["case-0", "case-2"]
    assert sorted(database.stored) == ["case-0", "case-1", "case-2"]


def test_a_refusal_names_the_statement_and_field_and_is_final(
    database: StandInTransparencyDatabase,
) -> None:
    database.refuse("case-1", "territorial_scope", "The selected territorial scope is invalid.")
    with client(database) as tdb:
        progress = tdb.submit(statements(3))
        again = tdb.submit(statements(3), progress)
    assert progress.state("case-1") is State.refused
    assert progress.entries["case-1"].errors == {
        "territorial_scope": ["The selected territorial scope is invalid."]
    }
    assert sorted(database.stored) == ["case-0", "case-2"]
    assert len(database.calls) == 2  # the batch, then the batch without case-1; no more
    assert again.counts() == {"pending": 0, "accepted": 2, "duplicate": 0, "refused": 1}


@pytest.mark.parametrize("how", ["error", "stall"])
def test_a_5xx_or_timeout_mid_flow_is_retried_with_the_same_puids(
    database: StandInTransparencyDatabase, how: str
) -> None:
    database.fail(2, how)  # type: ignore[arg-type]
    waits: list[float] = []
    with client(database, sleep=waits.append, backoff=0.25) as tdb:
        progress = tdb.submit(statements(4), batch_size=2)
    assert database.calls == [["case-0", "case-1"], ["case-2", "case-3"], ["case-2", "case-3"]]
    assert waits == [0.25]
    assert progress.done and progress.counts()["accepted"] == 4
    assert progress.entries["case-2"].tries == 2


@pytest.mark.parametrize("how", ["lost", "late"])
def test_an_answer_lost_after_storing_never_stores_twice(
    database: StandInTransparencyDatabase, how: str
) -> None:
    database.fail(1, how)  # type: ignore[arg-type]
    with client(database) as tdb:
        progress = tdb.submit(statements(2))
    assert database.calls == [["case-0", "case-1"], ["case-0", "case-1"]]
    assert sorted(database.stored) == ["case-0", "case-1"]  # once each
    # The second try found both stored: already submitted, not sent a third time.
    assert progress.puids(State.duplicate) == ["case-0", "case-1"] and progress.done


def test_when_the_tries_run_out_it_stops_where_it_was_and_resumes(
    database: StandInTransparencyDatabase,
) -> None:
    for call in (2, 3):
        database.fail(call, "error")
    kept: list[str] = []

    def keep(progress: Progress, _: Step) -> None:
        kept.append(json.dumps(progress.to_json()))  # what a caller would store

    with client(database, tries=2) as tdb:
        with pytest.raises(TransparencyDatabaseUnavailable, match="answered 503") as stopped:
            tdb.submit(statements(4), batch_size=2, on_step=keep)
        assert "2 statements pending: run again to resume" in stopped.value.message
        stored = Progress.from_json(json.loads(kept[-1]))
        assert stored.puids(State.pending) == ["case-2", "case-3"]
        assert "answered 503" in stored.stopped
        resumed = tdb.submit(statements(4), stored, batch_size=2)
    assert database.calls[-1] == ["case-2", "case-3"]  # only what was pending
    assert resumed.done and resumed.stopped == "" and resumed.counts()["accepted"] == 4
    assert resumed.id == stored.id


def test_one_statement_at_a_time(database: StandInTransparencyDatabase) -> None:
    [one] = statements(1)
    with client(database) as tdb:
        first = tdb.submit_one(one)
        again = tdb.submit_one(one, Progress())
    assert first.state("case-0") is State.accepted and first.entries["case-0"].uuid
    assert again.state("case-0") is State.duplicate
    assert database.calls == [["case-0"], ["case-0"]]


def test_a_bad_token_stops_with_nothing_stored(database: StandInTransparencyDatabase) -> None:
    with TransparencyDatabase(database.url, "wrong", sleep=lambda _: None) as tdb:
        progress = Progress()
        with pytest.raises(NotAuthenticated, match="answered 401"):
            tdb.submit(statements(2), progress)
    assert progress.puids(State.pending) == ["case-0", "case-1"]
    assert "401" in progress.stopped and database.stored == {}


def test_the_stand_in_refuses_what_the_database_refuses(
    database: StandInTransparencyDatabase,
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bad = {**statements(1)[0].to_api(), "territorial_scope": ["US"]}
    answer = httpx.post(
        f"{database.url}/api/v1/statements", json={"statements": [bad]}, headers=headers
    )
    assert answer.status_code == 422
    assert "territorial_scope" in answer.json()["errors"]["statement_0"]
    too_many = [s.to_api() for s in statements(101)]
    answer = httpx.post(
        f"{database.url}/api/v1/statements", json={"statements": too_many}, headers=headers
    )
    assert answer.status_code == 422 and "between 1 and 100" in answer.json()["message"]
    assert database.stored == {}


def test_a_client_needs_an_http_url_and_a_token() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        TransparencyDatabase("ftp://127.0.0.1", TOKEN)
    with pytest.raises(ConfigurationError, match="token"):
        TransparencyDatabase("http://127.0.0.1:9", " ")
    with pytest.raises(InvalidInput, match="not a progress record"):
        Progress.from_json({"statements": {}})


def test_a_429_waits_at_least_its_retry_after() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, text="Limit Reached."),
            httpx.Response(201, json={"statements": [{"puid": "case-0", "uuid": "u-0"}]}),
        ]
    )
    waits: list[float] = []
    transport = httpx.MockTransport(lambda request: next(answers))
    with TransparencyDatabase(
        "http://127.0.0.1:9", TOKEN, transport=transport, sleep=waits.append
    ) as tdb:
        progress = tdb.submit(statements(1))
    assert waits == [7.0]
    assert progress.entries["case-0"].uuid == "u-0"


def test_a_refusal_of_the_whole_call_stops_the_run() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        message = "The statements field is required."
        return httpx.Response(422, json={"message": message, "errors": {"statements": [message]}})

    progress = Progress()
    with (
        TransparencyDatabase(
            "http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(answer)
        ) as tdb,
        pytest.raises(InvalidInput, match="The statements field is required"),
    ):
        tdb.submit(statements(2), progress)
    assert progress.puids(State.pending) == ["case-0", "case-1"]
    assert "answered 422" in progress.stopped


def test_two_statements_with_one_puid_are_refused_before_sending(
    database: StandInTransparencyDatabase,
) -> None:
    twice = [*statements(2), statements(1)[0]]
    with client(database) as tdb, pytest.raises(InvalidInput, match="puid of its own"):
        tdb.submit(twice)
    assert database.calls == []
