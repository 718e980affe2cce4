"""Notice and takedown over the API: intake, the public form, the queue, holds, providers.

The world is tests.support.takedown_world (NL and GB members, providers, a hosts file and
an .mmdb on documentation addresses); the worker runs in-process when routing is needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.db.session import transaction
from alliance.takedown import assessment
from alliance.takedown.models import ContentItem, Report
from alliance.takedown.public import leading_zero_bits, solve
from alliance.takedown.schemas import MetricsReport
from alliance.web import create_app
from tests import factories
from tests.functional.conftest import SECRET
from tests.support.takedown_world import TakedownWorld, takedown_world

URL = "http://photos.example.test/gallery/a.png"
REASON = "operation BLUEBIRD, suspect identified"
Headers = dict[str, str]


@pytest.fixture
def tw(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TakedownWorld]:
    with takedown_world(sessions, tmp_path, secret_key=SECRET, public_reports_per_hour=3) as w:
        yield w


@pytest.fixture
def api(tw: TakedownWorld, engine: Engine, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(tw.settings, engine=engine, sessions=sessions)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def keys(tw: TakedownWorld) -> dict[str, Headers]:
    """Authorization headers of an API key per organisation role (and a second LEA)."""
    with tw.sessions.begin() as session:
        gb_police = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="gb-police")
        wanted = {
            "nl-analyst": (tw.orgs["nl-hotline"], Role.analyst),
            "nl-investigator": (tw.orgs["nl-police"], Role.investigator),
            "gb-analyst": (tw.orgs["gb-hotline"], Role.analyst),
            "gb-investigator": (gb_police, Role.investigator),
            "us-reviewer": (tw.orgs["us-platform"], Role.reviewer),
            "admin": (tw.orgs["secretariat"], Role.secretariat_admin),
        }
        return {
            name: {"Authorization": f"Bearer {factories.api_key(session, org, role)[1]}"}
            for name, (org, role) in wanted.items()
        }


def _report(api: TestClient, who: Headers, *urls: str, **headers: str) -> dict[str, Any]:
    response = api.post("/api/v1/reports", headers=who | headers, json={"urls": list(urls)})
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _routed_item(api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]) -> str:
    """An item reported by the platform and routed by the worker to the NL hotline."""
    [link] = _report(api, keys["us-reviewer"], URL)["items"]
    tw.worker().run_until_idle()
    return str(link["item"])


# --- intake --------------------------------------------------------------------------


def test_report_dedupe_and_idempotency(
    api: TestClient, keys: dict[str, Headers], sessions: sessionmaker[Session]
) -> None:
    nl, gb = keys["nl-analyst"], keys["gb-analyst"]
    first = api.post("/api/v1/reports", headers=nl, json={"urls": [URL], "description": "seen"})
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["reference"].startswith("R-") and receipt["replayed"] is False
    [link] = receipt["items"]
    assert link["new"] is True and link["url"] == URL and link["on_hold_until"] is None

    # The same URL written differently joins the open item.
    other = _report(api, gb, "HTTP://Photos.Example.Test:80/gallery/./a.png?utm_source=x")
    assert other["items"][0]["item"] == link["item"] and other["items"][0]["new"] is False
    item = api.get(f"/api/v1/items/{link['item']}", headers=nl).json()
    assert item["report_count"] == 2
    # A reporter sees its own report of the item; the secretariat sees every report.
    assert item["reports"] == [receipt["reference"]]
    everything = api.get(f"/api/v1/items/{link['item']}", headers=keys["admin"]).json()
    assert set(everything["reports"]) == {receipt["reference"], other["reference"]}

    # A retry with the same Idempotency-Key answers with the first receipt.
    body = {"urls": ["http://img.example.test/b.jpg"]}
    once = api.post("/api/v1/reports", headers=nl | {"Idempotency-Key": "k-1"}, json=body)
    again = api.post("/api/v1/reports", headers=nl | {"Idempotency-Key": "k-1"}, json=body)
    assert (once.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == once.json()["reference"]
    assert again.json()["replayed"] is True
    changed = api.post(
        "/api/v1/reports",
        headers=nl | {"Idempotency-Key": "k-1"},
        json={"urls": ["http://img.example.test/c.jpg"]},
    )
    assert changed.status_code == 409 and "Idempotency-Key" in changed.json()["error"]["message"]
    # Another organisation's key space is its own.
    theirs = api.post("/api/v1/reports", headers=gb | {"Idempotency-Key": "k-1"}, json=body)
    assert theirs.status_code == 201 and theirs.json()["reference"] != once.json()["reference"]

    # The receipt can be read back by the reporter; a stranger gets 404.
    assert api.get(f"/api/v1/reports/{receipt['reference']}", headers=nl).status_code == 200
    stranger = api.get(f"/api/v1/reports/{receipt['reference']}", headers=keys["us-reviewer"])
    assert stranger.status_code == 404
    with sessions() as session:
        assert session.execute(select(func.count(Report.id))).scalar_one() == 4


def test_batch_counts_created_and_joined(api: TestClient, keys: dict[str, Headers]) -> None:
    nl = keys["nl-analyst"]
    _report(api, nl, URL)
    batch = {
        "reports": [
            {"urls": [URL, "http://img.example.test/1.jpg"]},
            {"urls": ["http://img.example.test/1.jpg", "http://pics.example.test/2.jpg"]},
            {"urls": ["https://pics.example.test/3.jpg"], "country_hint": "gb"},
        ]
    }
    headers = nl | {"Idempotency-Key": "batch-7"}
    response = api.post("/api/v1/reports/batch", headers=headers, json=batch)
    assert response.status_code == 201, response.text
    result = response.json()
    assert len(result["reports"]) == 3
    assert (result["items_created"], result["items_joined"]) == (3, 2)
    replay = api.post("/api/v1/reports/batch", headers=headers, json=batch)
    assert replay.status_code == 200
    assert [r["reference"] for r in replay.json()["reports"]] == [
        r["reference"] for r in result["reports"]
    ]
    assert all(r["replayed"] for r in replay.json()["reports"])


def test_bad_urls_are_named_and_nothing_is_saved(
    api: TestClient, keys: dict[str, Headers], sessions: sessionmaker[Session]
) -> None:
    for bad in ("ftp://files.example.test/a.png", "http://127.0.0.1/a.png", "not a url"):
        response = api.post(
            "/api/v1/reports", headers=keys["nl-analyst"], json={"urls": [URL, bad]}
        )
        assert response.status_code == 400, (bad, response.text)
        message = response.json()["error"]["message"]
        assert "nothing was saved" in message and bad in message, message
    batch = api.post(
        "/api/v1/reports/batch",
        headers=keys["nl-analyst"],
        json={"reports": [{"urls": [URL]}, {"urls": ["javascript:alert(1)"]}]},
    )
    assert batch.status_code == 400 and "report 2" in batch.json()["error"]["message"]
    with sessions() as session:
        assert session.execute(select(func.count(ContentItem.id))).scalar_one() == 0
        assert session.execute(select(func.count(Report.id))).scalar_one() == 0
    empty = api.post("/api/v1/reports", headers=keys["nl-analyst"], json={"urls": []})
    assert empty.status_code == 422


# --- the public form -----------------------------------------------------------------


def _challenge(api: TestClient) -> tuple[str, int]:
    response = api.get("/api/v1/public/challenge")
    assert response.status_code == 200
    body = response.json()
    return str(body["challenge"]), int(body["bits"])


def _public(api: TestClient, url: str, challenge: str, nonce: str) -> tuple[int, dict[str, Any]]:
    response = api.post(
        "/api/v1/public/reports",
        json={"url": url, "challenge": challenge, "nonce": nonce, "contact": "me@example.test"},
    )
    return response.status_code, response.json()


def test_public_report_proof_of_work_and_rate_limit(
    api: TestClient, keys: dict[str, Headers], sessions: sessionmaker[Session]
) -> None:
    # A hold on the domain: the anonymous reporter must learn nothing of it.
    placed = api.post(
        "/api/v1/holds",
        headers=keys["nl-investigator"],
        json={"target_type": "domain", "target_value": "example.test", "reason": REASON},
    )
    assert placed.status_code == 201, placed.text

    challenge, bits = _challenge(api)
    assert bits == 4
    nonce = solve(challenge, bits)
    status, body = _public(api, URL, challenge, nonce)
    assert status == 201, body
    assert set(body) == {"reference", "message"} and body["reference"].startswith("R-")
    with sessions() as session:
        report = session.execute(select(Report).where(Report.reference == body["reference"]))
        assert report.scalar_one().reporter_contact == "me@example.test"

    # A spent challenge is refused, and so is a nonce that does not solve one.
    assert _public(api, URL, challenge, nonce)[0] == 409
    fresh, _ = _challenge(api)
    wrong = next(
        str(n)
        for n in range(1000)
        if leading_zero_bits(hashlib.sha256(f"{fresh}:{n}".encode()).digest()) < 4
    )
    status, body = _public(api, URL, fresh, wrong)
    assert status == 400 and "not completed" in body["error"]["message"]
    forged = fresh.rsplit(".", 1)[0] + ".00000000000000000000000000000000"
    assert _public(api, URL, forged, solve(forged, 4))[0] == 400

    # Three reports an hour from one address (this test's setting); the fourth waits.
    for _ in range(2):
        challenge, bits = _challenge(api)
        assert _public(api, URL, challenge, solve(challenge, bits))[0] == 201
    challenge, bits = _challenge(api)
    response = api.post(
        "/api/v1/public/reports",
        json={"url": URL, "challenge": challenge, "nonce": solve(challenge, bits)},
    )
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    with sessions() as session:
        assert session.execute(select(ContentItem.report_count)).scalar_one() == 3


# --- the queue -----------------------------------------------------------------------


def test_queue_assessment_and_claims(
    api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]
) -> None:
    reference = _routed_item(api, tw, keys)
    nl = keys["nl-analyst"]
    queue = api.get("/api/v1/queue", headers=nl)
    assert [i["reference"] for i in queue.json()] == [reference]
    assert queue.json()[0]["stage"] == "awaiting_assessment"
    assert queue.json()[0]["assigned_to"] == tw.orgs["nl-hotline"].name
    assert api.get("/api/v1/queue", headers=keys["gb-analyst"]).json() == []
    listed = api.get("/api/v1/items?stage=awaiting_assessment&country=NL", headers=nl).json()
    assert [i["reference"] for i in listed] == [reference]
    assert api.get("/api/v1/items?q=photos.example", headers=nl).json()[0]["provider"]
    # "%" and "_" match themselves, not any text: this URL contains neither.
    for wildcard in ("%", "_", "photos%gallery", "photos_example"):
        assert api.get("/api/v1/items", params={"q": wildcard}, headers=nl).json() == []
    assert api.get("/api/v1/items?stage=removed", headers=nl).json() == []
    # The GB hotline neither sees it nor may assess it.
    assert api.get(f"/api/v1/items/{reference}", headers=keys["gb-analyst"]).status_code == 404

    # A hotline's case tool claims through the API with its key, then lets go.
    claimed_by_key = api.post("/api/v1/queue/claim", headers=nl)
    assert claimed_by_key.status_code == 200 and claimed_by_key.json()["reference"] == reference
    assert api.post("/api/v1/queue/claim", headers=nl).status_code == 204  # nothing left
    assert api.post(f"/api/v1/items/{reference}/release", headers=nl).status_code == 200
    # An analyst (in the web UI) claims it; the key may then neither release nor assess it.
    with transaction(tw.sessions) as session:
        claimed = assessment.claim_next(session, tw.principal("nl-analyst"), tw.settings)
        assert claimed is not None and claimed.reference == reference
    with transaction(tw.sessions) as session:
        assert assessment.claim_next(session, tw.principal("nl-analyst-2"), tw.settings) is None
    assert api.get("/api/v1/queue", headers=nl).json()[0]["claimed"] is True
    verdict = {"classification": "baseline", "age_group": "pre_pubescent", "note": "checked"}
    busy = api.post(f"/api/v1/items/{reference}/assessment", headers=nl, json=verdict)
    assert busy.status_code == 409 and "another analyst" in busy.json()["error"]["message"]
    assert api.post(f"/api/v1/items/{reference}/release", headers=nl).status_code == 409
    with transaction(tw.sessions) as session:
        assessment.release_item(session, tw.principal("nl-analyst"), reference)

    done = api.post(f"/api/v1/items/{reference}/assessment", headers=nl, json=verdict)
    assert done.status_code == 200, done.text
    detail = done.json()
    assert detail["stage"] == "notice_pending" and detail["classification"] == "baseline"
    assert detail["assessments"][0]["note"] == "checked"
    assert {"received", "routed", "assessed"} <= {e["kind"] for e in detail["events"]}
    assert api.get("/api/v1/queue", headers=nl).json() == []
    # Out of the queue, but it may still be claimed for a second look (re-assessment).
    again = api.post(f"/api/v1/items/{reference}/claim", headers=nl)
    assert again.status_code == 200 and again.json()["claimed"] is True
    assert api.post(f"/api/v1/items/{reference}/release", headers=nl).status_code == 200
    # The platform that reported it sees its own report, without the analyst's note.
    theirs = api.get(f"/api/v1/items/{reference}", headers=keys["us-reviewer"]).json()
    assert theirs["assessments"][0]["note"] == "" and len(theirs["reports"]) == 1


def test_manual_routing(api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]) -> None:
    [link] = _report(api, keys["us-reviewer"], "http://nowhere.example.test/x.png")["items"]
    tw.worker().run_until_idle()
    reference = link["item"]
    admin = keys["admin"]
    assert api.get(f"/api/v1/items/{reference}", headers=admin).json()["stage"] == "unresolved"
    body = {"country_code": "gb", "note": "provider confirmed by phone"}
    denied = api.post(f"/api/v1/items/{reference}/route", headers=keys["nl-analyst"], json=body)
    assert denied.status_code == 403
    routed = api.post(f"/api/v1/items/{reference}/route", headers=admin, json=body)
    assert routed.status_code == 200, routed.text
    assert routed.json()["country_code"] == "GB"
    assert routed.json()["assigned_to"] == tw.orgs["gb-hotline"].name
    queue = api.get("/api/v1/queue", headers=keys["gb-analyst"]).json()
    assert [i["reference"] for i in queue] == [reference]
    bad = api.post(f"/api/v1/items/{reference}/route", headers=admin, json={"country_code": "X"})
    assert bad.status_code == 422


# --- holds and deconfliction -----------------------------------------------------------


def test_only_law_enforcement_places_holds(api: TestClient, keys: dict[str, Headers]) -> None:
    body = {"target_type": "url", "target_value": URL, "reason": REASON}
    for who in ("nl-analyst", "us-reviewer", "admin"):
        response = api.post("/api/v1/holds", headers=keys[who], json=body)
        assert response.status_code == 403, (who, response.text)
    assert api.get("/api/v1/holds", headers=keys["nl-analyst"]).status_code == 403


def test_hold_is_secret_from_everyone_but_its_agency(
    api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]
) -> None:
    lea, other_lea = keys["nl-investigator"], keys["gb-investigator"]
    placed = api.post(
        "/api/v1/holds",
        headers=lea,
        json={"target_type": "domain", "target_value": "Photos.Example.Test", "reason": REASON},
    )
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert hold["reason"] == REASON and hold["active"] is True
    assert hold["target_value"] == "photos.example.test" and hold["reference"].startswith("H-")
    duplicate = api.post(
        "/api/v1/holds",
        headers=lea,
        json={"target_type": "domain", "target_value": "photos.example.test", "reason": REASON},
    )
    assert duplicate.status_code == 409

    # Another organisation reports a held URL: it learns "on hold until", nothing more.
    receipt = api.post("/api/v1/reports", headers=keys["us-reviewer"], json={"urls": [URL]})
    assert receipt.json()["items"][0]["on_hold_until"] is not None
    reference = receipt.json()["items"][0]["item"]
    tw.worker().run_until_idle()
    responses = [
        receipt,
        api.get(f"/api/v1/items/{reference}", headers=keys["nl-analyst"]),
        api.get(f"/api/v1/items/{reference}", headers=keys["us-reviewer"]),
        api.get("/api/v1/items", headers=keys["nl-analyst"]),
        api.get("/api/v1/queue", headers=keys["nl-analyst"]),
        api.get(f"/api/v1/holds/{hold['reference']}", headers=keys["admin"]),
        api.get("/api/v1/holds", headers=keys["admin"]),
        api.get("/api/v1/holds", headers=other_lea),
        api.get("/api/v1/alerts", headers=other_lea),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert REASON not in response.text and "BLUEBIRD" not in response.text
    seen = responses[1].json()["hold"]
    assert seen["on_hold"] is True and seen["until"] is not None
    assert responses[5].json()["reason"] is None and responses[5].json()["placed_by"] is None
    assert responses[7].json() == [] and responses[8].json() == []
    # Another agency may not even learn the hold exists; a hotline may not read holds.
    assert api.get(f"/api/v1/holds/{hold['reference']}", headers=other_lea).status_code == 404
    assert (
        api.get(f"/api/v1/holds/{hold['reference']}", headers=keys["nl-analyst"]).status_code == 403
    )
    assert (
        api.post(f"/api/v1/holds/{hold['reference']}/release", headers=other_lea).status_code == 404
    )

    # The agency sees its hold, the item it holds, and the alert the report raised.
    own = api.get(f"/api/v1/holds/{hold['reference']}", headers=lea).json()
    assert own["reason"] == REASON and own["items"] == [reference]
    assert [h["reference"] for h in api.get("/api/v1/holds", headers=lea).json()] == [
        hold["reference"]
    ]
    alerts = api.get("/api/v1/alerts?unacknowledged=true", headers=lea).json()
    assert alerts and all(
        (a["source"], a["source_reference"]) == ("hold", hold["reference"]) for a in alerts
    )
    assert api.get("/api/v1/alerts?source=series", headers=lea).json() == []
    from_platform = next(a for a in alerts if a["action"] == "report")
    assert from_platform["subject"] == reference and from_platform["count"] == 1
    assert from_platform["touched_by_organisation"] == tw.orgs["us-platform"].name
    alert_id = from_platform["id"]
    assert api.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=other_lea).status_code == 404
    acknowledged = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=lea)
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"]
    remaining = api.get("/api/v1/alerts?unacknowledged=true", headers=lea).json()
    assert alert_id not in [a["id"] for a in remaining]
    assert alert_id in [a["id"] for a in api.get("/api/v1/alerts", headers=lea).json()]

    # Renew, release; a released hold is history.
    renewed = api.post(f"/api/v1/holds/{hold['reference']}/renew", headers=lea, json={"days": 10})
    assert renewed.status_code == 200 and renewed.json()["renewals"] == 1
    too_long = api.post(
        f"/api/v1/holds/{hold['reference']}/renew", headers=lea, json={"days": 100_000}
    )
    assert too_long.status_code == 400
    released = api.post(f"/api/v1/holds/{hold['reference']}/release", headers=lea)
    assert released.status_code == 200 and released.json()["active"] is False
    assert api.post(f"/api/v1/holds/{hold['reference']}/release", headers=lea).status_code == 409
    assert api.get("/api/v1/holds", headers=lea).json() == []
    ended = api.get("/api/v1/holds?include_ended=true", headers=lea).json()
    assert [h["reference"] for h in ended] == [hold["reference"]]
    item = api.get(f"/api/v1/items/{reference}", headers=keys["nl-analyst"]).json()
    assert item["hold"] == {"on_hold": False, "until": None}


# --- providers and metrics ------------------------------------------------------------


def test_provider_directory(api: TestClient, keys: dict[str, Headers]) -> None:
    listed = api.get("/api/v1/providers", headers=keys["us-reviewer"])
    assert [p["slug"] for p in listed.json()] == ["gb-host", "nl-host", "silent-host"]
    one = api.get("/api/v1/providers/nl-host", headers=keys["nl-analyst"]).json()
    assert one["asns"] == [64500] and one["has_contact"] is True
    assert api.get("/api/v1/providers/nope", headers=keys["nl-analyst"]).status_code == 404

    body = {
        "slug": "new-host",
        "name": "New Host",
        "country_code": "nl",
        "asns": [64510],
        "abuse_email": "abuse@new-host.example.test",
    }
    for who in ("nl-analyst", "nl-investigator", "us-reviewer"):
        assert api.post("/api/v1/providers", headers=keys[who], json=body).status_code == 403
        assert api.put("/api/v1/providers/nl-host", headers=keys[who], json=body).status_code == 403
    admin = keys["admin"]
    created = api.post("/api/v1/providers", headers=admin, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["country_code"] == "NL"
    assert api.post("/api/v1/providers", headers=admin, json=body).status_code == 409
    taken = api.post(
        "/api/v1/providers", headers=admin, json=body | {"slug": "copy-host", "asns": [64500]}
    )
    assert taken.status_code == 409 and "AS64500" in taken.json()["error"]["message"]
    updated = api.put(
        "/api/v1/providers/new-host",
        headers=admin,
        json=body | {"name": "New Host B.V.", "batch_notices": True},
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "New Host B.V." and updated.json()["batch_notices"] is True
    invalid = api.post("/api/v1/providers", headers=admin, json=body | {"slug": "Bad Slug"})
    assert invalid.status_code == 422
    # A provider that is an industry member takes part; a hotline cannot be one.
    joined = api.put(
        "/api/v1/providers/new-host", headers=admin, json=body | {"member": "us-platform"}
    )
    assert joined.status_code == 200 and joined.json()["member"] == "us-platform"
    hotline = api.put(
        "/api/v1/providers/new-host", headers=admin, json=body | {"member": "nl-hotline"}
    )
    assert hotline.status_code == 400 and "not a company" in hotline.json()["error"]["message"]
    left = api.put("/api/v1/providers/new-host", headers=admin, json=body)
    assert left.status_code == 200 and left.json()["member"] is None


def test_takedown_metrics(api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]) -> None:
    reference = _routed_item(api, tw, keys)
    assessed = api.post(
        f"/api/v1/items/{reference}/assessment",
        headers=keys["nl-analyst"],
        json={"classification": "baseline"},
    )
    assert assessed.status_code == 200
    response = api.get("/api/v1/metrics/takedown?group_by=country", headers=keys["us-reviewer"])
    assert response.status_code == 200, response.text
    report = MetricsReport.model_validate(response.json())
    assert report.group_by == "country" and report.overall.items == 1
    assert [row.group for row in report.rows] == ["NL"]
    since = api.get(
        "/api/v1/metrics/takedown",
        params={"group_by": "all", "since": "2999-01-01T00:00:00Z"},
        headers=keys["admin"],
    )
    assert since.status_code == 200 and since.json()["overall"]["items"] == 0
    bad = api.get("/api/v1/metrics/takedown?group_by=planet", headers=keys["admin"])
    assert bad.status_code == 422


def test_lea_clearance_and_recheck_over_the_api(
    api: TestClient, tw: TakedownWorld, keys: dict[str, Headers]
) -> None:
    reference = _routed_item(api, tw, keys)
    nl = keys["nl-analyst"]
    early = api.post(f"/api/v1/items/{reference}/recheck", headers=nl)
    assert early.status_code == 409  # not assessed yet: nothing to re-check for
    assessed = api.post(
        f"/api/v1/items/{reference}/assessment", headers=nl, json={"classification": "baseline"}
    )
    assert assessed.status_code == 200
    assert api.post(f"/api/v1/items/{reference}/clear", headers=nl).status_code == 403
    cleared = api.post(f"/api/v1/items/{reference}/clear", headers=keys["nl-investigator"])
    assert cleared.status_code == 200, cleared.text
    tw.worker().run_until_idle()
    assert api.get(f"/api/v1/items/{reference}", headers=nl).json()["stage"] == "notified"
    assert api.post(f"/api/v1/items/{reference}/recheck", headers=nl).status_code == 200
