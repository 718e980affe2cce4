"""The page shell: navigation by task for each role, counts of what waits, the dashboard's
figures as links, the skip link and the landmarks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.takedown import assessment, intake, routing
from alliance.takedown.schemas import ReportIn, RouteIn
from alliance.victims import referrals, series
from alliance.victims.schemas import ReferralIn, SeriesIn
from tests import factories
from tests.functional.conftest import World, log_in
from tests.support.menus import MENUS


class _Shell(HTMLParser):
    """The main navigation as {menu: [links]} ("" for links outside a menu), the current
    links and menus, and the counts shown beside links."""

    def __init__(self) -> None:
        super().__init__()
        self.menus: dict[str, list[str]] = {}
        self.current: list[tuple[str, str]] = []  # (text, aria-current)
        self.counts: dict[str, str] = {}
        self._in_nav = False
        self._menu = ""
        self._text: list[str] | None = None
        self._what = ""
        self._aria: str | None = None
        self._count: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "nav" and a.get("aria-label") == "Main":
            self._in_nav = True
        if not self._in_nav:
            return
        if tag in ("summary", "a"):
            self._what, self._text, self._aria = tag, [], a.get("aria-current")
        if tag == "span" and (a.get("data-testid") or "").startswith("count-"):
            self._count = a["data-testid"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._in_nav:
            self._in_nav = False
        if tag == "details":
            self._menu = ""
        if self._text is None or tag != self._what:
            return
        text = "".join(self._text).split(" waiting")[0].strip()
        text = re.sub(r"\s+\d+$", "", text)  # the count beside it
        if tag == "summary":
            self._menu = text
            self.menus[text] = []
        else:
            self.menus.setdefault(self._menu, []).append(text)
        if self._aria:
            self.current.append((text, self._aria))
        self._text = None

    def handle_data(self, data: str) -> None:
        if self._count is not None:
            self.counts[self._count.removeprefix("count-")] = data.strip()
            self._count = None
        if self._text is not None:
            self._text.append(data)


def shell(html: str) -> _Shell:
    parsed = _Shell()
    parsed.feed(html)
    return parsed


def _as(client: TestClient, username: str) -> str:
    client.cookies.clear()
    return log_in(client, username)


EXPECTED = MENUS


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_menus_by_task(client: TestClient, world: World, role: Role) -> None:
    _as(client, world.usernames[role])
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert shell(page.text).menus == EXPECTED[role]
    # Every link in the menus opens for this role.
    for links in EXPECTED[role].values():
        assert len(links) == len(set(links))
    for path in re.findall(r'<li><a href="(/[^"]*)"', page.text.split('aria-label="Main"')[1]):
        # A link may lead on (an editor whose country is not registered is told so on
        # the alliance-wide page): what it ends on opens.
        assert client.get(path, follow_redirects=True).status_code == 200, path


def test_the_current_page_and_its_menu_are_marked(client: TestClient, world: World) -> None:
    _as(client, world.usernames[Role.investigator])
    assert shell(client.get("/holds").text).current == [("Takedown", "true"), ("Holds", "page")]
    assert shell(client.get("/dashboard").text).current == [("Dashboard", "page")]
    assert shell(client.get("/victims/metrics").text).current == [
        ("Victim ID", "true"),
        ("Victim KPI", "page"),
    ]
    assert shell(client.get("/account").text).current == []


def test_skip_link_and_landmarks(client: TestClient, world: World) -> None:
    _as(client, world.usernames[Role.analyst])
    for path in ("/dashboard", "/items", "/queue", "/account", "/users"):
        page = client.get(path).text
        assert page.index('<a class="skip-link" href="#main">Skip to content</a>') < page.index(
            "<header"
        )
        assert '<main id="main"' in page
        assert page.count('<nav aria-label="Main"') == 1
        assert page.count("<header") == 1 and page.count("<footer") == 1
        assert page.count("<h1") == 1, path
    # The login page has the skip link and landmarks too, without a navigation.
    client.cookies.clear()
    login = client.get("/login").text
    assert 'href="#main">Skip to content' in login and "<nav" not in login


def _routed_item(app: FastAPI, sessions: sessionmaker[Session], url: str) -> str:
    settings = app.state.alliance.settings
    with sessions.begin() as session:
        receipt = intake.submit_reports(session, factories.OPERATOR, [ReportIn(urls=[url])])[0]
        reference = receipt.items[0].item
        routing.route_manually(
            session, factories.OPERATOR, reference, RouteIn(country_code="NL"), settings
        )
    return reference


def _second(sessions: sessionmaker[Session], world: World, role: Role, kind: OrgKind) -> Principal:
    with sessions.begin() as session:
        user = factories.user(session, world.orgs[kind], role, username=f"second-{role.value}")
        return factories.principal(user)


def test_queue_count_appears_and_changes(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _as(client, world.usernames[Role.analyst])
    page = shell(client.get("/dashboard").text)
    assert "queue" not in page.counts  # nothing waits: no count shown
    first = _routed_item(app, sessions, "https://photos.example.test/shell/1.jpg")
    _routed_item(app, sessions, "https://photos.example.test/shell/2.jpg")
    page_text = client.get("/items").text
    assert shell(page_text).counts == {"queue": "2"}
    assert '<span class="count" data-testid="group-count">2<' in page_text  # on "Takedown"

    # An item another analyst claimed no longer waits for this one; released, it does.
    # The queue's rows are what the count counts (one query): the colleague's item is
    # listed apart, under who is assessing it.
    other = _second(sessions, world, Role.analyst, OrgKind.hotline)
    with sessions.begin() as session:
        assessment.claim_item(session, other, first, app.state.alliance.settings)
    assert shell(client.get("/items").text).counts == {"queue": "1"}
    queue = client.get("/queue").text
    rows = queue.split('data-testid="queue"')[1].split("</table>")[0]
    assert shell(queue).counts == {"queue": "1"}
    assert rows.count('<a href="/items/') == 1 and first not in rows
    assert 'data-testid="queue-total">1 item waiting for you<' in queue
    taken = queue.split('data-testid="queue-taken"')[1].split("</table>")[0]
    assert first in taken and "by second-analyst until" in taken
    with sessions.begin() as session:
        assessment.release_item(session, other, first)
    assert shell(client.get("/items").text).counts == {"queue": "2"}
    queue = client.get("/queue").text
    rows = queue.split('data-testid="queue"')[1].split("</table>")[0]
    assert rows.count('<a href="/items/') == 2 and 'data-testid="queue-taken"' not in queue

    # An error page has the navigation but counts nothing: the request's transaction has
    # ended by then (and the error handlers run outside a worker thread).
    missing = client.get("/items/I-NOSUCH11")
    assert missing.status_code == 404 and 'aria-label="Main"' in missing.text
    assert shell(missing.text).counts == {}


def test_alert_count_appears_and_changes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url = "https://photos.example.test/watched/1.jpg"
    with sessions.begin() as session:
        cooperation.register(
            session,
            organisation_id=world.orgs[OrgKind.law_enforcement].id,
            kind="url",
            value=url,
            source="hold",
            source_reference="H-TESTHOLD",
        )
        alerts = cooperation.touch(
            session, factories.OPERATOR, cooperation.Touched(url=url), "report"
        )
        assert len(alerts) == 1
        alert_id = alerts[0].id
    csrf = _as(client, world.usernames[Role.investigator])
    page = client.get("/dashboard").text
    assert shell(page).counts == {"alerts": "1"}
    assert 'href="/alerts?unacknowledged=true"' in page
    acknowledged = client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
    assert acknowledged.status_code == 303
    assert "alerts" not in shell(client.get("/dashboard").text).counts
    # The secretariat reads every agency's alerts, but they are not its work to acknowledge.
    _as(client, world.usernames[Role.secretariat_admin])
    assert "alerts" not in shell(client.get("/dashboard").text).counts


def test_referral_count_appears_and_changes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="gb-police")
        gb_investigator = factories.principal(
            factories.user(session, gb, Role.investigator, username="gb-investigator")
        )
        started = series.create_series(session, gb_investigator, SeriesIn(name="Shell test"))
        referral = referrals.refer_series(
            session, gb_investigator, started.code, ReferralIn(country="NL")
        )
        reference = referral.reference
    csrf = _as(client, world.usernames[Role.investigator])
    assert shell(client.get("/series").text).counts == {"referrals": "1"}
    declined = client.post(
        f"/referrals/{reference}/decision",
        data={"csrf_token": csrf, "decision": "decline", "reason": "not ours"},
    )
    assert declined.status_code == 303
    assert "referrals" not in shell(client.get("/series").text).counts
    # The referring agency has nothing waiting: the referral is not to it.
    _as(client, "gb-investigator")
    assert "referrals" not in shell(client.get("/series").text).counts


def _figures(html: str, testid: str) -> dict[str, tuple[str, str]]:
    """{label: (value, href)} of one list of dashboard figures."""
    block = html.split(f'data-testid="{testid}"')[1].split("</ul>", maxsplit=1)[0]
    found = re.findall(
        r'<a href="([^"]+)"><span class="value">(\d+)</span> <span class="what">([^<]+)</span>',
        block,
    )
    return {label: (value, href.replace("&amp;", "&")) for href, value, label in found}


def test_dashboard_figures_link_to_the_lists_they_count(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/dash/1.jpg")
    _as(client, world.usernames[Role.analyst])
    page = client.get("/dashboard").text
    waiting = _figures(page, "waiting")
    assert waiting == {"Items in your queue you may take": ("1", "/queue")}
    glance = _figures(page, "at-a-glance")
    assert glance["Items awaiting assessment"] == ("1", "/items?stage=awaiting_assessment")
    assert glance["Items notified, not yet removed"] == ("0", "/items?stage=notified")
    assert glance["Member organisations"][1] == "/orgs"
    assert glance["Active users you can see"][1] == "/users"
    # The lists show what the figures count.
    assert reference in client.get("/queue").text
    assert reference in client.get("/items?stage=awaiting_assessment").text
    assert reference not in client.get("/items?stage=notified").text
    for _, href in [*waiting.values(), *glance.values()]:
        assert client.get(href).status_code == 200, href

    _as(client, world.usernames[Role.investigator])
    waiting = _figures(client.get("/dashboard").text, "waiting")
    assert waiting["Unacknowledged alerts to your agency"] == ("0", "/alerts?unacknowledged=true")
    assert waiting["Referrals awaiting your decision"] == ("0", "/referrals")
    glance = _figures(client.get("/dashboard").text, "at-a-glance")
    assert glance["Active holds"] == ("0", "/holds")

    _as(client, world.usernames[Role.secretariat_admin])
    glance = _figures(client.get("/dashboard").text, "at-a-glance")
    assert glance["Active API keys"][1] == "/keys"
    # The permissions read as words, not codes.
    may = client.get("/dashboard").text.split("What you may do", 1)[1].split("</details>", 1)[0]
    assert "platform:" not in may and "<code>" not in may and "<li>" in may


def test_counted_once_per_page_and_never_for_the_api(
    client: TestClient, world: World, engine: Engine
) -> None:
    """The waiting counts run once per page (the dashboard shows them too), and neither
    for the API nor for the login page."""
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "deconfliction_alerts" in statement and "count(" in statement.lower():
            statements.append(statement)

    _as(client, world.usernames[Role.investigator])
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get("/dashboard").status_code == 200
        assert len(statements) == 1, statements
        statements.clear()
        assert client.get("/holds").status_code == 200
        assert len(statements) == 1
        statements.clear()
        key = {"Authorization": f"Bearer {world.keys[Role.investigator]}"}
        assert client.get("/api/v1/alerts", headers=key).status_code == 200
        assert client.get("/api/v1/me", headers=key).status_code == 200
        client.cookies.clear()
        assert client.get("/login").status_code == 200
        assert statements == []
    finally:
        event.remove(engine, "before_cursor_execute", note)
