"""The audit API: signed heads to take away, and verification against them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import Role
from tests.functional.conftest import World
from tests.support.audit_forgery import forget_anchors, rehash_from


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_anchors_are_exported_and_checked(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = _bearer(world.keys[Role.secretariat_admin])
    verified = client.get("/api/v1/audit/verify", headers=admin).json()
    assert verified["ok"] is True and verified["anchored_seq"] == verified["head_seq"] > 2
    exported = client.get(
        "/api/v1/audit/anchors", headers=_bearer(world.keys[Role.org_admin])
    ).json()
    assert [a["seq"] for a in exported] == [verified["head_seq"]]
    again = client.post("/api/v1/audit/verify", headers=admin, json={"anchors": exported})
    assert again.status_code == 200 and again.json()["anchors_checked"] == 2

    with sessions.begin() as session:
        rehash_from(session, 2)
        forget_anchors(session)
    assert client.get("/api/v1/audit/verify", headers=admin).json()["ok"] is True
    caught = client.post("/api/v1/audit/verify", headers=admin, json={"anchors": exported})
    assert caught.status_code == 200
    assert caught.json()["ok"] is False
    assert caught.json()["broken_seq"] == exported[0]["seq"]

    forged = [{**exported[0], "hash": "0" * 64}]
    refused = client.post("/api/v1/audit/verify", headers=admin, json={"anchors": forged})
    assert refused.status_code == 400 and "does not verify" in refused.text
    denied = client.post(
        "/api/v1/audit/verify", headers=_bearer(world.keys[Role.org_admin]), json={}
    )
    assert denied.status_code == 403
