"""Member mode: a member server syncs the hub's banks, keeps local (and negative) banks,
and answers its services' uploads by hash, file and URL of its own storage."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.services import authenticate_api_key
from alliance.audit.models import AuditEvent
from alliance.errors import Conflict, InvalidInput
from alliance.hashing import pdq
from alliance.hosting.resolver import StaticHosts
from alliance.industry.client import IndustryReports
from alliance.industry.schemas import UploaderIn
from alliance.member.deployment import MemberDeployment
from alliance.member.models import MemberUpload
from alliance.member.police import report_of_case
from alliance.member.schedule import BankSchedule
from alliance.review import decisions
from alliance.review.models import Case
from alliance.review.schemas import DecisionIn
from alliance.settings import load_settings
from alliance.web import create_app
from alliance.web.app import api_routes, route_guard
from tests import factories
from tests.factories import flip_bits, pdq_hex
from tests.functional.conftest import SECRET, World
from tests.support.member import HUB, SYNCED, synced_bank
from tests.support.member import bridge as _bridge


def picture(seed: int) -> bytes:
    """A benign generated picture (coloured rectangles), as PNG."""
    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    for i in range(0, 320, 20):
        top = (i * (7 + seed)) % 200
        draw.rectangle([i, top, i + 15, top + 40], fill=((i * seed) % 255, 80, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class _Storage(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}  # noqa: RUF012 - the test's files, by path

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if self.path == "/uploads/moved":
            self.send_response(302)
            self.send_header("Location", "http://203.0.113.9/elsewhere")
            self.end_headers()
            return
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def storage() -> Iterator[int]:
    """The member's own storage: a web server on 127.0.0.1 serving generated pictures."""
    _Storage.files = {"/uploads/a.png": picture(3), "/uploads/notes.txt": b"plain text"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Storage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@dataclass
class Member:
    app: FastAPI
    client: TestClient
    deployment: MemberDeployment
    reviewer: dict[str, str]
    admin: dict[str, str]
    synced_ids: list[int]


@pytest.fixture
def member(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    storage: int,
) -> Iterator[Member]:
    """The hub (``client``) holds a bank for industry; the member (the world's industry
    organisation) serves member mode on the same test database, its synced copy in
    ``tmp_path``."""
    synced_ids = synced_bank(client, world.keys[Role.analyst])
    with sessions.begin() as session:
        industry = world.orgs[OrgKind.industry]
        session.add(industry)
        _, admin_key = factories.api_key(session, industry, Role.org_admin)
    key_file = tmp_path / "hub-key"
    key_file.write_text(world.keys[Role.reviewer])
    pem_file = tmp_path / "hub.pem"
    pem_file.write_text(client.app.state.alliance.signer.public_pem())  # type: ignore[attr-defined]
    settings = load_settings(
        data_dir=tmp_path / "member",
        secret_key=SECRET,
        member_hub_url=HUB,
        member_hub_public_key_file=pem_file,
        member_api_key_file=key_file,
        member_storage_urls=[
            f"http://storage.example.test:{storage}/uploads/",
            "http://private.example.test/media/",
        ],
    )
    deployment = MemberDeployment.from_settings(
        settings,
        sessions,
        connect=lambda: _bridge(client, world.keys[Role.reviewer]),
        resolver=StaticHosts(
            {"storage.example.test": ["127.0.0.1"], "private.example.test": ["10.0.0.5"]}
        ),
    )
    deployment.schedule.run_once()  # the first sync, before the server answers
    app = create_app(
        settings, engine=sessions.kw["bind"].engine, sessions=sessions, member=deployment
    )
    with TestClient(app, base_url="http://member.test", follow_redirects=False) as member_client:
        yield Member(
            app,
            member_client,
            deployment,
            {"Authorization": f"Bearer {world.keys[Role.reviewer]}"},
            {"Authorization": f"Bearer {admin_key}"},
            synced_ids,
        )


def _local_bank(m: Member, name: str, *hashes: str, negative: bool = False) -> list[int]:
    created = m.client.post(
        "/api/v1/member/banks", headers=m.admin, json={"name": name, "negative": negative}
    )
    assert created.status_code == 201, created.text
    added = m.client.post(
        f"/api/v1/member/banks/{name}/entries",
        headers=m.admin,
        json={"entries": [{"signal_type": "pdq", "signal": h} for h in hashes]},
    )
    assert added.status_code == 200, added.text
    return [e["id"] for e in added.json()["entries"]]


def _events(session: Session, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    """(subject id, details) of each audit event of ``event_type``, oldest first."""
    return [
        (e.subject_id, json.loads(e.details))
        for e in session.execute(
            select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)
        ).scalars()
    ]


def _uploads(session: Session) -> int:
    return session.execute(select(func.count()).select_from(MemberUpload)).scalar_one()


def test_every_member_route_declares_one_guard(member: Member) -> None:
    paths = {r.path for r in api_routes(member.app)}
    assert {
        "/api/v1/member/match/file",
        "/api/v1/member/match/url",
        "/m/lookup",
        "/h/hash",
    } <= paths
    for route in api_routes(member.app):
        if route.path.startswith(("/api/v1/member", "/m/", "/h/")):
            assert route_guard(route) is not None, route.path
    document = member.client.get("/api/v1/openapi.json").json()
    upload = document["paths"]["/api/v1/member/match/file"]["post"]
    assert upload["x-permission"] == "banks:match:query"
    assert {"400", "401", "403", "413"} <= set(upload["responses"])


def test_hash_matches_a_synced_and_a_local_bank(member: Member, session: Session) -> None:
    local_ids = _local_bank(member, "own-finds", pdq_hex(7))
    response = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={
            "reference": "upload-42",
            "signals": [
                {"signal_type": "pdq", "signal": flip_bits(pdq_hex(2), 5)},
                {"signal_type": "pdq", "signal": pdq_hex(7)},
                {"signal_type": "pdq", "signal": pdq_hex(99)},
            ],
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["matched"] is True and answer["suppressed"] is False
    assert answer["banks"] == {SYNCED: 1}
    synced, local, miss = answer["results"]
    [hit] = synced["matches"]
    assert (hit["origin"], hit["bank"], hit["entry_id"], hit["distance"]) == (
        "synced",
        SYNCED,
        member.synced_ids[1],
        5,
    )
    assert hit["classification"]["iwf"] == "A" and hit["verified"] is False
    assert (hit["query_form"], hit["variant"], hit["suppressed"]) == ("original", "original", False)
    [own] = local["matches"]
    assert (own["origin"], own["bank"], own["entry_id"], own["distance"]) == (
        "local",
        "own-finds",
        local_ids[0],
        0,
    )
    assert miss["matches"] == []
    upload = session.get_one(MemberUpload, answer["upload_id"])
    assert (upload.kind, upload.reference, upload.matched) == ("hash", "upload-42", 2)
    assert sorted((m.origin, m.bank) for m in upload.matches) == [
        ("local", "own-finds"),
        ("synced", SYNCED),
    ]
    [(subject, details)] = _events(session, "member_upload:matched")
    assert subject == str(upload.id) and details["matched"] == 2


def test_a_miss_writes_nothing(member: Member, session: Session) -> None:
    response = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={"signals": [{"signal_type": "md5", "signal": "0" * 32}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["upload_id"] is None and response.json()["matched"] is False
    assert _uploads(session) == 0


def test_a_negative_bank_suppresses_the_same_content(member: Member, session: Session) -> None:
    _local_bank(member, "known-harmless", pdq_hex(1), negative=True)
    response = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={
            "signals": [
                {"signal_type": "pdq", "signal": pdq_hex(1)},
                {"signal_type": "pdq", "signal": pdq_hex(2)},
            ]
        },
    )
    assert response.status_code == 200, response.text
    silenced, kept = response.json()["results"]
    assert silenced["suppressed_by"] == [{"origin": "local", "bank": "known-harmless"}]
    assert [(m["bank"], m["suppressed"]) for m in silenced["matches"]] == [(SYNCED, True)]
    assert kept["suppressed_by"] == [] and kept["matches"][0]["suppressed"] is False
    upload = session.get_one(MemberUpload, response.json()["upload_id"])
    assert upload.matched == 1 and upload.suppressed_by == ["local:known-harmless"]
    # HMA leaves out what its ignore lists hold.
    lookup = member.client.get(
        "/m/lookup", headers=member.reviewer, params={"signal_type": "pdq", "signal": pdq_hex(1)}
    )
    assert lookup.status_code == 200 and lookup.json() == {}


def test_hma_lookup_answers_in_hmas_shape(member: Member) -> None:
    lookup = member.client.get(
        "/m/lookup",
        headers=member.reviewer,
        params={"signal_type": "pdq", "signal": flip_bits(pdq_hex(1), 3)},
    )
    assert lookup.status_code == 200, lookup.text
    assert lookup.json() == {SYNCED: [{"bank_content_id": member.synced_ids[0], "distance": "3"}]}
    raw = member.client.get(
        "/m/raw_lookup",
        headers=member.reviewer,
        params={
            "signal_type": "pdq",
            "signal": flip_bits(pdq_hex(1), 3),
            "include_distance": "true",
        },
    )
    assert raw.json() == {"matches": [{"content_id": member.synced_ids[0], "distance": "3"}]}
    missing = member.client.get("/m/lookup", headers=member.reviewer, params={"signal": "ab"})
    assert missing.status_code == 400
    bad = member.client.get(
        "/m/lookup", headers=member.reviewer, params={"signal_type": "pdq", "signal": "zz"}
    )
    assert bad.status_code == 400 and "signal 1" in bad.json()["error"]["message"]
    anonymous = member.client.get("/m/lookup", params={"signal_type": "pdq", "signal": "ab"})
    assert anonymous.status_code == 401


def test_a_file_is_hashed_in_memory_and_matched(member: Member, session: Session) -> None:
    data = picture(5)
    _local_bank(member, "own-pictures", pdq.hash_file(data).hex)
    response = member.client.post(
        "/api/v1/member/match/file",
        headers=member.reviewer,
        files={"file": ("photo.png", data, "image/png")},
        data={"reference": "post-7"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    results = {r["signal_type"]: r for r in answer["results"]}
    assert set(results) == {"pdq", "md5", "sha1", "sha256"}
    assert [(m["bank"], m["distance"]) for m in results["pdq"]["matches"]] == [("own-pictures", 0)]
    assert answer["kind"] == "file" and answer["reference"] == "post-7"
    # HMA's file lookup: per signal type.
    hma = member.client.post(
        "/m/lookup", headers=member.reviewer, files={"file": ("p.png", data, "image/png")}
    )
    assert hma.status_code == 200, hma.text
    assert set(hma.json()["pdq"]) == {"own-pictures"} and hma.json()["md5"] == {}


def test_an_upload_that_is_not_an_image_is_refused(member: Member, session: Session) -> None:
    response = member.client.post(
        "/api/v1/member/match/file",
        headers=member.reviewer,
        files={"file": ("notes.txt", b"plain text, not a picture", "text/plain")},
    )
    assert response.status_code == 400
    assert "not an image or a video" in response.json()["error"]["message"]
    nul = member.client.post(
        "/api/v1/member/match/file",
        headers=member.reviewer,
        files={"file": ("p.png", picture(2), "image/png")},
        data={"reference": "a\x00b"},
    )
    assert nul.status_code == 400 and "without NUL" in nul.json()["error"]["message"]
    no_file = member.client.post(
        "/api/v1/member/match/file", headers=member.reviewer, data={"reference": "x"}
    )
    assert no_file.status_code == 400
    assert _uploads(session) == 0
    refused = _events(session, "member_upload:refused")
    assert [(d["kind"], d["reason"]) for _, d in refused] == [
        ("file", "not_media"),
        ("file", "invalid_input"),
        ("file", "not_media"),
    ]


def test_a_url_of_the_members_storage_is_fetched_and_matched(
    member: Member, session: Session, storage: int
) -> None:
    _local_bank(member, "own-pictures", pdq.hash_file(picture(3)).hex)
    url = f"http://storage.example.test:{storage}/uploads/a.png"
    response = member.client.post(
        "/api/v1/member/match/url", headers=member.reviewer, json={"url": url}
    )
    assert response.status_code == 200, response.text
    pdq_result = response.json()["results"][0]
    assert [m["bank"] for m in pdq_result["matches"]] == ["own-pictures"]
    assert session.get_one(MemberUpload, response.json()["upload_id"]).url == url
    hma = member.client.get("/m/lookup", headers=member.reviewer, params={"url": url})
    assert hma.status_code == 200 and set(hma.json()["pdq"]) == {"own-pictures"}


def test_hmas_hash_route_hashes_a_file_or_a_storage_url_and_keeps_nothing(
    member: Member, session: Session, storage: int
) -> None:
    """``/h/hash`` as HMA has it: the hashes by signal type, of a file (in a part named
    ``photo`` as HMA names it, or ``file``) or of a URL of the member's storage."""
    data = picture(5)
    posted = member.client.post(
        "/h/hash", headers=member.reviewer, files={"photo": ("p.png", data, "image/png")}
    )
    assert posted.status_code == 200, posted.text
    assert set(posted.json()) == {"pdq", "md5", "sha1", "sha256"}
    assert posted.json()["pdq"] == pdq.hash_file(data).hex
    only = member.client.post(
        "/h/hash",
        headers=member.reviewer,
        params={"types": "pdq"},
        files={"file": ("p.png", data, "image/png")},
    )
    assert only.json() == {"pdq": pdq.hash_file(data).hex}
    url = f"http://storage.example.test:{storage}/uploads/a.png"
    fetched = member.client.get("/h/hash", headers=member.reviewer, params={"url": url})
    assert fetched.status_code == 200 and fetched.json()["pdq"] == pdq.hash_file(picture(3)).hex
    assert _uploads(session) == 0  # hashed, not matched: no upload recorded

    refused = {
        "outside the storage": member.client.get(
            "/h/hash", headers=member.reviewer, params={"url": "http://203.0.113.7/a.png"}
        ),
        "not a picture": member.client.post(
            "/h/hash", headers=member.reviewer, files={"file": ("n.txt", b"text", "text/plain")}
        ),
        "two files": member.client.post(
            "/h/hash",
            headers=member.reviewer,
            files=[("photo", ("a.png", data, "image/png")), ("file", ("b.png", data, "image/png"))],
        ),
        "a type it has not": member.client.post(
            "/h/hash",
            headers=member.reviewer,
            params={"types": "vpdq"},
            files={"file": ("p.png", data, "image/png")},
        ),
        "an empty choice": member.client.post(
            "/h/hash",
            headers=member.reviewer,
            params={"types": " , "},
            files={"file": ("p.png", data, "image/png")},
        ),
    }
    for why, answer in refused.items():
        assert answer.status_code == 400, (why, answer.text)
    assert "no vpdq hash" in refused["a type it has not"].json()["error"]["message"]
    assert len(_events(session, "member_upload:refused")) == len(refused)
    anonymous = member.client.post("/h/hash", files={"file": ("p.png", data, "image/png")})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://203.0.113.7/uploads/a.png", "not under an allowed storage prefix"),
        ("http://10.0.0.5/media/a.png", "not under an allowed storage prefix"),
        ("http://private.example.test/media/a.png", "private 10.0.0.5"),
        ("http://storage.example.test:{port}/uploads/../admin", "dot segments"),
        ("http://storage.example.test:{port}/other/a.png", "not under an allowed storage prefix"),
        ("http://user@storage.example.test:{port}/uploads/a.png", "credentials"),
        ("file:///etc/passwd", "only http and https"),
        ("http://storage.example.test:{port}/uploads/notes.txt", "not an image or a video"),
        ("http://storage.example.test:{port}/uploads/moved", "answered 302"),
    ],
)
def test_urls_outside_the_storage_are_refused_and_audited(
    member: Member, session: Session, storage: int, url: str, words: str
) -> None:
    response = member.client.post(
        "/api/v1/member/match/url",
        headers=member.reviewer,
        json={"url": url.format(port=storage), "reference": "r1"},
    )
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]
    assert _uploads(session) == 0
    [(_, details)] = _events(session, "member_upload:refused")
    assert details["kind"] == "url" and words in details["message"]


def test_a_file_missing_from_the_storage_is_404(member: Member, storage: int) -> None:
    url = f"http://storage.example.test:{storage}/uploads/gone.png"
    response = member.client.post(
        "/api/v1/member/match/url", headers=member.reviewer, json={"url": url}
    )
    assert response.status_code == 404


def test_local_banks_are_the_members_own(member: Member, world: World) -> None:
    _local_bank(member, "own-finds", pdq_hex(7))
    taken = member.client.post("/api/v1/member/banks", headers=member.admin, json={"name": SYNCED})
    assert taken.status_code == 409 and "synced bank" in taken.json()["error"]["message"]
    listed = member.client.get("/api/v1/member/banks", headers=member.admin)
    assert [b["name"] for b in listed.json()] == ["own-finds"]
    # A reviewer matches but does not manage banks.
    refused = member.client.post(
        "/api/v1/member/banks/own-finds/entries",
        headers=member.reviewer,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(8)}]},
    )
    assert refused.status_code == 403
    entries = member.client.get("/api/v1/banks/own-finds/entries", headers=member.admin)
    [entry] = entries.json()
    removed = member.client.post(
        "/api/v1/member/banks/own-finds/entries/remove",
        headers=member.admin,
        json={"ids": [entry["id"]]},
    )
    assert removed.json() == {"removed": 1}
    after = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={"signals": [{"signal_type": "pdq", "signal": pdq_hex(7)}]},
    )
    assert after.json()["results"][0]["matches"] == []


