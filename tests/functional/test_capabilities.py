"""Capability self-assessment end to end: a country's own assessment through the API and
the pages (its editors only), bad input refused whole, the alliance-wide distribution with
small counts hidden and no country named, export, and the country profile pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit.models import AuditEvent
from alliance.countries import capabilities, register
from alliance.countries.models import CapabilityAssessment
from alliance.countries.schemas import CapabilityAssessmentIn, MemberCountryIn
from alliance.errors import InvalidInput, PermissionDenied
from tests import factories
from tests.functional.conftest import World, log_in

API = "/api/v1/countries/NL/capabilities"
#: Countries that assess in the distribution test (NL is the world's editor's country).
OTHERS = ("BE", "DE", "FR", "SE", "DK", "AT")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def editor_of(code: str) -> Principal:
    return Principal.country_editor(code, kind="operator", name=f"test-{code.lower()}-editor")


@pytest.fixture
def members(world: World, sessions: sessionmaker[Session]) -> dict[str, str]:
    """NL, GB and others registered against mnr2015, PL against the declaration only; a GB
    government with an editor's key."""
    with sessions.begin() as session:
        for code in ("NL", "GB", *OTHERS):
            factories.jurisdiction(session, code)
            register.add_country(
                session,
                factories.OPERATOR,
                MemberCountryIn(
                    code=code, joined_on=date(2012, 12, 5), frameworks=["ga2012", "mnr2015"]
                ),
            )
        factories.jurisdiction(session, "PL")
        register.add_country(
            session, factories.OPERATOR, MemberCountryIn(code="PL", joined_on=date(2012, 12, 5))
        )
        gb = factories.organisation(session, OrgKind.government, "GB", slug="gb-gov")
        _, gb_key = factories.api_key(session, gb, Role.country_editor)
    return {"gb_key": gb_key}


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.execute(select(func.count()).select_from(CapabilityAssessment)).scalar_one()


