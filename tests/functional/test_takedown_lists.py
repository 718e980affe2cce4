"""Takedown lists as a user works them: items, holds, takedown metrics and providers sort,
page with their filters kept, download as CSV, and their forms answer beside the field."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import User
from alliance.accounts.permissions import Role
from alliance.db.base import utcnow
from alliance.hosting.models import HostingProvider
from alliance.takedown import holds as holds_
from alliance.takedown import intake
from alliance.takedown.models import Classification, ContentItem, Hold, HoldTarget, ItemStage
from alliance.takedown.schemas import HoldIn, ReportIn
from tests import factories
from tests.functional.conftest import World, log_in

BESIDE = r'<input id="f-{}"[^>]*>\s*<p class="field-error"[^>]*>([^<]+)<'
ITEM_REF = re.compile(r'<a href="/items/(I-[0-9A-Z]+)">')
HOLD_REF = re.compile(r'<a href="/holds/(H-[0-9A-Z]+)">')


def _switch(client: TestClient, world: World, role: Role) -> str:
    client.cookies.clear()
    return log_in(client, world.usernames[role])


def _items(sessions: sessionmaker[Session], urls: list[str]) -> list[str]:
    """Reported items (one report), newest last: their references in the order of ``urls``."""
    with sessions.begin() as session:
        receipt = intake.submit_reports(session, factories.OPERATOR, [ReportIn(urls=urls)])[0]
        references = [i.item for i in receipt.items]
        now = utcnow()
        for n, reference in enumerate(references):
            item = session.execute(
                select(ContentItem).where(ContentItem.reference == reference)
            ).scalar_one()
            item.received_at = now - timedelta(hours=len(references) - n)
    return references


def _set(sessions: sessionmaker[Session], reference: str, **values: object) -> None:
    with sessions.begin() as session:
        item = session.execute(
            select(ContentItem).where(ContentItem.reference == reference)
        ).scalar_one()
        for name, value in values.items():
            setattr(item, name, value)


def _table(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]


def _csv(response: object) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    assert "attachment" in response.headers["content-disposition"]  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(response.text)))  # type: ignore[attr-defined]


# --- items -----------------------------------------------------------------------------


def test_items_sort_by_the_column_chosen(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first, second, third = _items(
        sessions,
        [
            "https://b.example.test/sort/1.jpg",
            "https://c.example.test/sort/2.jpg",
            "https://a.example.test/sort/3.jpg",
        ],
    )
    _set(sessions, first, country_code="SE", stage=ItemStage.removed)
    _set(sessions, second, country_code="AT", stage=ItemStage.notified)
    _set(sessions, third, country_code="FR", stage=ItemStage.awaiting_assessment)
    _switch(client, world, Role.secretariat_admin)

    def order(**params: str) -> list[str]:
        page = client.get("/items", params=params)
        assert page.status_code == 200, page.text[:300]
        return [
            r for r in ITEM_REF.findall(_table(page.text, "items")) if r in (first, second, third)
        ]

    assert order() == [third, second, first]  # newest first by default
    assert order(sort="received") == [first, second, third]
    assert order(sort="country") == [second, third, first]
    assert order(sort="-country") == [first, third, second]
    assert order(sort="url") == [third, first, second]
    # A stage sorts in the order of the workflow, not alphabetically by its code.
    assert order(sort="stage") == [third, second, first]
    page = client.get("/items", params={"sort": "-country"}).text
    assert 'aria-sort="descending"' in page and 'href="/items?sort=country"' in page
    # Stages are shown in words, never as codes.
    assert ">Awaiting assessment<" in page and "awaiting_assessment<" not in page
    bad = client.get("/items", params={"sort": "password"})
    assert bad.status_code == 400


def test_items_pages_keep_the_filters(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    german = _items(sessions, [f"https://de.example.test/page/{n}.jpg" for n in range(53)])
    dutch = _items(sessions, ["https://nl.example.test/page/1.jpg"])
    for reference in german:
        _set(sessions, reference, country_code="DE")
    _set(sessions, dutch[0], country_code="NL")
    _switch(client, world, Role.secretariat_admin)

    first = client.get("/items", params={"country": "de", "sort": "reference"})
    assert first.status_code == 200
    shown = ITEM_REF.findall(_table(first.text, "items"))
    assert len(shown) == 50 and shown == sorted(german)[:50] and dutch[0] not in shown
    assert "50 items on this page of 53" in first.text
    pager = first.text.split('data-testid="pager"', 1)[1]
    next_link = re.search(r'href="([^"]+)" rel="next"', pager)
    assert next_link
    assert "country=DE" in next_link.group(1) and "sort=reference" in next_link.group(1)
    assert "page=2" in next_link.group(1)
    second = client.get(next_link.group(1).replace("&amp;", "&"))
    rest = ITEM_REF.findall(_table(second.text, "items"))
    assert (
        rest == sorted(german)[50:]
        and 'rel="prev"' in second.text
        and 'rel="next"' not in second.text
    )
    # The filter form keeps the order chosen.
    assert 'name="sort" value="reference"' in second.text


def test_items_csv_is_the_filtered_list_in_the_same_order(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    references = _items(sessions, [f"https://csv.example.test/{n}.jpg" for n in range(55)])
    other = _items(sessions, ["https://elsewhere.example.test/1.jpg"])
    with sessions.begin() as session:
        rogue = HostingProvider(
            slug="rogue-host", name='=HYPERLINK("http://x.example.test")', country_code="NL"
        )
        session.add(rogue)
        session.flush()
        provider_id = rogue.id
    _set(sessions, references[0], provider_id=provider_id, classification=Classification.baseline)
    _switch(client, world, Role.secretariat_admin)
    page = client.get("/items", params={"q": "csv.example.test", "sort": "-received"}).text
    link = re.search(r'href="([^"]+)" download data-testid="csv-download"', page)
    assert link and "format=csv" in link.group(1) and "q=csv.example.test" in link.group(1)
    rows = _csv(client.get(link.group(1).replace("&amp;", "&")))
    assert rows[0] == [
        "Item",
        "URL",
        "Stage",
        "Classification",
        "Country",
        "Provider",
        "Reports",
        "Received (UTC)",
        "On hold until (UTC)",
    ]
    body = rows[1:]
    # Every page (55 > 50), newest first as on the page, nothing outside the filter.
    assert [r[0] for r in body] == list(reversed(references))
    assert other[0] not in {r[0] for r in body}
    oldest = body[-1]
    assert oldest[1] == "https://csv.example.test/0.jpg" and oldest[2] == "Received"
    assert oldest[3] == "Baseline (illegal everywhere)"
    # A cell that a spreadsheet would run as a formula is text.
    assert oldest[5] == '\'=HYPERLINK("http://x.example.test")'


# --- holds -----------------------------------------------------------------------------


def _investigator(sessions: sessionmaker[Session], world: World) -> object:
    with sessions() as session:
        user = session.execute(
            select(User).where(User.username == world.usernames[Role.investigator])
        ).scalar_one()
        return factories.principal(user)


def _hold(app: FastAPI, sessions: sessionmaker[Session], world: World, url: str) -> str:
    principal = _investigator(sessions, world)
    with sessions.begin() as session:
        hold = holds_.place_hold(
            session,
            principal,  # type: ignore[arg-type]
            HoldIn(target_type=HoldTarget.url, target_value=url, reason="Operation Lists"),
            app.state.alliance.settings,
        )
        return hold.reference


def test_released_and_expired_holds_stay_visible(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    kept = _hold(app, sessions, world, "https://a.example.test/kept")
    released = _hold(app, sessions, world, "https://b.example.test/released")
    expired = _hold(app, sessions, world, "https://c.example.test/expired")
    investigator = _investigator(sessions, world)
    with sessions.begin() as session:
        holds_.release_hold(session, investigator, released)  # type: ignore[arg-type]
        old = session.execute(select(Hold).where(Hold.reference == expired)).scalar_one()
        old.expires_at = utcnow() - timedelta(days=1)
    _switch(client, world, Role.investigator)

    def listed(**params: str) -> list[str]:
        page = client.get("/holds", params=params)
        assert page.status_code == 200, page.text[:300]
        return HOLD_REF.findall(_table(page.text, "holds"))

    assert set(listed()) == {kept}  # active by default
    assert listed(state="released") == [released]
    assert listed(state="expired") == [expired]
    assert set(listed(state="all")) == {kept, released, expired}
    page = client.get("/holds", params={"state": "all"}).text
    statuses = re.findall(r'data-testid="hold-status">(\w+)', page)
    assert sorted(statuses) == ["Active", "Expired", "Released"]
    # Sorting changes the order; the state chosen stays in the links.
    assert listed(state="all", sort="target") == [kept, released, expired]
    assert listed(state="all", sort="-target") == [expired, released, kept]
    assert (
        'href="/holds?state=all&amp;sort=-target"'
        in client.get("/holds", params={"state": "all", "sort": "target"}).text
    )
    assert client.get("/holds", params={"state": "gone"}).status_code == 400

    rows = _csv(client.get("/holds", params={"state": "all", "sort": "target", "format": "csv"}))
    assert rows[0][:5] == ["Hold", "Status", "Agency", "Target type", "Target"]
    assert [(r[0], r[1], r[3], r[5]) for r in rows[1:]] == [
        (kept, "Active", "URL", "Operation Lists"),
        (released, "Released", "URL", "Operation Lists"),
        (expired, "Expired", "URL", "Operation Lists"),
    ]

    # The released hold's page says what happened, when and by whom.
    detail = client.get(f"/holds/{released}").text
    history = _table(detail, "hold-history")
    assert "Placed" in history and "Released" in history
    assert world.usernames[Role.investigator] in history
    assert 'data-testid="hold-state">Released<' in detail
    # The secretariat sees what happened and when, not who in the agency did it.
    _switch(client, world, Role.secretariat_admin)
    theirs = _table(client.get(f"/holds/{released}").text, "hold-history")
    assert "Placed" in theirs and "Released" in theirs
    assert world.usernames[Role.investigator] not in theirs


def test_place_hold_form_answers_beside_the_field(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = _switch(client, world, Role.investigator)
    good = {
        "csrf_token": csrf,
        "target_type": "url",
        "target_value": "https://photos.example.test/form/1.jpg",
        "reason": "Operation Form",
        "days": "14",
    }
    for field, value, message in (
        ("target_value", "not a web address", None),
        ("days", "9999", "give from 1 to 180 days"),
        ("days", "ten", "whole number"),
        ("reason", "", "at least 3 characters"),
    ):
        answer = client.post("/holds", data={**good, field: value})
        assert answer.status_code == 400, (field, answer.status_code)
        form = answer.text.split('data-testid="place-hold"', 1)[1].split("</form>", 1)[0]
        assert 'data-testid="form-errors"' in form
        # The message sits beside the field at fault, which is marked invalid.
        tag = re.search(
            rf'<input id="f-{field}"[^>]*>\s*<p class="field-error"[^>]*>([^<]+)<', form
        )
        assert tag, (field, form[:1500])
        assert 'aria-invalid="true"' in tag.group(0)
        if message:
            assert message in tag.group(1)
        # What the user typed comes back.
        for kept in ("target_value", "reason", "days"):
            typed = {**good, field: value}[kept]
            assert (
                f'name="{kept}" type="{"number" if kept == "days" else "text"}" value="{typed}"'
                in form
            )
        assert "pydantic" not in answer.text and "Value error" not in answer.text
    # Every field at fault is named at once.
    everything = client.post(
        "/holds", data={**good, "target_value": "not a web address", "reason": "", "days": "0"}
    )
    assert everything.status_code == 400
    beside = re.findall(r'<input id="f-(\w+)"[^>]*>\s*<p class="field-error"', everything.text)
    assert sorted(beside) == ["days", "reason", "target_value"]
    unknown_report = client.post(
        "/holds", data={**good, "target_type": "report", "target_value": "R-NOSUCH"}
    )
    assert unknown_report.status_code == 404 and "no report R-NOSUCH" in unknown_report.text
    assert 'data-testid="field-error"' in unknown_report.text

    placed = client.post("/holds", data=good)
    assert placed.status_code == 303, placed.text[:500]
    location = placed.headers["location"]
    reference = location.rsplit("/", 1)[1]
    page = client.get(location).text
    notice = re.search(r'data-testid="notice">([^<]+)<', page)
    assert notice and notice.group(1).startswith(f"Hold {reference} placed until 20")
    assert "UTC" in notice.group(1)
    assert 'data-testid="notice"' not in client.get(location).text  # once only
    # The same target again is refused beside the target.
    again = client.post("/holds", data=good)
    assert again.status_code == 409 and "already holds this target" in again.text

    # Renew: a bad number answers beside the days, a good one confirms.
    bad = client.post(f"/holds/{reference}/renew", data={"csrf_token": csrf, "days": "0"})
    assert bad.status_code == 400
    renew = bad.text.split('data-testid="renew-hold"', 1)[1].split("</form>", 1)[0]
    assert 'data-testid="field-error">renew for 1 to 180 days<' in renew and 'value="0"' in renew
    assert 'data-confirm="Renew hold' in bad.text
    renewed = client.post(f"/holds/{reference}/renew", data={"csrf_token": csrf, "days": "30"})
    assert renewed.status_code == 303
    page = client.get(renewed.headers["location"]).text
    assert f"Hold {reference} renewed until" in page
    assert "Renewed" in _table(page, "hold-history")

    released = client.post(f"/holds/{reference}/release", data={"csrf_token": csrf})
    assert released.status_code == 303 and released.headers["location"] == "/holds"
    assert f"Hold {reference} released" in client.get("/holds").text
    twice = client.post(f"/holds/{reference}/release", data={"csrf_token": csrf})
    assert twice.status_code == 409 and "already released" in twice.text
    history = _table(client.get(f"/holds/{reference}").text, "hold-history")
    assert [w for w in ("Placed", "Renewed", "Released") if w in history] == [
        "Placed",
        "Renewed",
        "Released",
    ]


# --- takedown metrics ---------------------------------------------------------------------


def test_metrics_period_form_answers_beside_the_field(client: TestClient, world: World) -> None:
    _switch(client, world, Role.viewer)
    for params, field, words in (
        ({"since": "2026-03-10", "until": "2026-03-01"}, "until", "on or after"),
        ({"since": "2026-13-01"}, "since", "YYYY-MM-DD"),
        ({"since": "2000-01-01", "until": "2020-01-01"}, "since", "at most 10 years"),
    ):
        answer = client.get("/metrics/takedown", params=params)
        assert answer.status_code == 400, params
        form = answer.text.split('data-testid="metrics-period"', 1)[1].split("</form>", 1)[0]
        assert 'data-testid="form-errors"' in form
        beside = re.search(
            rf'<input id="f-{field}"[^>]*>\s*<p class="field-error"[^>]*>([^<]+)<', form
        )
        assert beside and words in beside.group(1), (params, form[:1200])
        for name, value in params.items():
            assert f'name="{name}" type="date" value="{value}"' in form
        assert 'data-testid="metrics-none"' in answer.text
    fine = client.get("/metrics/takedown", params={"since": "2026-03-01", "until": "2026-03-01"})
    assert fine.status_code == 200 and 'data-testid="form-errors"' not in fine.text


def test_metrics_csv(client: TestClient, world: World, sessions: sessionmaker[Session]) -> None:
    references = _items(sessions, ["https://m.example.test/1.jpg", "https://m.example.test/2.jpg"])
    with sessions.begin() as session:
        rogue = HostingProvider(slug="formula-host", name="+SUM(A1:A9)", country_code="NL")
        session.add(rogue)
        session.flush()
        provider_id = rogue.id
    now = utcnow()
    for n, reference in enumerate(references):
        _set(
            sessions,
            reference,
            classification=Classification.baseline,
            country_code="NL",
            provider_id=provider_id if n == 0 else None,
            received_at=now - timedelta(days=3),
            assessed_at=now - timedelta(days=3) + timedelta(hours=2),
            removed_at=now - timedelta(days=2) if n == 0 else None,
            stage=ItemStage.removed if n == 0 else ItemStage.notified,
        )
    _switch(client, world, Role.viewer)
    page = client.get("/metrics/takedown", params={"group_by": "provider"}).text
    link = re.search(r'href="([^"]+)" download data-testid="csv-download"', page)
    assert link and "group_by=provider" in link.group(1) and "format=csv" in link.group(1)
    rows = _csv(client.get(link.group(1).replace("&amp;", "&")))
    header = rows[0]
    assert header[:3] == ["Hosting provider", "Items", "Removed"]
    assert "Received → removed: median hours" in header and header[-1] == "Notices sent"
    by_group = {r[0]: r for r in rows[1:]}
    assert set(by_group) == {"'+SUM(A1:A9)", "unknown", "All"}
    rogue_row = dict(zip(header, by_group["'+SUM(A1:A9)"], strict=True))
    assert rogue_row["Items"] == "1" and rogue_row["Removed"] == "1"
    assert rogue_row["Received → removed: median hours"] == "24.0"
    assert rogue_row["Removed within 3 days (%)"] == "100.0"
    assert by_group["All"][1] == "2"


# --- providers ----------------------------------------------------------------------------


def test_providers_sort_filter_page_and_download(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add_all(
            [
                HostingProvider(
                    slug=f"host-{n:03d}",
                    name=f"Host {n:03d}",
                    country_code="DE" if n % 2 else "NL",
                    asns=[64500 + n],
                    abuse_email=f"abuse@host-{n}.example.test",
                )
                for n in range(104)
            ]
            + [HostingProvider(slug="sneaky", name="@cmd|calc", country_code="SE", asns=[])]
        )
    _switch(client, world, Role.reviewer)

    def names(**params: str) -> list[str]:
        page = client.get("/providers", params=params)
        assert page.status_code == 200, page.text[:300]
        return re.findall(r'<a href="/providers/[^"]+">([^<]+)</a>', _table(page.text, "providers"))

    ascending = names(country="DE")
    assert ascending[:2] == ["Host 001", "Host 003"] and len(ascending) == 50
    assert names(country="DE", sort="-name")[:2] == ["Host 103", "Host 101"]
    assert names(q="host 1", sort="name") == ["Host 100", "Host 101", "Host 102", "Host 103"]
    page = client.get("/providers", params={"country": "de", "page": "2"}).text
    assert (
        names(country="DE", page="2")[0] == "Host 101" and len(names(country="DE", page="2")) == 2
    )
    assert 'href="/providers?country=DE&amp;sort=name"' in page  # page 1, filter kept
    assert '<option value="DE" selected>Germany</option>' in page  # the filter kept, by name
    rows = _csv(client.get("/providers", params={"country": "SE", "format": "csv"}))
    assert rows[0][:3] == ["Provider", "Short name", "Country"]
    assert rows[1:] == [["'@cmd|calc", "sneaky", "SE", "", "", "no", "no", "yes", rows[1][8]]]
    detail = client.get("/providers/host-001").text
    assert "In the directory since" in detail and "UTC" in detail
    assert "one message per notice" in detail