def test_the_schedule_syncs_in_the_background_and_stops(
    member: Member, client: TestClient, world: World, session: Session
) -> None:
    schedule = member.deployment.schedule
    assert schedule.running  # started with the app
    before = schedule.health.syncs
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    client.post(
        f"/api/v1/banks/{SYNCED}/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(3)}]},
    )
    schedule.run_once()  # what the thread runs at each turn
    assert schedule.health.syncs > before
    assert schedule.store.checkpoint(SYNCED) == 2
    assert schedule.store.find("pdq", pdq_hex(3))[0]
    applied = _events(session, "member_sync:applied")
    assert applied[-1][1]["applied"] == {SYNCED: 2}
    member.client.__exit__(None, None, None)  # a graceful stop of the server
    assert not schedule.running


def test_the_schedules_thread_runs_syncs_until_stopped(
    member: Member, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    profile = replace(member.deployment.profile, sync_seconds=0.01, sync_jitter=0.5)
    schedule = BankSchedule(
        profile,
        sessions,
        max_manifest_age=timedelta(hours=1),
        connect=lambda: _bridge(client, world.keys[Role.reviewer]),
    )
    member.client.__exit__(None, None, None)  # the server's own thread stopped first
    schedule.start()
    try:
        for _ in range(6000):  # the main thread waits, touching no database meanwhile
            if schedule.health.syncs >= 2:
                break
            threading.Event().wait(0.01)
    finally:
        schedule.stop()
    assert schedule.health.syncs >= 2 and schedule.health.failures == 0
    assert not schedule.running


def test_a_failed_sync_is_audited_and_the_last_copy_answers(
    member: Member, session: Session
) -> None:
    schedule = member.deployment.schedule

    def unreachable() -> httpx.Client:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        return httpx.Client(base_url=HUB, transport=httpx.MockTransport(refuse))

    schedule._connect = unreachable
    with pytest.raises(Exception, match="cannot reach the platform"):
        schedule.run_once()
    assert schedule.health.failures == 1
    assert _events(session, "member_sync:failed")[-1][1]["error"].startswith("HubError")
    assert schedule.store.checkpoint(SYNCED) == 1  # still answering from the last copy


def test_a_synced_negative_bank_suppresses_a_local_match(
    member: Member, client: TestClient, world: World
) -> None:
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={
            "name": "hub-harmless",
            "scope": "policy",
            "suppression": True,
            "subscriber_kinds": ["industry"],
        },
    )
    client.post(
        "/api/v1/banks/hub-harmless/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(7)}]},
    )
    member.deployment.schedule.run_once()
    _local_bank(member, "own-finds", pdq_hex(7))
    response = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={"signals": [{"signal_type": "pdq", "signal": pdq_hex(7)}]},
    )
    [result] = response.json()["results"]
    assert result["suppressed_by"] == [{"origin": "synced", "bank": "hub-harmless"}]
    assert [(m["bank"], m["suppressed"]) for m in result["matches"]] == [("own-finds", True)]
    assert response.json()["suppressed"] is True and response.json()["matched"] is False
    status = member.client.get("/api/v1/member/status", headers=member.reviewer).json()
    assert status["banks"] == {SYNCED: 1, "hub-harmless": 1} and status["last_error"] is None