def test_api_own_country_only_and_bad_input_writes_nothing(
    client: TestClient, world: World, members: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    editor = world.keys[Role.country_editor]
    body = {
        "capabilities": [
            {
                "capability": "12",
                "phase": 3,
                "evidence": "A hotline since 1996.",
                "links": ["https://nl.example.test/hotline"],
            },
            {"capability": "mnr2015.cap.1", "phase": 2},
        ]
    }
    saved = client.put(f"{API}/2026", json=body, headers=bearer(editor))
    assert saved.status_code == 200, saved.text
    assert saved.json()["changed"] == ["mnr2015.cap.12", "mnr2015.cap.1"]
    own = client.get(API, params={"year": 2026}, headers=bearer(editor)).json()
    assert [(a["capability"], a["phase"], a["phase_name"]) for a in own] == [
        ("mnr2015.cap.1", 2, "Phase 2"),
        ("mnr2015.cap.12", 3, "Phase 3"),
    ]
    # Nobody else reads it: not another country's editor, not the secretariat, not a hotline.
    for role_key in (
        members["gb_key"],
        world.keys[Role.secretariat_admin],
        world.keys[Role.analyst],
    ):
        assert client.get(API, headers=bearer(role_key)).status_code == 403
    assert (
        client.put(f"{API}/2026", json=body, headers=bearer(members["gb_key"])).status_code == 403
    )
    # Bad input: the whole request refused, naming the capability; nothing written.
    before = _count(sessions)
    phase = {"capabilities": [{"capability": "1", "phase": 1}, {"capability": "2", "phase": 7}]}
    assert client.put(f"{API}/2026", json=phase, headers=bearer(editor)).status_code == 422
    unknown = {"capabilities": [{"capability": "1", "phase": 1}, {"capability": "99", "phase": 1}]}
    refused = client.put(f"{API}/2026", json=unknown, headers=bearer(editor))
    assert refused.status_code == 400 and "no capability '99'" in refused.text
    link = {
        "capabilities": [
            {"capability": "1", "phase": 4},
            {"capability": "3", "phase": 2, "links": ["javascript:alert(1)"]},
        ]
    }
    refused = client.put(f"{API}/2026", json=link, headers=bearer(editor))
    assert refused.status_code == 400 and "http" in refused.text
    assert _count(sessions) == before
    assert client.get(API, params={"year": 2026}, headers=bearer(editor)).json()[0]["phase"] == 2
    # The audit log says which capabilities changed, never a phase.
    with sessions() as session:
        events = (
            session.execute(
                select(AuditEvent).where(AuditEvent.event_type == "capability_assessment:saved")
            )
            .scalars()
            .all()
        )
    assert [e.subject_id for e in events] == ["NL/2026"]
    assert "phase" not in events[0].details and '"3"' not in events[0].details


def test_a_country_without_an_mnr_version_is_told_so(
    sessions: sessionmaker[Session], members: dict[str, str]
) -> None:
    with sessions.begin() as session, pytest.raises(InvalidInput, match="Model National Response"):
        capabilities.save_assessment(
            session,
            editor_of("PL"),
            "PL",
            2026,
            [CapabilityAssessmentIn(capability="1", phase=2)],
        )


def _assess(session: Session, code: str, phases: dict[str, int], year: int = 2026) -> None:
    capabilities.save_assessment(
        session,
        editor_of(code),
        code,
        year,
        [CapabilityAssessmentIn(capability=c, phase=p) for c, p in phases.items()],
    )


def test_distribution_hides_small_counts_and_names_no_country(
    client: TestClient, world: World, members: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    # Capability 1: six countries at phase 3 and one at phase 1 (NL); capability 2: NL only.
    with sessions.begin() as session:
        for code in OTHERS:
            _assess(session, code, {"1": 3})
        _assess(session, "NL", {"1": 1, "2": 4})
    with sessions() as session:
        found = capabilities.distribution(session, factories.OPERATOR, "mnr2015", 2026, k=5)
        rows = {r.item.number: r for r in found.rows}
        first = rows["1"].row
        assert first.total.value == 7
        # Phase 1 (one country), 2 and 4 (none) are below k; phase 3's six are shown.
        assert [c.value for c in first.cells.values()] == [None, None, 6, None]
        assert rows["2"].row.total.value is None  # one country: nothing shown
        assert found.countries.value == 7 and rows["1"].own_phase is None
        # With k=1 every count but zero shows; NL's own editor sees its own phase too.
        shown = capabilities.distribution(session, editor_of("NL"), "mnr2015", 2026, k=1)
        mine = {r.item.number: r for r in shown.rows}["1"]
        assert [c.value for c in mine.row.cells.values()] == [1, None, 6, None]
        assert mine.own_phase == 1
    answer = client.get(
        "/api/v1/capabilities/distribution",
        params={"year": 2026},
        headers=bearer(world.keys[Role.secretariat_admin]),
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["k"] == 5 and data["countries"] == {"count": 7, "hidden": ""}
    one = next(c for c in data["capabilities"] if c["number"] == "1")
    assert one["assessed"]["count"] == 7
    assert [p["count"] for p in one["phases"].values()] == [None, None, 6, None]
    assert one["phases"]["1"]["hidden"] == "fewer than 5"
    for code in ("NL", *OTHERS):
        assert f'"{code}"' not in answer.text
    page_user = world.usernames[Role.secretariat_admin]
    log_in(client, page_user)
    page = client.get("/capabilities/distribution?year=2026")
    assert page.status_code == 200 and "Netherlands" not in page.text
    assert "fewer than 5" in page.text
    # The secretariat does not open a country's own assessment.
    assert client.get("/capabilities/NL/2026").status_code == 403
    assert client.get("/capabilities/NL/export?format=csv").status_code == 403
    # Bad filters: words, not a server error.
    assert client.get("/capabilities/distribution?framework=icmec2018").status_code == 400
    assert client.get("/capabilities/distribution?framework=nope").status_code == 400


def test_pages_save_refuse_start_from_and_export(
    client: TestClient, world: World, members: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        _assess(session, "NL", {"1": 2, "12": 3}, year=2025)
    csrf = log_in(client, world.usernames[Role.country_editor])
    page = client.get("/capabilities")
    assert page.status_code == 200 and "Capability self-assessment of" in page.text
    assert "0 of 21 capabilities assessed for" in page.text
    # A bad link: 400, the error beside the field, what was typed kept, nothing written.
    before = _count(sessions)
    bad = client.post(
        "/capabilities/NL/2026",
        data={
            "csrf_token": csrf,
            "phase.mnr2015.cap.4": "3",
            "links.mnr2015.cap.4": "javascript:alert(1)",
            "phase.mnr2015.cap.5": "2",
        },
    )
    assert bad.status_code == 400
    assert "is not a web address" in bad.text and "javascript:alert(1)</textarea>" in bad.text
    assert _count(sessions) == before
    # Evidence without a phase is refused too; a tampered phase is named.
    orphan = client.post(
        "/capabilities/NL/2026", data={"csrf_token": csrf, "evidence.mnr2015.cap.6": "x"}
    )
    assert orphan.status_code == 400 and "choose a phase" in orphan.text
    tampered = client.post(
        "/capabilities/NL/2026", data={"csrf_token": csrf, "phase.mnr2015.cap.6": "9"}
    )
    assert tampered.status_code == 400 and "a phase is 1, 2, 3 or 4" in tampered.text
    # Start from 2025, then change one capability.
    started = client.post(
        "/capabilities/NL/2026/start-from", data={"csrf_token": csrf, "from_year": "2025"}
    )
    assert started.status_code == 303
    assert "2 capabilities copied" in client.get(started.headers["location"]).text
    again = client.post(
        "/capabilities/NL/2026/start-from", data={"csrf_token": csrf, "from_year": "2025"}
    )
    assert again.status_code == 400 and "already assessed" in again.text
    done = client.post(
        "/capabilities/NL/2026",
        data={
            "csrf_token": csrf,
            "phase.mnr2015.cap.1": "2",
            "phase.mnr2015.cap.12": "4",
            "evidence.mnr2015.cap.12": "Reports answered within a day.",
            "links.mnr2015.cap.12": "https://nl.example.test/a\nhttps://nl.example.test/b",
        },
    )
    assert done.status_code == 303
    assert "1 capability changed" in client.get(done.headers["location"]).text
    exported = client.get("/capabilities/NL/export?format=csv&year=2026")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["capability"], r["phase"], r["links"]) for r in rows] == [
        ("mnr2015.cap.1", "2", ""),
        ("mnr2015.cap.12", "4", "https://nl.example.test/a https://nl.example.test/b"),
    ]
    every = json.loads(client.get("/capabilities/NL/export?format=json").text)
    assert sorted({r["year"] for r in every}) == [2025, 2026]
    assert client.get("/capabilities/NL/export?format=xml").status_code == 400
    # The profile shows the editor their own summary; it is private to them.
    profile = client.get("/countries/NL")
    assert profile.status_code == 200 and "2 of 21 capabilities assessed for 2026" in profile.text


def test_profiles_are_public_and_keep_the_assessment_private(
    client: TestClient, members: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        _assess(session, "NL", {"1": 2})
    index = client.get("/countries")
    assert index.status_code == 200 and 'href="/countries/NL"' in index.text
    profile = client.get("/countries/NL")
    assert profile.status_code == 200
    assert "is private to it" in profile.text and "capabilities assessed" not in profile.text
    assert "National contacts" not in profile.text  # for members only
    assert client.get("/countries/JP").status_code == 404  # a country, not a member
    assert client.get("/countries/ZZ").status_code == 400  # not a country at all
    # Anonymous: no self-assessment, no distribution.
    assert client.get("/capabilities/NL/2026").status_code in (303, 401)
    assert client.get("/api/v1/capabilities/distribution?year=2026").status_code == 401


def test_editor_of_a_country_cannot_write_another(
    sessions: sessionmaker[Session], members: dict[str, str]
) -> None:
    with sessions.begin() as session, pytest.raises(PermissionDenied):
        capabilities.save_assessment(
            session, editor_of("GB"), "NL", 2026, [CapabilityAssessmentIn(capability="1", phase=2)]
        )
