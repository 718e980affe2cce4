"""The legal matrix through the web: the public pages and API (published reviews only, no
login), the review form, recording by the secretariat and by a country's own editors,
publishing, and the demo label."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import Role
from alliance.countries import register
from alliance.countries.schemas import MemberCountryIn
from alliance.legal import matrix
from alliance.legal.schemas import ReviewIn
from alliance.takedown import intake, routing
from alliance.takedown.schemas import ReportIn, RouteIn
from tests import factories
from tests.functional.conftest import World, log_in

CRIT = [f"icmec2018.crit.{n}" for n in range(1, 6)]
SCORES = ["oosi2019.ind.4.4.1", "oosi2019.ind.4.4.2", "oosi2019.ind.4.4.3"]


def review(country: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "country": country,
        "reviewed_on": "2024-01-10",
        "reviewed_by": "Legal desk",
        "criteria": {c: {"status": "met", "statute": "Code art. 1"} for c in CRIT},
        "scores": dict(zip(SCORES, [3, 4, 1], strict=True)),
        "ai_generated": "not_covered",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def matrix_world(sessions: sessionmaker[Session], world: World) -> dict[str, int]:
    with sessions.begin() as session:
        for code in ("NL", "GB"):
            register.add_country(
                session, factories.OPERATOR, MemberCountryIn(code=code, joined_on=date(2012, 12, 5))
            )
        nl = matrix.record_review(
            session,
            factories.OPERATOR,
            ReviewIn.model_validate(review("NL", published=True, demo=True)),
        )
        gb = matrix.record_review(
            session,
            factories.OPERATOR,
            ReviewIn.model_validate(review("GB", criteria={c: {"status": "partly"} for c in CRIT})),
        )
        return {"nl": nl.id, "gb": gb.id}


def test_public_pages_and_api_show_published_reviews_only(
    client: TestClient, matrix_world: dict[str, int]
) -> None:
    page = client.get("/legal")
    assert page.status_code == 200
    assert "Netherlands" in page.text and "United Kingdom" not in page.text
    assert "demo data, not a legal assessment" in page.text
    assert 'data-testid="gap-report"' in page.text
    assert "<strong>1</strong> of 1 reviewed" in page.text
    sheet = client.get("/legal?format=csv&sort=-score")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "Netherlands" in sheet.text and "demo data, not a legal assessment" in sheet.text
    assert client.get("/legal?sort=nonsense").status_code == 400
    country = client.get("/legal/countries/nl")
    assert country.status_code == 200 and "Code art. 1" in country.text
    assert "No published review" in client.get("/legal/countries/GB").text
    assert client.get("/legal/countries/FR").status_code == 404

    listed = client.get("/api/v1/legal/reviews").json()
    assert [r["country"] for r in listed] == ["NL"]
    assert listed[0]["sufficient"] is True and listed[0]["score_max"] == 8
    assert client.get("/api/v1/legal/reviews", params={"country": "GB"}).json() == []
    assert client.get(f"/api/v1/legal/reviews/{matrix_world['gb']}").status_code == 404
    assert client.get(f"/api/v1/legal/reviews/{matrix_world['nl']}").status_code == 200
    gaps = client.get("/api/v1/legal/gaps").json()
    assert (gaps["reviewed"], gaps["sufficient"], gaps["members"]) == (1, 1, 2)
    assert gaps["not_reviewed"] == ["GB"]
    exported = client.get("/api/v1/legal/export", params={"format": "csv"})
    assert exported.text.count("\n") == 2


def test_api_recording_and_publishing(
    client: TestClient, world: World, matrix_world: dict[str, int]
) -> None:
    def auth(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.keys[role]}"}

    # The NL government's editor records NL's law, not GB's, and cannot publish.
    editor = auth(Role.country_editor)
    made = client.post("/api/v1/legal/reviews", json=review("NL"), headers=editor)
    assert made.status_code == 201, made.text
    assert made.json()["published"] is False
    assert (
        client.post("/api/v1/legal/reviews", json=review("GB"), headers=editor).status_code == 403
    )
    assert (
        client.post("/api/v1/legal/reviews", json=review("NL", published=True), headers=editor)
    ).status_code == 403
    assert (
        client.post(
            "/api/v1/legal/reviews", json=review("NL"), headers=auth(Role.viewer)
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/legal/reviews",
        json=review("NL", scores=dict(zip(SCORES, [3, 9, 1], strict=True))),
        headers=editor,
    )
    assert bad.status_code == 400 and "0–4, not 9" in bad.text
    bad_url = review("NL", sources=[{"citation": "x", "url": "javascript:alert(1)"}])
    assert client.post("/api/v1/legal/reviews", json=bad_url, headers=editor).status_code == 422
    secretariat = auth(Role.secretariat_admin)
    # What each may record, unpublished reviews too.
    mine = client.get("/api/v1/legal/recorded", headers=editor).json()
    assert {r["country"] for r in mine} == {"NL"} and len(mine) == 2
    everything = client.get("/api/v1/legal/recorded", headers=secretariat).json()
    assert [r["country"] for r in everything] == ["GB", "NL", "NL"]
    assert client.get("/api/v1/legal/recorded", headers=auth(Role.viewer)).status_code == 403
    path = f"/api/v1/legal/reviews/{matrix_world['gb']}/publish"
    assert client.post(path, headers=editor).status_code == 403
    assert client.post(path, headers=secretariat).status_code == 200
    assert client.post(path, headers=secretariat).status_code == 409
    assert [r["country"] for r in client.get("/api/v1/legal/reviews").json()] == ["GB", "NL"]
    # Import: all or nothing, the review named.
    doc = {
        "format": "alliance.legal_matrix",
        "version": 1,
        "reviews": [review("NL"), review("GB", scores={SCORES[0]: 1})],
    }
    refused = client.post(
        "/api/v1/legal/import",
        json={"format": "json", "content": json.dumps(doc)},
        headers=secretariat,
    )
    assert refused.status_code == 400 and "review 2: " in refused.text


def test_the_review_form(client: TestClient, world: World, matrix_world: dict[str, int]) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    form = client.get("/legal/reviews/new?country=GB")
    assert form.status_code == 200 and 'name="status_4"' in form.text
    fields = {
        "csrf_token": csrf,
        "country": "GB",
        "reviewed_on": "2025-02-01",
        "reviewed_by": "Secretariat legal desk",
        **{f"status_{n}": "met" for n in range(5)},
        "statute_0": "Protection of Children Act 1978",
        "score_0": "3",
        "score_1": "7",
        "score_2": "1",
        "ai_generated": "not_covered",
        "source_citation_0": "Protection of Children Act 1978",
        "source_url_0": "https://legislation.example.test/1978/37",
        "published": "yes",
    }
    bad = client.post("/legal/reviews/new", data=fields)
    assert bad.status_code == 400
    assert "0–4, not 7" in bad.text
    assert 'value="Secretariat legal desk"' in bad.text  # what was typed is kept
    bad_url = client.post(
        "/legal/reviews/new", data={**fields, "score_1": "4", "source_url_0": "ftp://x.test"}
    )
    assert bad_url.status_code == 400 and "f-source_url_0" in bad_url.text
    good = client.post("/legal/reviews/new", data={**fields, "score_1": "4"})
    assert good.status_code == 303, good.text
    shown = client.get(good.headers["location"])
    assert "Review of United Kingdom" in shown.text or "United Kingdom" in shown.text
    assert "recorded and published" in shown.text
    working = client.get("/legal/reviews")
    assert working.status_code == 200 and "Every review" in working.text
    # Publishing from the page.
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    nl_draft = client.post(
        "/legal/reviews/new",
        data={**fields, "csrf_token": csrf, "country": "NL", "score_1": "4", "published": ""},
    )
    assert nl_draft.status_code == 303
    review_id = nl_draft.headers["location"].rsplit("/", 1)[-1]
    published = client.post(f"/legal/reviews/{review_id}/publish", data={"csrf_token": csrf})
    assert published.status_code == 303
    assert "published" in client.get(published.headers["location"]).text


def test_editors_see_their_menu_and_the_public_nothing_unpublished(
    client: TestClient, world: World, matrix_world: dict[str, int]
) -> None:
    log_in(client, world.usernames[Role.country_editor])
    # The public matrix, logged in: the same reviews, with the menus.
    public_page = client.get("/legal").text
    assert 'aria-label="Main"' in public_page and "Legal reviews" in public_page
    assert "United Kingdom" not in public_page
    page = client.get("/legal/reviews")
    assert page.status_code == 200 and "Legal frameworks" in page.text
    # The editor's form offers only its own country.
    form = client.get("/legal/reviews/new").text
    assert 'value="NL"' in form and 'value="GB"' not in form
    assert client.get(f"/legal/reviews/{matrix_world['gb']}").status_code == 404


def test_the_item_page_hints_at_the_hosting_countrys_law(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    settings = app.state.alliance.settings
    with sessions.begin() as session:
        register.add_country(
            session, factories.OPERATOR, MemberCountryIn(code="NL", joined_on=date(2012, 12, 5))
        )
        matrix.record_review(
            session,
            factories.OPERATOR,
            ReviewIn.model_validate(review("NL", published=True, demo=True)),
        )
        receipt = intake.submit_reports(
            session, factories.OPERATOR, [ReportIn(urls=["https://ai.example.test/1.png"])]
        )[0]
        reference = receipt.items[0].item
        routing.route_manually(
            session, factories.OPERATOR, reference, RouteIn(country_code="NL"), settings
        )
    csrf = log_in(client, world.usernames[Role.analyst])
    assert 'data-testid="legal-hint"' not in client.get(f"/items/{reference}").text
    client.post("/queue/claim", data={"csrf_token": csrf})
    assessed = client.post(
        f"/items/{reference}/assess",
        data={"csrf_token": csrf, "classification": "national", "content_type": "ai_generated"},
    )
    assert assessed.status_code == 303, assessed.text[:500]
    page = client.get(f"/items/{reference}").text
    hint = page.split('data-testid="legal-hint">')[1].split("</dd>")[0]
    assert "Not covered by Netherlands" in hint and "AI-generated material" in hint
    assert "legal review of 2024-01-10 (a hint, not a legal decision)" in hint
    assert "demo data, not a legal assessment" in hint
