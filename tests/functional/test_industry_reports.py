"""Industry reports end to end: a platform's key sends a case and reads its outcome; the
police of the uploader's country find it in their inbox, accept it and record the outcome
(page and API); the secretariat triages what no police received; refusals are clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import services as banks
from alliance.banks.schemas import EntryIn
from tests import factories
from tests.functional.conftest import World, log_in
from tests.unit.industry.conftest import write_test_geo

API = "/api/v1/industry-reports"


@pytest.fixture(autouse=True)
def geo(tmp_path: Path) -> Path:
    """The app's default geolocation file (<data_dir>/hosting.mmdb) over documentation
    ranges: 192.0.2.0/24 is NL, 198.51.100.0/24 DE; 203.0.113.0/24 nowhere."""
    return write_test_geo(tmp_path / "hosting.mmdb")


NOW = datetime.now(UTC).replace(microsecond=0)


def body(reference: str = "CASE-100", ip: str = "192.0.2.44", **more: Any) -> dict[str, Any]:
    """A case as a platform sends it; the same arguments give the same body (a resend)."""
    now = NOW
    return {
        "case_reference": reference,
        "confirmed_at": (now - timedelta(hours=5)).isoformat(),
        "classification": "B2",
        "uploader": {
            "account_id": "user-77",
            "ip_addresses": [{"ip": ip, "at": (now - timedelta(hours=6)).isoformat()}],
        },
        "hashes": [{"signal_type": "md5", "value": "0" * 32}],
        "bank_matches": [{"bank": "baseline", "entry_id": 4, "signal_type": "md5", "distance": 0}],
        **more,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_case_reaches_the_police_who_accept_it_and_the_platform_sees_the_outcome(
    client: TestClient, world: World
) -> None:
    platform = bearer(world.keys[Role.reviewer])
    police = bearer(world.keys[Role.investigator])

    sent = client.post(API, json=body(), headers=platform)
    assert sent.status_code == 201, sent.text
    reference = sent.json()["reference"]
    assert (sent.json()["status"], sent.json()["country"], sent.json()["created"]) == (
        "routed",
        "NL",
        True,
    )
    again = client.post(API, json=body(), headers=platform)
    assert (again.status_code, again.json()["reference"], again.json()["created"]) == (
        200,
        reference,
        False,
    )
    changed = client.post(API, json=body(classification="A1"), headers=platform)
    assert changed.status_code == 409 and "different contents" in changed.text

    [listed] = client.get("/api/v1/industry-inbox", headers=police).json()
    assert (listed["reference"], listed["priority"], listed["account_id"]) == (
        reference,
        "new_material",
        "user-77",
    )
    assert listed["ip_addresses"][0]["country"] == "NL"
    accepted = client.post(f"/api/v1/industry-inbox/{reference}/accept", headers=police)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    twice = client.post(f"/api/v1/industry-inbox/{reference}/accept", headers=police)
    assert twice.status_code == 409
    outcome = client.post(
        f"/api/v1/industry-inbox/{reference}/outcome",
        json={"outcome": "arrest", "note": "thank you"},
        headers=police,
    )
    assert outcome.status_code == 200

    seen = client.get(f"{API}/CASE-100", headers=platform).json()
    assert (seen["status"], seen["outcome"], seen["outcome_note"]) == (
        "accepted",
        "arrest",
        "thank you",
    )
    assert "account_id" not in seen and "lea" not in seen  # status and outcome only
    figures = client.get("/api/v1/metrics/industry-reports", headers=platform).json()
    [nl] = figures["countries"]
    assert (nl["country"], nl["accepted"]) == ("NL", 1) and nl["median_hours"] >= 4.9


def test_bad_input_is_refused_clearly_and_nothing_is_written(
    client: TestClient, world: World
) -> None:
    platform = bearer(world.keys[Role.reviewer])
    media = client.post(API, json=body(media="aGVsbG8="), headers=platform)
    assert media.status_code == 400
    assert "never the media" in media.json()["error"]["message"]
    nested = body()
    nested["hashes"][0]["file_base64"] = "aGVsbG8="
    assert client.post(API, json=nested, headers=platform).status_code == 400
    bad_ip = body(ip="999.0.2.1")
    assert client.post(API, json=bad_ip, headers=platform).status_code == 422
    no_hash = body(hashes=[])
    assert client.post(API, json=no_hash, headers=platform).status_code == 422
    future = body(confirmed_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert client.post(API, json=future, headers=platform).status_code == 422
    assert client.get(f"{API}/CASE-100", headers=platform).status_code == 404


def test_who_may_do_what(client: TestClient, world: World, sessions: sessionmaker[Session]) -> None:
    platform = bearer(world.keys[Role.reviewer])
    reference = client.post(API, json=body(), headers=platform).json()["reference"]
    with sessions.begin() as session:
        other_org = factories.organisation(session, OrgKind.industry, "US")
        _, other_token = factories.api_key(session, other_org, Role.reviewer)
        de = factories.organisation(session, OrgKind.law_enforcement, "DE")
        _, de_token = factories.api_key(session, de, Role.investigator)
    other = bearer(other_token)
    for ref in (reference, "CASE-100"):
        assert client.get(f"{API}/{ref}", headers=other).status_code == 404
    # The other platform's own case of the same reference is its own report.
    assert client.post(API, json=body(), headers=other).json()["reference"] != reference
    # Police of another country: not found; a hotline or the police may not submit.
    assert (
        client.get(f"/api/v1/industry-inbox/{reference}", headers=bearer(de_token)).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/industry-inbox/{reference}/accept", headers=bearer(de_token)
        ).status_code
        == 404
    )
    for role in (Role.analyst, Role.investigator, Role.viewer):
        assert client.post(API, json=body("X"), headers=bearer(world.keys[role])).status_code == 403
    # The secretariat reads status but never the inbox.
    admin = bearer(world.keys[Role.secretariat_admin])
    assert client.get(f"{API}/{reference}", headers=admin).status_code == 200
    assert client.get("/api/v1/industry-inbox", headers=admin).status_code == 403
    assert client.post(API, json=body("Y"), headers=admin).status_code == 403


def test_the_inbox_pages_accept_and_record_an_outcome_with_errors_shown(
    client: TestClient, world: World
) -> None:
    platform = bearer(world.keys[Role.reviewer])
    reference = client.post(
        API, json=body(child_at_risk=True, note="live stream suspected"), headers=platform
    ).json()["reference"]
    csrf = log_in(client, world.usernames[Role.investigator])
    inbox = client.get("/industry-inbox")
    assert reference in inbox.text and "Child possibly at risk" in inbox.text
    page = client.get(f"/industry-inbox/{reference}")
    assert (
        "user-77" in page.text
        and "192.0.2.44" in page.text
        and "live stream suspected" in page.text
    )

    empty = client.post(
        f"/industry-inbox/{reference}/decline", data={"reason": " ", "csrf_token": csrf}
    )
    assert empty.status_code == 400 and "say why" in empty.text
    nowhere = client.post(
        f"/industry-inbox/{reference}/forward", data={"country": "ZZ", "csrf_token": csrf}
    )
    assert nowhere.status_code in (400, 422) and 'value="ZZ"' in nowhere.text
    accepted = client.post(f"/industry-inbox/{reference}/accept", data={"csrf_token": csrf})
    assert accepted.status_code == 303
    bad = client.post(
        f"/industry-inbox/{reference}/outcome",
        data={"outcome": "", "note": "kept", "csrf_token": csrf},
    )
    assert bad.status_code == 400 and "choose an outcome" in bad.text and "kept" in bad.text
    good = client.post(
        f"/industry-inbox/{reference}/outcome",
        data={"outcome": "investigation_opened", "note": "", "csrf_token": csrf},
    )
    assert good.status_code == 303
    assert "Investigation opened" in client.get(f"/industry-inbox/{reference}").text
    assert client.get(f"{API}/{reference}", headers=platform).json()["outcome"] == (
        "investigation_opened"
    )
    metrics = client.get("/metrics/industry-reports")
    assert metrics.status_code == 200 and "country-NL" in metrics.text

    # The platform's own page shows where its report stands and the outcome.
    client.cookies.clear()
    log_in(client, world.usernames[Role.reviewer])
    sent = client.get("/industry-reports")
    assert f"sent-{reference}" in sent.text and "Investigation opened" in sent.text
    assert client.get(f"/industry-inbox/{reference}").status_code == 403


def test_a_match_through_the_query_forms_is_known_material_by_the_entry_it_names(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """An upload matched through its query forms (a frame trimmed, mirrored) has hashes
    of its own that no bank holds: the bank entry its match names makes it known
    material, and a series member's hash there a known series; an entry the hub does not
    hold (or another bank's id) leaves it new material."""
    banked = "a" * 64
    with sessions.begin() as session:
        hotline = factories.organisation(session, OrgKind.hotline, "NL")
        analyst = factories.principal(factories.user(session, hotline, Role.analyst))
        factories.bank(session, hotline, name="forms-bank")
        added = banks.add_entries(
            session, analyst, "forms-bank", [EntryIn(signal_type="pdq", signal=banked)]
        )
        entry_id = added.entries[0].id
    platform = bearer(world.keys[Role.reviewer])
    police = bearer(world.keys[Role.investigator])
    own = [{"signal_type": "pdq", "value": "b" * 64}]  # the upload's own hash: in no bank

    def priority(reference: str, bank: str, entry: int) -> str:
        match = {"bank": bank, "entry_id": entry, "signal_type": "pdq", "distance": 6}
        sent = client.post(
            API, json=body(reference, hashes=own, bank_matches=[match]), headers=platform
        )
        assert sent.status_code == 201, sent.text
        inbox = client.get("/api/v1/industry-inbox", headers=police).json()
        return str(next(r["priority"] for r in inbox if r["reference"] == sent.json()["reference"]))

    assert priority("CASE-F1", "forms-bank", entry_id) == "known_material"
    assert priority("CASE-F2", "forms-bank", entry_id + 1000) == "new_material"
    assert priority("CASE-F3", "no-such-bank", entry_id) == "new_material"


def test_the_secretariat_triages_an_ip_that_does_not_geolocate(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    platform = bearer(world.keys[Role.reviewer])
    sent = client.post(API, json=body(ip="203.0.113.9"), headers=platform).json()
    assert (sent["status"], sent["country"]) == ("triage", None)
    with sessions.begin() as session:
        factories.jurisdiction(session, "FR")
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    page = client.get("/industry-triage")
    assert sent["reference"] in page.text and "no IP address geolocated" in page.text
    no_police = client.post(
        f"/industry-triage/{sent['reference']}/assign", data={"country": "FR", "csrf_token": csrf}
    )
    assert no_police.status_code == 400 and "no law-enforcement member" in no_police.text
    assigned = client.post(
        f"/industry-triage/{sent['reference']}/assign", data={"country": "NL", "csrf_token": csrf}
    )
    assert assigned.status_code == 303
    status = client.get(f"{API}/{sent['reference']}", headers=platform).json()
    assert (status["status"], status["country"]) == ("routed", "NL")


def test_another_report_on_an_accepted_uploader_alerts_the_agency(
    client: TestClient, world: World
) -> None:
    platform = bearer(world.keys[Role.reviewer])
    police = bearer(world.keys[Role.investigator])
    first = client.post(API, json=body("CASE-W1"), headers=platform).json()["reference"]
    client.post(f"/api/v1/industry-inbox/{first}/accept", headers=police)
    # The same account, a case of its own, from an address in Germany (no police there).
    second = client.post(API, json=body("CASE-W2", ip="198.51.100.9"), headers=platform)
    assert second.json()["status"] == "triage"
    [alert] = client.get("/api/v1/alerts", headers=police).json()
    assert (alert["source"], alert["source_reference"], alert["target_kind"]) == (
        "industry_report",
        first,
        "account",
    )
    assert alert["subject"] == second.json()["reference"]
    log_in(client, world.usernames[Role.investigator])
    page = client.get("/alerts")
    assert f'href="/industry-inbox/{first}"' in page.text
