"""Admission, Retry-After, GETs as readers first, and refusals audited in summary."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from alliance.db import create_db_engine
from alliance.db.session import WriteNeeded, reads_first
from alliance.errors import DatabaseNotReady, RequestTimeout
from alliance.settings import load_settings
from alliance.web import create_app
from alliance.web.bookkeeping import RefusalAudit, Throttle
from alliance.web.capacity import AdmissionMiddleware, Capacity

UNKNOWN_KEY = "alk_00000000_" + "x" * 43
CAPACITY = Capacity(requests=1, queue_seconds=0.2, database_wait_seconds=1)


async def _send_text(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_a_full_server_answers_503_with_retry_after_and_still_its_probes() -> None:
    release = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await release.wait()
        await _send_text(send, 200, b"done")

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=AdmissionMiddleware(app, CAPACITY))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            async with anyio.create_task_group() as tasks:
                slow: list[httpx.Response] = []

                async def hold() -> None:
                    slow.append(await client.get("/slow"))

                tasks.start_soon(hold)
                await anyio.sleep(0.05)  # the slow request holds the one turn
                busy = await client.get("/api/v1/me")
                assert busy.status_code == 503
                assert busy.headers["retry-after"] == "1"
                assert (await client.get("/healthz")).status_code == 200  # probes: own turns
                release.set()
            assert slow[0].status_code == 200
            assert (await client.get("/api/v1/me")).status_code == 200  # the turn came back

    asyncio.run(scenario())


def test_every_503_says_when_to_come_back() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _send_text(send, 503, b"database not ready")

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=AdmissionMiddleware(app, CAPACITY))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/api/v1/anything")

    assert asyncio.run(scenario()).headers["retry-after"] == "1"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'turns.db'}", wait_seconds=0.5)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE seen (n INTEGER)"))
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM seen")).scalar_one())


def test_a_get_that_writes_runs_again_as_a_writer(sqlite_engine: Engine) -> None:
    runs: list[str] = []

    def read_then_write() -> None:
        with sqlite_engine.begin() as connection:
            before = connection.execute(text("SELECT count(*) FROM seen")).scalar()
            runs.append(f"read {before}")
            connection.execute(text("INSERT INTO seen VALUES (1)"))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.to_thread.run_sync(read_then_write)
        await _send_text(send, 200, b"ok")

    async def scenario(method: str) -> int:
        transport = httpx.ASGITransport(app=AdmissionMiddleware(app, CAPACITY))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.request(method, "/victims/1")).status_code

    assert asyncio.run(scenario("GET")) == 200
    assert runs == ["read 0", "read 0"]  # the first run, as a reader, wrote nothing
    assert _count(sqlite_engine) == 1
    runs.clear()
    assert asyncio.run(scenario("POST")) == 200
    assert runs == ["read 1"]  # anything else is a writer from the start
    assert _count(sqlite_engine) == 2


def test_readers_never_wait_for_the_writer(sqlite_engine: Engine) -> None:
    holding, done = threading.Event(), threading.Event()

    def long_writer() -> None:
        with sqlite_engine.begin() as connection:
            connection.execute(text("INSERT INTO seen VALUES (1)"))
            holding.set()
            done.wait(10)

    writer = threading.Thread(target=long_writer)
    writer.start()
    try:
        assert holding.wait(10)
        with reads_first(), sqlite_engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM seen")).scalar() == 0
            with pytest.raises(WriteNeeded):
                connection.execute(text("INSERT INTO seen VALUES (2)"))
        # A writer waits its turn, bounded: the web server answers 503 rather than hang.
        with (
            pytest.raises(DatabaseNotReady, match=r"busy for 0\.5 s"),
            sqlite_engine.begin() as connection,
        ):
            connection.execute(text("INSERT INTO seen VALUES (3)"))
    finally:
        done.set()
        writer.join()
    assert _count(sqlite_engine) == 1


def test_a_burst_of_refusals_is_audited_in_summary(sessions: sessionmaker[Session]) -> None:
    written: list[tuple[str, int]] = []

    def note(audit: RefusalAudit, kind: str) -> None:
        audit.note(kind, lambda _session, count: written.append((kind, count)))

    audit = RefusalAudit(sessions, seconds=3600, per_kind=2, at_once=3)
    for _ in range(5):
        note(audit, "unknown key from 192.0.2.1")
    note(audit, "revoked key from 192.0.2.2")
    note(audit, "csrf from 192.0.2.3")  # over the interval's total: counted, not written
    assert written == [("unknown key from 192.0.2.1", 1)] * 2 + [("revoked key from 192.0.2.2", 1)]
    assert audit.flush() == 2
    assert written[3:] == [("unknown key from 192.0.2.1", 3), ("csrf from 192.0.2.3", 1)]
    assert audit.flush() == 0  # nothing counted twice


def test_throttle_is_due_once_per_interval() -> None:
    throttle = Throttle(3600)
    assert throttle.due("key 1") and throttle.due("key 2")
    assert not throttle.due("key 1")


def test_no_connection_within_the_wait_is_503_not_500(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, wait_seconds=0.2)
    settings = load_settings(data_dir=tmp_path, secret_key="s" * 32)
    client = TestClient(create_app(settings, engine=engine))
    with engine.connect():  # the pool's one connection, held elsewhere
        response = client.get("/api/v1/me", headers={"authorization": f"Bearer {UNKNOWN_KEY}"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert response.headers["retry-after"]


def _trickle(pause: float, parts: int) -> Receive:
    """A client that sends its body one byte every ``pause`` seconds."""
    sent = 0

    async def receive() -> Message:
        nonlocal sent
        await anyio.sleep(pause)
        sent += 1
        return {"type": "http.request", "body": b"x", "more_body": sent < parts}

    return receive


def _post(body_length: int) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/reports",
        "headers": [(b"content-length", str(body_length).encode())],
        "query_string": b"",
    }


def test_a_trickled_body_holds_no_turn_and_gets_408() -> None:
    """A client that trickles its body waits outside: the one turn stays free for others."""
    capacity = Capacity(requests=1, queue_seconds=0.2, database_wait_seconds=1, body_seconds=0.5)
    reached_app: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached_app.append(scope["method"])
        await _send_text(send, 200, b"ok")

    middleware = AdmissionMiddleware(app, capacity)

    async def scenario() -> tuple[list[Message], int]:
        answered: list[Message] = []

        async def send(message: Message) -> None:
            answered.append(message)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(middleware, _post(100_000), _trickle(0.05, 100_000), send)
            await anyio.sleep(0.1)  # the trickler is receiving its body
            transport = httpx.ASGITransport(app=middleware)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                status = (await client.get("/api/v1/me")).status_code
        return answered, status

    answered, other = asyncio.run(scenario())
    assert other == 200  # served while the trickler was still sending
    assert answered[0]["status"] == 408
    assert reached_app == ["GET"]  # the trickled request never took a turn


def test_a_whole_small_body_is_handed_over_before_the_turn() -> None:
    capacity = Capacity(requests=1, queue_seconds=0.2, database_wait_seconds=1, body_seconds=2)
    bodies: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        bodies.append(body)
        await _send_text(send, 200, b"ok")

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=AdmissionMiddleware(app, capacity))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.post("/api/v1/reports", content=b"{}" * 1000)).status_code

    assert asyncio.run(scenario()) == 200
    assert bodies == [b"{}" * 1000]


def test_an_upload_past_the_buffer_must_keep_coming() -> None:
    """Past ``body_bytes``, an upload is received during its turn, and a stall ends it."""
    capacity = Capacity(
        requests=1, queue_seconds=0.2, database_wait_seconds=1, body_seconds=0.3, body_bytes=4
    )
    errors: list[RequestTimeout] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            while (await receive()).get("more_body", False):
                pass
        except RequestTimeout as exc:
            errors.append(exc)
            await _send_text(send, 408, b"slow")
            return
        await _send_text(send, 200, b"ok")

    async def send(_message: Message) -> None:
        return None

    receive = _trickle(0.0, 8)  # the first parts come at once ...
    calls = 0

    async def stalling() -> Message:
        nonlocal calls
        calls += 1
        if calls > 6:
            await anyio.sleep(5)  # ... then nothing
        return await receive()

    asyncio.run(AdmissionMiddleware(app, capacity)(_post(8), stalling, send))
    assert len(errors) == 1 and "stalled" in errors[0].message
