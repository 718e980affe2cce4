"""The audit API and page: signed heads to take away, and verification against them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import Role
from tests.functional.conftest import World, log_in
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


def test_the_audit_page_verifies_against_an_uploaded_file(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    assert "Head (event" in client.get("/audit/verify").text
    download = client.get("/audit/anchors.jsonl")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    exported = download.content

    def upload(data: bytes) -> str:
        page = client.post(
            "/audit/verify",
            data={"csrf_token": csrf},
            files={"file": ("anchors.jsonl", data, "application/octet-stream")},
        )
        assert page.status_code in (200, 400)
        return page.text

    assert "Chain intact" in upload(exported)
    assert "not an alliance.audit_anchor version 1 line" in upload(b'{"type": "x"}\n')
    with sessions.begin() as session:
        rehash_from(session, 2)
        forget_anchors(session)
    assert "Chain broken at event" in upload(exported)
    no_csrf = client.post("/audit/verify", files={"file": ("a.jsonl", exported, "text/plain")})
    assert no_csrf.status_code == 403
