"""A member server for the tests of the whole API (the fuzzing, the permission matrix): the
hub app in-process holds a bank for industry; the test world's industry organisation serves
member mode (``create_app(..., member=)``) on the same test database, its synced copy in a
folder of the test, synced once through the hub's own routes before anything is asked, so
its schedule waits an interval before the next sync and no request ever leaves the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.hosting.resolver import StaticHosts
from alliance.member.deployment import MemberDeployment
from alliance.settings import load_settings
from alliance.web import create_app
from tests.factories import pdq_hex

HUB = "http://hub.example.test"
SYNCED = "baseline-hub"
#: The member's storage: a name on loopback where nothing listens (a fetch fails cleanly).
STORAGE = "http://storage.example.test:9/uploads/"


def bridge(hub: TestClient, token: str) -> httpx.Client:
    """An HTTP client whose requests the hub app (in-process) answers."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = hub.request(
            request.method,
            str(request.url.copy_with(scheme=None, host=None)),
            headers=dict(request.headers),
            content=request.read(),
        )
        return httpx.Response(
            answer.status_code,
            content=answer.content,
            headers={"content-type": answer.headers["content-type"]},
        )

    return httpx.Client(
        base_url=HUB,
        transport=httpx.MockTransport(handler),
        headers={"Authorization": f"Bearer {token}"},
    )


@dataclass
class MemberServer:
    app: FastAPI
    deployment: MemberDeployment
    synced_ids: list[int]


def synced_bank(hub: TestClient, analyst_key: str) -> list[int]:
    """``SYNCED`` made at the hub for industry by ``analyst_key``, with pdq_hex(1) and
    pdq_hex(2): their entry ids."""
    analyst = {"Authorization": f"Bearer {analyst_key}"}
    created = hub.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": SYNCED, "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    assert created.status_code == 201, created.text
    added = hub.post(
        f"/api/v1/banks/{SYNCED}/entries",
        headers=analyst,
        json={
            "entries": [
                {"signal_type": "pdq", "signal": pdq_hex(s), "classification": {"iwf": "A"}}
                for s in (1, 2)
            ]
        },
    )
    assert added.status_code == 200, added.text
    return [e["id"] for e in added.json()["entries"]]


@contextmanager
def member_server(
    hub: TestClient,
    sessions: sessionmaker[Session],
    folder: Path,
    *,
    analyst_key: str,
    member_key: str,
    secret: str,
) -> Iterator[MemberServer]:
    """The member app of the organisation whose key at the hub is ``member_key`` (an
    industry key), with ``SYNCED`` (made at the hub by ``analyst_key``) synced once."""
    synced_ids = synced_bank(hub, analyst_key)
    (folder / "hub-key").write_text(member_key)
    (folder / "hub.pem").write_text(hub.app.state.alliance.signer.public_pem())  # type: ignore[attr-defined]
    settings = load_settings(
        data_dir=folder / "member",
        secret_key=secret,
        max_body_bytes=64 * 1024,
        member_hub_url=HUB,
        member_hub_public_key_file=folder / "hub.pem",
        member_api_key_file=folder / "hub-key",
        member_storage_urls=[STORAGE],
    )
    deployment = MemberDeployment.from_settings(
        settings,
        sessions,
        connect=lambda: bridge(hub, member_key),
        resolver=StaticHosts({"storage.example.test": ["127.0.0.1"]}),
    )
    deployment.schedule.run_once()  # the first sync, before the server answers
    app = create_app(
        settings, engine=sessions.kw["bind"].engine, sessions=sessions, member=deployment
    )
    try:
        yield MemberServer(app, deployment, synced_ids)
    finally:
        deployment.stop()
