"""Takedown pages: the public report form, the queue, items, holds, metrics, providers."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.hosting.models import HostingProvider
from alliance.takedown import intake, public, routing
from alliance.takedown.models import ContentItem, Report, ReportSource
from alliance.takedown.schemas import ReportIn, RouteIn
from tests import factories
from tests.functional.conftest import World, log_in

SHA = "ab" * 32


def _routed_item(app: FastAPI, sessions: sessionmaker[Session], url: str) -> str:
    """A reported URL routed by hand to NL (the world's hotline and police): its reference."""
    settings = app.state.alliance.settings
    with sessions.begin() as session:
        receipt = intake.submit_reports(session, factories.OPERATOR, [ReportIn(urls=[url])])[0]
        reference = receipt.items[0].item
        routing.route_manually(
            session, factories.OPERATOR, reference, RouteIn(country_code="NL"), settings
        )
    return reference


def _switch(client: TestClient, world: World, role: Role) -> str:
    client.cookies.clear()
    return log_in(client, world.usernames[role])


PAGES = [
    ("/queue", Role.analyst, Role.reviewer),
    ("/items", Role.viewer, Role.org_admin),
    ("/holds", Role.investigator, Role.analyst),
    ("/metrics/takedown", Role.viewer, None),
    ("/providers", Role.reviewer, None),
]


@pytest.mark.parametrize(("path", "allowed", "denied"), PAGES)
def test_pages_answer_by_permission(
    client: TestClient, world: World, path: str, allowed: Role, denied: Role | None
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    _switch(client, world, allowed)
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    if denied is not None:
        _switch(client, world, denied)
        assert client.get(path).status_code == 403


def test_navigation_lists_takedown_sections_by_role(client: TestClient, world: World) -> None:
    _switch(client, world, Role.investigator)
    nav = client.get("/dashboard").text
    for label in ("Reports queue", "Items", "Holds", "Takedown metrics", "Providers"):
        assert f">{label}</a>" in nav
    _switch(client, world, Role.reviewer)
    nav = client.get("/dashboard").text
    assert ">Items</a>" in nav and ">Reports queue</a>" not in nav and ">Holds</a>" not in nav


def test_public_report_form(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session]
) -> None:
    form = client.get("/report")
    assert form.status_code == 200
    assert 'src="/static/report.js"' in form.text and "<script>" not in form.text
    assert "16(2)(c)" in form.text and "Do not upload" in form.text
    assert 'href="/report"' in client.get("/login").text
    challenge = re.search(r'name="challenge" value="([^"]+)"', form.text)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
    assert challenge and token
    bits = app_state_bits(app)
    assert challenge.group(1).split(".")[2] == str(bits)
    fields = {
        "csrf_token": token.group(1),
        "url": "https://photos.example.test/public/1.jpg",
        "description": "seen on a forum",
        "contact": "",
        "country": "nl",
        "challenge": challenge.group(1),
        "nonce": public.solve(challenge.group(1), bits),
    }
    answer = client.post("/report", data=fields)
    assert answer.status_code == 200, answer.text[:500]
    reference = re.search(r'data-testid="report-reference">(R-[0-9A-Z]+)<', answer.text)
    assert reference
    # Only the reference: no item, routing or hold details go back to the public.
    assert "I-" not in answer.text and "hold" not in answer.text.lower()
    with sessions() as session:
        report = session.execute(
            select(Report).where(Report.reference == reference.group(1))
        ).scalar_one()
        assert report.source is ReportSource.public and report.country_hint == "NL"

    # The same challenge again is refused, and the form comes back with the message.
    again = client.post("/report", data=fields)
    assert again.status_code == 409 and "already submitted" in again.text
    assert 'value="https://photos.example.test/public/1.jpg"' in again.text
    # A bad URL re-renders the form with the message and a fresh challenge.
    fresh = re.search(r'name="challenge" value="([^"]+)"', again.text)
    assert fresh and fresh.group(1) != challenge.group(1)
    bad = client.post(
        "/report",
        data={
            **fields,
            "url": "not a url at all",
            "challenge": fresh.group(1),
            "nonce": public.solve(fresh.group(1), bits),
        },
    )
    assert bad.status_code == 400 and 'data-testid="field-error"' in bad.text
    assert 'value="not a url at all"' in bad.text  # what was typed stays
    unsolved = client.post("/report", data={**fields, "nonce": ""})
    assert unsolved.status_code == 400 and "JavaScript" in unsolved.text


def app_state_bits(app: FastAPI) -> int:
    return int(app.state.alliance.settings.proof_of_work_bits)


def test_analyst_claims_and_assesses_through_the_forms(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/a/1.jpg")
    csrf = _switch(client, world, Role.analyst)
    queue = client.get("/queue").text
    assert f'href="/items/{reference}"' in queue

    claimed = client.post("/queue/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/items/{reference}"
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="item-claim">by you until' in page
    assert f'action="/items/{reference}/release"' in page
    # The URL is text for a safe environment, never a link.
    assert 'href="https://photos.example.test' not in page
    assert ">https://photos.example.test/a/1.jpg</code>" in page
    assert 'data-testid="route"' not in page  # analysts do not route by hand

    bad = client.post(
        f"/items/{reference}/assess",
        data={"csrf_token": csrf, "classification": "baseline", "hashes": "sha256:xyz"},
    )
    assert bad.status_code == 400 and "hash line 1" in bad.text
    assert "sha256:xyz</textarea>" in bad.text  # the form comes back as it was

    assessed = client.post(
        f"/items/{reference}/assess",
        data={
            "csrf_token": csrf,
            "classification": "baseline",
            "age_group": "pre_pubescent",
            "content_type": "image",
            "hashes": f"sha256:{SHA}\n\n",
            "note": "clear case",
        },
    )
    assert assessed.status_code == 303, assessed.text[:500]
    page = client.get(f"/items/{reference}").text
    assert 'data-stage="notice_pending"' in page and ">Notice pending<" in page
    assert "Pre-pubescent" in page and f"sha256:{SHA[:16]}" in page
    assert "assessed" in page.split('data-testid="timeline"')[1]

    empty = client.post("/queue/claim", data={"csrf_token": csrf})
    assert empty.headers["location"] == "/queue?empty=1"
    assert 'data-testid="queue-empty"' in client.get("/queue?empty=1").text
    no_csrf = client.post(f"/items/{reference}/claim")
    assert no_csrf.status_code == 403


def test_claim_and_release_buttons(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/b/2.jpg")
    csrf = _switch(client, world, Role.analyst)
    assert client.post(f"/items/{reference}/claim", data={"csrf_token": csrf}).status_code == 303
    assert 'data-testid="item-claim">by you until' in client.get(f"/items/{reference}").text
    assert client.post(f"/items/{reference}/release", data={"csrf_token": csrf}).status_code == 303
    page = client.get(f"/items/{reference}").text
    assert "by you until" not in page and f'action="/items/{reference}/claim"' in page
    assert client.get("/items/I-NOSUCH00").status_code == 404


def test_secretariat_routes_by_hand(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        receipt = intake.submit_reports(
            session, factories.OPERATOR, [ReportIn(urls=["https://nowhere.example.test/x"])]
        )[0]
    reference = receipt.items[0].item
    csrf = _switch(client, world, Role.secretariat_admin)
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="route"' in page and '<option value="NL"' in page
    routed = client.post(
        f"/items/{reference}/route", data={"csrf_token": csrf, "country_code": "NL"}
    )
    assert routed.status_code == 303
    page = client.get(f"/items/{reference}").text
    assert 'data-stage="awaiting_assessment"' in page and world.orgs[OrgKind.hotline].name in page


def test_lea_places_and_releases_a_hold(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url = "https://photos.example.test/held/3.jpg"
    reference = _routed_item(app, sessions, url)
    csrf = _switch(client, world, Role.investigator)
    holds = client.get("/holds").text
    assert 'data-testid="place-hold"' in holds
    refused = client.post(
        "/holds",
        data={"csrf_token": csrf, "target_type": "url", "target_value": url, "reason": "x"},
    )
    assert refused.status_code == 400 and 'data-testid="form-errors"' in refused.text
    assert 'data-testid="field-error">give at least 3 characters<' in refused.text
    placed = client.post(
        "/holds",
        data={
            "csrf_token": csrf,
            "target_type": "url",
            "target_value": url,
            "reason": "Operation Example: do not alert",
            "days": "10",
        },
    )
    assert placed.status_code == 303, placed.text[:500]
    hold = placed.headers["location"].rsplit("/", 1)[1]
    detail = client.get(f"/holds/{hold}").text
    assert "Operation Example" in detail and f'href="/items/{reference}"' in detail
    listing = client.get("/holds").text
    assert hold in listing and "Operation Example" in listing
    own_item = client.get(f"/items/{reference}").text
    assert "Operation Example" in own_item and "On hold until" in own_item

    # Another organisation sees "on hold until" only; its assessment alerts the agency.
    analyst_csrf = _switch(client, world, Role.analyst)
    other = client.get(f"/items/{reference}").text
    assert "On hold until" in other
    assert "Operation Example" not in other and hold not in other
    client.post(f"/items/{reference}/claim", data={"csrf_token": analyst_csrf})
    assessed = client.post(
        f"/items/{reference}/assess",
        data={"csrf_token": analyst_csrf, "classification": "baseline"},
    )
    assert assessed.status_code == 303

    csrf = _switch(client, world, Role.investigator)
    alerts = client.get("/holds").text.split('data-testid="alerts"')[1]
    assert "Assessment" in alerts and f'href="/items/{reference}"' in alerts
    alert_id = re.search(r'action="/alerts/(\d+)/acknowledge"', alerts)
    assert alert_id
    # The alerts page lists it too, with the hold it came from.
    every_alert = client.get("/alerts").text
    assert 'href="/alerts"' in every_alert  # the navigation entry
    assert f'action="/alerts/{alert_id.group(1)}/acknowledge"' in every_alert
    assert f'href="/holds/{hold}"' in every_alert
    acked = client.post(
        f"/alerts/{alert_id.group(1)}/acknowledge", data={"csrf_token": csrf, "back": "/holds"}
    )
    assert acked.status_code == 303 and acked.headers["location"] == "/holds"
    assert "/acknowledge" not in client.get("/holds").text.split('data-testid="alerts"')[1]
    assert "/acknowledge" not in client.get("/alerts?unacknowledged=true").text
    again = client.post(
        f"/alerts/{alert_id.group(1)}/acknowledge",
        data={"csrf_token": csrf, "back": "https://elsewhere.example.test/"},
    )
    assert again.status_code == 303 and again.headers["location"] == "/alerts"

    renewed = client.post(f"/holds/{hold}/renew", data={"csrf_token": csrf, "days": "20"})
    assert renewed.status_code == 303
    assert "<dt>Renewals</dt><dd>1</dd>" in client.get(f"/holds/{hold}").text
    released = client.post(f"/holds/{hold}/release", data={"csrf_token": csrf})
    assert released.status_code == 303
    assert (
        hold not in client.get("/holds").text.split('data-testid="holds"')[1].split("</table>")[0]
    )
    assert "On hold until" not in client.get(f"/items/{reference}").text


def test_items_list_filters(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = _routed_item(app, sessions, "https://photos.example.test/list/1.jpg")
    second = _routed_item(app, sessions, "https://img.example.test/list/2.jpg")
    _switch(client, world, Role.analyst)
    listing = client.get("/items").text
    assert first in listing and second in listing
    filtered = client.get("/items", params={"q": "img.example.test", "stage": "", "country": ""})
    assert second in filtered.text and first not in filtered.text
    # "%" and "_" are characters to look for, not wildcards: no URL here contains them.
    for wildcard in ("%", "_", "photos%list"):
        matched = client.get("/items", params={"q": wildcard}).text
        assert first not in matched and second not in matched and "No items match." in matched
    by_stage = client.get("/items", params={"stage": "removed"}).text
    assert first not in by_stage and "No items match." in by_stage
    assert client.get("/items", params={"stage": "bogus"}).status_code == 400


def test_metrics_page_draws_an_svg_chart(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/m/1.jpg")
    with sessions.begin() as session:
        item = session.execute(
            select(ContentItem).where(ContentItem.reference == reference)
        ).scalar_one()
        assert item.country_code == "NL"
    _switch(client, world, Role.viewer)
    for group_by in ("country", "provider", "month"):
        page = client.get("/metrics/takedown", params={"group_by": group_by})
        assert page.status_code == 200, page.text[:300]
        assert "<svg" in page.text and 'data-testid="removal-chart"' in page.text
        assert f"group_by={group_by}" in page.text  # the API link
    dated = client.get("/metrics/takedown", params={"since": "2020-01-01", "until": "2020-01-31"})
    assert dated.status_code == 200 and "No items in this period." in dated.text
    assert client.get("/metrics/takedown", params={"group_by": "planet"}).status_code == 400
    assert client.get("/metrics/takedown", params={"since": "yesterday"}).status_code == 400


def test_provider_directory(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add_all(
            [
                HostingProvider(
                    slug="mail-host",
                    name="Mail Host B.V.",
                    country_code="NL",
                    asns=[64500, 64510],
                    abuse_email="abuse@mail-host.example.test",
                ),
                HostingProvider(slug="quiet-host", name="Quiet Host", country_code="NL", asns=[]),
            ]
        )
    _switch(client, world, Role.reviewer)
    listing = client.get("/providers").text
    assert "Mail Host B.V." in listing and "64500, 64510" in listing
    detail = client.get("/providers/quiet-host").text
    assert "No contact channel" in detail
    assert client.get("/providers/no-such-provider").status_code == 404
