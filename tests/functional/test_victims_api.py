"""Victim identification through the API, end to end: seizure triage, deconfliction alerts,
series, victims, referrals, the KPI and the ICSE / VICS exchange; and the issue's bad input.

Hashes are synthetic: MD5s of made-up strings and PDQ hashes spread by SHA-256, with
near-duplicates made by flipping bits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.settings import load_settings
from alliance.victims.models import Seizure, SeizureItem
from alliance.web import create_app
from tests import factories
from tests.functional.conftest import SECRET, World

Headers = dict[str, str]


def digest(kind: str, text: str) -> str:
    return hashlib.new(kind, text.encode()).hexdigest()


def jsonl(*items: Mapping[str, object]) -> bytes:
    lines = (json.dumps({"path": f"f{n}.png", **i}) + "\n" for n, i in enumerate(items))
    return "".join(lines).encode()


@dataclass
class Agencies:
    nl: Headers  # the World's law-enforcement investigator (NL)
    gb: Headers  # a second agency, in GB
    de: Headers  # a third, in DE
    hotline: Headers
    industry: Headers
    secretariat: Headers


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def agencies(world: World, sessions: sessionmaker[Session]) -> Agencies:
    keys: dict[str, str] = {}
    with sessions.begin() as session:
        for country in ("GB", "DE"):
            org = factories.organisation(
                session, OrgKind.law_enforcement, country, slug=f"{country.lower()}-police"
            )
            keys[country] = factories.api_key(session, org, Role.investigator)[1]
    return Agencies(
        nl=bearer(world.keys[Role.investigator]),
        gb=bearer(keys["GB"]),
        de=bearer(keys["DE"]),
        hotline=bearer(world.keys[Role.analyst]),
        industry=bearer(world.keys[Role.reviewer]),
        secretariat=bearer(world.keys[Role.secretariat_admin]),
    )


def triage(client: TestClient, headers: Headers, data: bytes, **params: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/seizures",
        content=data,
        params=params,
        headers={**headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def gb_series(
    client: TestClient, a: Agencies, members: int = 3, name: str = "Blue Heron", seed: int = 0
) -> str:
    """A GB series of ``members`` files (PDQ hashes from ``seed`` on), started from a GB
    seizure; returns its code."""
    data = jsonl(
        *(
            {"md5": digest("md5", f"gb-{name}-{n}"), "pdq": factories.pdq_hex(seed + n)}
            for n in range(members)
        )
    )
    seizure = triage(client, a.gb, data)
    assert seizure["new"] == members
    created = client.post(
        "/api/v1/series", json={"name": name, "seizure": seizure["reference"]}, headers=a.gb
    )
    assert created.status_code == 201, created.text
    assert created.json()["media"] == members
    code: str = created.json()["code"]
    return code


def seizure_count(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.execute(select(func.count()).select_from(Seizure)).scalar_one(),
            session.execute(select(func.count()).select_from(SeizureItem)).scalar_one(),
        )


# --- the happy path ----------------------------------------------------------------------


def test_triage_alert_new_series_victim_identified_and_the_kpi(
    client: TestClient, agencies: Agencies, sessions: sessionmaker[Session]
) -> None:
    a = agencies
    gb_code = gb_series(client, a, name="Blue Heron")

    # NL's seizure: one file of the GB series, one near-duplicate of a member (12 bits
    # flipped), two new files.
    data = jsonl(
        {"md5": digest("md5", "gb-Blue Heron-0")},
        {"pdq": factories.flip_bits(factories.pdq_hex(1), 12)},
        {"md5": digest("md5", "nl-new-1"), "pdq": factories.pdq_hex(101)},
        {"md5": digest("md5", "nl-new-2"), "pdq": factories.pdq_hex(102)},
    )
    report = triage(
        client, a.nl, data, case_reference="NL-2024-0042", shared_note="call desk 3 in Driebergen"
    )
    assert (report["items"], report["known"], report["near"], report["new"]) == (4, 1, 1, 2)
    [hit] = report["series"]
    assert hit["series"]["code"] == gb_code
    assert (hit["known"], hit["near"], hit["yours"], hit["alerted"]) == (1, 1, False, True)
    assert report["case_reference"] == "NL-2024-0042"
    reference = report["reference"]

    # GB is told: who, which series, how many — and the note NL chose to share, but not
    # NL's case reference.
    [alert] = client.get("/api/v1/alerts", params={"source": "series"}, headers=a.gb).json()
    assert (alert["source_reference"], alert["action"], alert["subject"], alert["count"]) == (
        gb_code,
        "seizure",
        reference,
        2,
    )
    assert alert["shared_note"] == "call desk 3 in Driebergen"
    assert "NL-2024-0042" not in json.dumps(alert)
    # ... and NL, which touched GB's series, gets no alert about itself.
    assert client.get("/api/v1/alerts", headers=a.nl).json() == []

    # The seizure, its lines and the list.
    assert client.get(f"/api/v1/seizures/{reference}", headers=a.nl).json() == report
    assert [s["reference"] for s in client.get("/api/v1/seizures", headers=a.nl).json()] == [
        reference
    ]
    lines = client.get(f"/api/v1/seizures/{reference}/items", headers=a.nl).json()
    assert [(line["line"], line["verdict"]) for line in lines] == [
        (1, "known"),
        (2, "near"),
        (3, "new"),
        (4, "new"),
    ]
    assert lines[1]["distance"] == 12 and lines[1]["series"]["code"] == gb_code
    new = client.get(
        f"/api/v1/seizures/{reference}/items", params={"verdict": "new"}, headers=a.nl
    ).json()
    assert [line["line"] for line in new] == [3, 4]
    page = client.get(
        f"/api/v1/seizures/{reference}/items", params={"offset": 1, "limit": 2}, headers=a.nl
    ).json()
    assert [line["line"] for line in page] == [2, 3]

    # NL starts a series from the new files, adds a victim and identifies her.
    created = client.post(
        "/api/v1/series",
        json={"name": "Red Kite", "seizure": reference, "lines": [3, 4], "countries": ["nl"]},
        headers=a.nl,
    )
    assert created.status_code == 201, created.text
    series = created.json()
    code = series["code"]
    assert (series["media"], series["owner_country"], series["countries"]) == (2, "NL", ["NL"])
    assert [s["code"] for s in client.get("/api/v1/series", headers=a.nl).json()] == [code]
    victim = client.post(
        f"/api/v1/series/{code}/victims", json={"age_group": "child"}, headers=a.nl
    )
    assert victim.status_code == 201, victim.text
    # The former band "child" (8-12) is mapped to the one vocabulary on import.
    assert victim.json()["age_group"] == "pre_pubescent"
    victim_ref = victim.json()["reference"]
    assert victim.json()["status"] == "unidentified"

    identified = client.post(f"/api/v1/victims/{victim_ref}/identify", json={}, headers=a.nl)
    assert identified.status_code == 200, identified.text
    assert identified.json()["status"] == "identified"
    assert identified.json()["identified_country"] == "NL"
    media = client.get(f"/api/v1/series/{code}/media", headers=a.nl).json()
    assert len(media) == 2 and all(m["victim_identified"] for m in media)
    detail = client.get(f"/api/v1/series/{code}", headers=a.nl).json()
    assert detail["status"] == "victim_identified" and detail["identified_victims"] == 1
    assert [e["kind"] for e in detail["timeline"]] == [
        "created",
        "media_linked",
        "victim_added",
        "victim_identified",
    ]
    safeguarded = client.post(f"/api/v1/victims/{victim_ref}/safeguard", json={}, headers=a.nl)
    assert safeguarded.json()["status"] == "safeguarded"

    # Every read of a victim record is audited.
    assert client.get(f"/api/v1/victims/{victim_ref}", headers=a.nl).status_code == 200
    listed = client.get(f"/api/v1/series/{code}/victims", headers=a.nl).json()
    assert [v["reference"] for v in listed] == [victim_ref]
    with sessions() as session:
        reads = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event_type == EventType.VICTIM_READ)
        ).scalar_one()
    assert reads == 2

    # The KPI counts the year's identification, for the secretariat (counts only) too.
    year = datetime.now(UTC).year
    for headers in (a.secretariat, a.nl):
        kpi = client.get("/api/v1/metrics/victims", headers=headers)
        assert kpi.status_code == 200, kpi.text
        [this_year] = [y for y in kpi.json()["years"] if y["year"] == year]
        assert this_year["identified"] == 1 and this_year["cumulative"] >= 1
    nl_only = client.get(
        "/api/v1/metrics/victims", params={"country": "NL"}, headers=a.secretariat
    ).json()
    assert any(y["year"] == year and y["identified"] == 1 for y in nl_only["by_country"])
    as_csv = client.get("/api/v1/metrics/victims", params={"format": "csv"}, headers=a.secretariat)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert str(year) in as_csv.text

    # The next seizure of that material says at once that the victim is identified.
    again = triage(client, a.de, jsonl({"md5": digest("md5", "nl-new-1")}))
    assert again["identified"] == 1


def test_seizure_formats_from_content_type_query_and_content(
    client: TestClient, agencies: Agencies
) -> None:
    a = agencies
    md5s = [digest("md5", f"format-{n}") for n in range(2)]
    csv_body = "name,md5,pdq\n" + "".join(f"f{n}.jpg,{m},\n" for n, m in enumerate(md5s))
    vics_body = json.dumps(
        {
            "@odata.context": "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
            "value": [
                {"MediaID": n, "Category": 1, "MD5": m, "MediaFiles": [{"FileName": f"f{n}.jpg"}]}
                for n, m in enumerate(md5s)
            ],
        }
    )
    cases = [
        (csv_body, {"Content-Type": "text/csv"}, {}, "csv"),
        (vics_body, {"Content-Type": "application/json"}, {}, "vics"),
        (
            jsonl(*({"md5": m} for m in md5s)).decode(),
            {"Content-Type": "application/jsonl"},
            {},
            "jsonl",
        ),
        (csv_body, {"Content-Type": "application/octet-stream"}, {}, "csv"),  # recognised
        (vics_body, {"Content-Type": "text/plain"}, {"format": "vics"}, "vics"),  # as told
    ]
    for body, content_type, params, expected in cases:
        response = client.post(
            "/api/v1/seizures", content=body, params=params, headers={**a.nl, **content_type}
        )
        assert response.status_code == 201, (expected, response.text)
        assert response.json()["source_format"] == expected
        assert response.json()["items"] == 2


# --- bad input -----------------------------------------------------------------------


def test_malformed_seizures_name_their_lines_and_save_nothing(
    client: TestClient, agencies: Agencies, sessions: sessionmaker[Session]
) -> None:
    a = agencies
    before = seizure_count(sessions)
    good = digest("md5", "fine")
    bad_jsonl = (
        json.dumps({"path": "a.png", "md5": good})
        + "\n{not json\n"
        + json.dumps({"path": "c.png", "md5": "xyz"})
        + "\n"
    )
    response = client.post(
        "/api/v1/seizures",
        content=bad_jsonl,
        headers={**a.nl, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "line 2" in message and "line 3" in message and "line 1" not in message

    bad_csv = f"name,md5\na.jpg,{good}\nb.jpg,{good}\nc.jpg,not-a-hash\n"
    response = client.post(
        "/api/v1/seizures", content=bad_csv, headers={**a.nl, "Content-Type": "text/csv"}
    )
    assert response.status_code == 400 and "line 4" in response.json()["error"]["message"]

    bad_vics = json.dumps(
        {
            "@odata.context": "x/$metadata#Media",
            "value": [{"MD5": good}, {"MD5": "12345"}],
        }
    )
    response = client.post(
        "/api/v1/seizures", content=bad_vics, headers={**a.nl, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "value[1]" in response.json()["error"]["message"]

    for body in (b"", b"{\n", b"[1, 2]"):
        response = client.post("/api/v1/seizures", content=body, headers=a.nl)
        assert response.status_code == 400, (body, response.text)
    bad_format = client.post(
        "/api/v1/seizures", content=bad_csv, params={"format": "xls"}, headers=a.nl
    )
    assert bad_format.status_code == 422

    assert seizure_count(sessions) == before
    assert client.get("/api/v1/seizures", headers=a.nl).json() == []


def test_an_upload_over_the_limit_is_refused(
    engine: Engine, sessions: sessionmaker[Session], agencies: Agencies, tmp_path: Path
) -> None:
    big = jsonl(*({"md5": digest("md5", f"big-{n}")} for n in range(100)))
    assert len(big) > 2048
    # A seizure is a hash-set file: the general body limit does not apply to it...
    roomy = load_settings(data_dir=tmp_path, secret_key=SECRET, max_body_bytes=1024)
    with TestClient(create_app(roomy, engine=engine, sessions=sessions)) as client:
        response = client.post("/api/v1/seizures", content=big, headers=agencies.nl)
    assert response.status_code == 201, response.text
    # ...its own does.
    tight = load_settings(
        data_dir=tmp_path, secret_key=SECRET, max_body_bytes=1024, max_hash_file_bytes=2048
    )
    app: FastAPI = create_app(tight, engine=engine, sessions=sessions)
    with TestClient(app) as client:
        response = client.post("/api/v1/seizures", content=big, headers=agencies.nl)
    assert response.status_code == 413, response.text


def test_only_law_enforcement_triages_and_sees_series(
    client: TestClient, agencies: Agencies
) -> None:
    a = agencies
    data = jsonl({"md5": digest("md5", "x")})
    for headers in (a.hotline, a.industry, a.secretariat):
        assert client.post("/api/v1/seizures", content=data, headers=headers).status_code == 403
        assert client.get("/api/v1/series", headers=headers).status_code == 403
    # The secretariat sees the KPI, nothing else.
    assert client.get("/api/v1/metrics/victims", headers=a.secretariat).status_code == 200
    assert client.get("/api/v1/metrics/victims", headers=a.hotline).status_code == 403


def test_another_agencys_series_seizure_and_victims_are_not_found(
    client: TestClient, agencies: Agencies
) -> None:
    a = agencies
    gb_code = gb_series(client, a)
    victim = client.post(f"/api/v1/series/{gb_code}/victims", json={}, headers=a.gb).json()
    gb_seizure = client.get("/api/v1/seizures", headers=a.gb).json()[0]["reference"]
    nl_seizure = triage(client, a.nl, jsonl({"md5": digest("md5", "nl-only")}))["reference"]

    # Linking NL's items to GB's series: NL may not see it.
    link = client.post(f"/api/v1/series/{gb_code}/link", json={"seizure": nl_seizure}, headers=a.nl)
    assert link.status_code == 404, link.text
    assert gb_code in link.json()["error"]["message"]
    for path in (
        f"/api/v1/series/{gb_code}",
        f"/api/v1/series/{gb_code}/media",
        f"/api/v1/series/{gb_code}/victims",
        f"/api/v1/victims/{victim['reference']}",
        f"/api/v1/seizures/{gb_seizure}",
        f"/api/v1/seizures/{gb_seizure}/items",
    ):
        assert client.get(path, headers=a.nl).status_code == 404, path
    assert (
        client.post(f"/api/v1/victims/{victim['reference']}/identify", json={}, headers=a.nl)
    ).status_code == 404
    assert gb_code not in {s["code"] for s in client.get("/api/v1/series", headers=a.nl).json()}
    # Linking GB's own seizure to GB's series, as NL, is not found either: not NL's seizure.
    link = client.post(f"/api/v1/series/{gb_code}/link", json={"seizure": gb_seizure}, headers=a.nl)
    assert link.status_code == 404

    # Once invited, NL sees the series and may link to it.
    invited = client.post(
        f"/api/v1/series/{gb_code}/agencies",
        json={"organisation": "w-law-enforcement"},
        headers=a.gb,
    )
    assert invited.status_code == 200, invited.text
    assert {x["role"] for x in invited.json()["agencies"]} == {"owner", "collaborator"}
    assert client.get(f"/api/v1/series/{gb_code}", headers=a.nl).status_code == 200
    link = client.post(f"/api/v1/series/{gb_code}/link", json={"seizure": nl_seizure}, headers=a.nl)
    assert link.status_code == 200 and link.json() == {"linked": 1}
    # Inviting a hotline is refused; inviting twice is a conflict.
    hotline = client.post(
        f"/api/v1/series/{gb_code}/agencies", json={"organisation": "w-hotline"}, headers=a.gb
    )
    assert hotline.status_code == 400
    twice = client.post(
        f"/api/v1/series/{gb_code}/agencies",
        json={"organisation": "w-law-enforcement"},
        headers=a.gb,
    )
    assert twice.status_code == 409


def test_identifying_twice_and_conflicting_merges_are_conflicts(
    client: TestClient, agencies: Agencies, sessions: sessionmaker[Session]
) -> None:
    a = agencies
    first = gb_series(client, a, name="Amber Fox", seed=1000)
    second = gb_series(client, a, name="Grey Owl", seed=2000)
    third = gb_series(client, a, name="Green Finch", seed=3000)
    victim = client.post(f"/api/v1/series/{first}/victims", json={}, headers=a.gb).json()
    reference = victim["reference"]
    assert (
        client.post(f"/api/v1/victims/{reference}/identify", json={}, headers=a.gb).status_code
        == 200
    )
    twice = client.post(
        f"/api/v1/victims/{reference}/identify", json={"country": "GB"}, headers=a.gb
    )
    assert twice.status_code == 409 and "already identified" in twice.json()["error"]["message"]
    future = client.post(f"/api/v1/series/{first}/victims", json={}, headers=a.gb).json()
    in_future = client.post(
        f"/api/v1/victims/{future['reference']}/identify",
        json={"identified_on": "2999-01-01"},
        headers=a.gb,
    )
    assert in_future.status_code == 400
    safeguard_first = client.post(
        f"/api/v1/victims/{future['reference']}/safeguard", json={}, headers=a.gb
    )
    assert safeguard_first.status_code == 409

    merged = client.post(f"/api/v1/series/{first}/merge", json={"into": second}, headers=a.gb)
    assert merged.status_code == 200, merged.text
    assert merged.json()["code"] == second
    assert merged.json()["media"] == 6 and merged.json()["victims"] == 2
    # Merging it again (anywhere), into itself, or the survivor into the merged one: 409.
    for source, into in ((first, third), (second, second), (second, first), (third, first)):
        again = client.post(f"/api/v1/series/{source}/merge", json={"into": into}, headers=a.gb)
        assert again.status_code == 409, (source, into, again.text)
    assert client.get(f"/api/v1/series/{first}", headers=a.gb).json()["merged_into"] == second
    # A collaborator may not merge the owner's series.
    client.post(
        f"/api/v1/series/{third}/agencies", json={"organisation": "de-police"}, headers=a.gb
    )
    de_code = client.post("/api/v1/series", json={"name": "Lone Crow"}, headers=a.de).json()["code"]
    refused = client.post(f"/api/v1/series/{third}/merge", json={"into": de_code}, headers=a.de)
    assert refused.status_code == 403
    # A code name taken is a conflict.
    taken = client.post("/api/v1/series", json={"name": "grey  owl"}, headers=a.de)
    assert taken.status_code == 409


def test_update_series(client: TestClient, agencies: Agencies) -> None:
    a = agencies
    code = gb_series(client, a)
    changed = client.patch(
        f"/api/v1/series/{code}",
        json={"status": "offender_identified", "notes": "desk 4", "countries": ["gb", "ie"]},
        headers=a.gb,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["status"], body["notes"], body["countries"]) == (
        "offender_identified",
        "desk 4",
        ["GB", "IE"],
    )
    media = client.get(f"/api/v1/series/{code}/media", headers=a.gb).json()
    assert all(m["offender_identified"] for m in media)
    bad = client.patch(f"/api/v1/series/{code}", json={"countries": ["GBR"]}, headers=a.gb)
    assert bad.status_code == 422


# --- referrals -----------------------------------------------------------------------


def test_a_referral_is_sent_received_and_decided_once(
    client: TestClient, agencies: Agencies
) -> None:
    a = agencies
    code = gb_series(client, a)
    sent = client.post(
        f"/api/v1/series/{code}/referrals",
        json={"country": "de", "indicators": ["German packaging"], "note": "see media 2"},
        headers=a.gb,
    )
    assert sent.status_code == 201, sent.text
    referral = sent.json()
    assert (referral["status"], referral["to_country"], referral["series"]["code"]) == (
        "pending",
        "DE",
        code,
    )
    reference = referral["reference"]
    incoming = client.get("/api/v1/referrals", params={"direction": "incoming"}, headers=a.de)
    assert [r["reference"] for r in incoming.json()] == [reference]
    assert (
        client.get("/api/v1/referrals", params={"direction": "outgoing"}, headers=a.de).json() == []
    )
    outgoing = client.get("/api/v1/referrals", params={"direction": "outgoing"}, headers=a.gb)
    assert [r["reference"] for r in outgoing.json()] == [reference]
    assert client.get(f"/api/v1/referrals/{reference}", headers=a.de).status_code == 200
    assert client.get(f"/api/v1/referrals/{reference}", headers=a.nl).status_code == 404

    decided = client.post(
        f"/api/v1/referrals/{reference}/decision",
        json={"accept": True, "reason": "ours: the room matches a case"},
        headers=a.de,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "accepted"
    assert client.get(f"/api/v1/series/{code}", headers=a.de).status_code == 200
    again = client.post(
        f"/api/v1/referrals/{reference}/decision", json={"accept": False}, headers=a.de
    )
    assert again.status_code == 409


# --- exchange ------------------------------------------------------------------------


def test_export_and_import_icse_and_vics(client: TestClient, agencies: Agencies) -> None:
    a = agencies
    code = gb_series(client, a, members=3)
    exported = client.get(f"/api/v1/series/{code}/export", params={"format": "icse"}, headers=a.gb)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text), delimiter=";"))
    assert rows[0][:3] == ["MD5", "SHA1", "PhotoDNA"]
    assert {r[0] for r in rows[1:]} == {digest("md5", f"gb-Blue Heron-{n}") for n in range(3)}

    vics = client.get("/api/v1/media/export", params={"format": "vics"}, headers=a.gb)
    assert vics.status_code == 200 and vics.headers["content-type"].startswith("application/json")
    document = json.loads(vics.text)
    assert len(document["value"]) >= 3

    # Another agency's series is not exported to NL.
    assert (
        client.get(f"/api/v1/series/{code}/export", params={"format": "icse"}, headers=a.nl)
    ).status_code == 404

    icse = (
        "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;"
        "Series name;Number of submissions;File Available;Media Type;Baseline\n"
    )
    icse += f"{digest('md5', 'imported-1')};;;IMG-1;true;false;false;;2;false;image;false\n"
    imported = client.post(
        "/api/v1/media/import", params={"format": "icse"}, content=icse, headers=a.nl
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1
    report = triage(client, a.de, jsonl({"md5": digest("md5", "imported-1")}))
    assert report["known"] == 1

    broken = icse + "zz;;;;maybe;;;;x;;image;\n"
    refused = client.post(
        "/api/v1/media/import", params={"format": "icse"}, content=broken, headers=a.nl
    )
    assert refused.status_code == 400 and "line 3" in refused.json()["error"]["message"]