def test_only_the_subscribed_banks_are_synced(
    member: Member, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "second-hub", "scope": "policy", "subscriber_kinds": ["industry"]},
    )
    member.client.__exit__(None, None, None)  # the server's own schedule stopped first

    def schedule_for(*banks: str) -> BankSchedule:
        return BankSchedule(
            replace(member.deployment.profile, banks=banks),
            sessions,
            max_manifest_age=timedelta(hours=1),
            connect=lambda: _bridge(client, world.keys[Role.reviewer]),
        )

    first = schedule_for(SYNCED, "no-such-bank")
    report = first.run_once()
    assert report.not_granted == ["no-such-bank"]
    assert sorted(first.store.banks) == [SYNCED]
    second = schedule_for("second-hub")
    report = second.run_once()
    assert report.dropped == [SYNCED] and [r.bank for r in report.applied] == ["second-hub"]
    assert sorted(second.store.banks) == ["second-hub"]


def test_a_matched_upload_opens_its_review_case(
    member: Member, session: Session, storage: int, world: World
) -> None:
    """The member's routes queue what matched for review: the upload's case opens in the
    same transaction, the same content again joins it, and a suppressed match opens none."""

    def hashes(reference: str, headers: dict[str, str], *seeds: int) -> dict[str, Any]:
        response = member.client.post(
            "/api/v1/member/match/hash",
            headers=headers,
            json={
                "reference": reference,
                "signals": [{"signal_type": "pdq", "signal": pdq_hex(s)} for s in seeds],
            },
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    first = hashes("photo-1", member.reviewer, 1)
    case = session.get_one(Case, first["case_id"])
    assert (case.content_id, case.organisation_id) == ("photo-1", world.orgs[OrgKind.industry].id)
    again = hashes("photo-1", member.reviewer, 2)
    assert again["case_id"] == first["case_id"]
    session.expire_all()
    assert sorted(m.entry_id for m in session.get_one(Case, first["case_id"]).matches) == sorted(
        member.synced_ids
    )
    _local_bank(member, "never-act", pdq_hex(1), negative=True)
    assert hashes("photo-2", member.reviewer, 1)["case_id"] is None
    assert hashes("photo-3", member.reviewer, 99)["case_id"] is None  # a miss
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}  # may match, not open
    assert hashes("photo-4", analyst, 2)["case_id"] is None
    assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_a_confirmed_case_reaches_the_police_of_the_uploaders_country(
    member: Member, client: TestClient, session: Session, world: World
) -> None:
    """The member's case, confirmed, goes to the hub as an industry report: the hashes
    member mode matched for its content and the uploader's details, never the media; sent
    again, it is the same report."""
    answer = member.client.post(
        "/api/v1/member/match/hash",
        headers=member.reviewer,
        json={"reference": "photo-9", "signals": [{"signal_type": "pdq", "signal": pdq_hex(1)}]},
    ).json()
    case = session.get_one(Case, answer["case_id"])
    reviewer = authenticate_api_key(session, world.keys[Role.reviewer])
    assert isinstance(reviewer, Principal)
    uploader = UploaderIn.model_validate(
        {
            "account_id": "user-9",
            "ip_addresses": [{"ip": "192.0.2.9", "at": "2026-12-01T10:00:00+00:00"}],
            "declared_country": "NL",
        }
    )

    def report(classification: str | None = "A2") -> Any:
        return report_of_case(
            session,
            reviewer,
            case.reference,
            uploader,
            classification=classification,
            child_at_risk=False,
            note="",
        )

    with pytest.raises(Conflict, match="only a confirmed case"):
        report()
    decisions.decide(session, reviewer, case.reference, DecisionIn(decision="confirm"))
    with pytest.raises(InvalidInput, match="classification"):
        report(None)  # its bank says IWF A, not the industry scheme
    built = report()
    assert [(h.signal_type, h.value) for h in built.hashes] == [("pdq", pdq_hex(1))]
    assert [(m.bank, m.entry_id) for m in built.bank_matches] == [(SYNCED, member.synced_ids[0])]
    hub = IndustryReports(_bridge(client, world.keys[Role.reviewer]), sleep=lambda _s: None)
    sent = hub.submit(built)
    assert (sent.case_reference, sent.country, sent.created) == (case.reference, "NL", True)
    assert hub.submit(report()).reference == sent.reference
