"""X-Forwarded-For counts only from the proxies in ALLIANCE_TRUSTED_PROXIES (none by default).

Otherwise any client could name a new address on every request and sidestep the
per-address limits (failed logins, public reports).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.settings import load_settings
from alliance.web import create_app
from tests.functional.conftest import SECRET
from tests.support.logins import failed_logins_from_new_addresses

UNKNOWN_KEY = "alk_00000000_" + "x" * 43


def _app(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, trusted: list[str]
) -> FastAPI:
    settings = load_settings(
        data_dir=tmp_path,
        secret_key=SECRET,
        trusted_proxies=trusted,
        login_max_failures_per_address=3,
        login_max_failures_per_account=100,
    )
    return create_app(settings, engine=engine, sessions=sessions)


async def _statuses_of_failed_logins(app: FastAPI, peer: str, attempts: int) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await failed_logins_from_new_addresses(client, attempts)


async def _refuse_a_key(app: FastAPI, peer: str, forwarded: str) -> None:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(
            "/api/v1/me",
            headers={"authorization": f"Bearer {UNKNOWN_KEY}", "x-forwarded-for": forwarded},
        )
        assert response.status_code == 401


def _last_refusal_address(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        event = session.execute(
            select(AuditEvent)
            .where(AuditEvent.event_type == str(EventType.API_KEY_REJECTED))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar_one()
        return str(json.loads(event.details)["address"])


def test_forwarded_for_from_a_local_client_is_ignored_by_default(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    app = _app(engine, sessions, tmp_path, trusted=[])
    statuses = asyncio.run(_statuses_of_failed_logins(app, "127.0.0.1", 5))
    # Every attempt came from 127.0.0.1, whatever the header said: the limit holds.
    assert statuses == [401, 401, 401, 429, 429]
    asyncio.run(_refuse_a_key(app, "127.0.0.1", "198.51.100.9"))
    assert _last_refusal_address(sessions) == "127.0.0.1"


def test_forwarded_for_counts_from_a_trusted_proxy_only(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    app = _app(engine, sessions, tmp_path, trusted=["192.0.2.0/24"])
    # Behind the proxy each client has its own address and its own count.
    statuses = asyncio.run(_statuses_of_failed_logins(app, "192.0.2.10", 5))
    assert statuses == [401] * 5
    asyncio.run(_refuse_a_key(app, "192.0.2.10", "198.51.100.9"))
    assert _last_refusal_address(sessions) == "198.51.100.9"
    # A peer outside the trusted networks is taken at its own address.
    asyncio.run(_refuse_a_key(app, "127.0.0.1", "198.51.100.10"))
    assert _last_refusal_address(sessions) == "127.0.0.1"
