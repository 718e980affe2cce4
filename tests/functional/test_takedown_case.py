"""The whole case on the item page (issue 15): the reports that formed an item and the
report page, holds placed from the item and their history on the timeline, claims enforced
in the assessment service (page, API), confirmations and errors beside the fields of the
item's and the report forms, the polled takedown state, timeline details in words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.errors import Conflict
from alliance.hosting.models import HostingProvider
from alliance.hosting.resolution import HostingResult
from alliance.takedown import assessment, holds, intake, routing
from alliance.takedown.models import (
    Classification,
    ContentItem,
    EventKind,
    HoldTarget,
    ItemEvent,
    ItemStage,
    ReportSource,
)
from alliance.takedown.schemas import AssessmentIn, HoldIn, ReportIn, RouteIn
from tests import factories
from tests.functional.conftest import World, log_in
from tests.functional.test_takedown_pages import _routed_item, _switch

SHA = "cd" * 32


def _principal(session: Session, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return factories.principal(user)


def _item(session: Session, reference: str) -> ContentItem:
    return session.execute(
        select(ContentItem).where(ContentItem.reference == reference)
    ).scalar_one()


def _public_case(app: FastAPI, sessions: sessionmaker[Session], url: str) -> tuple[str, str]:
    """A public report with a contact and a country hint, routed to NL: (report, item)."""
    settings = app.state.alliance.settings
    with sessions.begin() as session:
        receipt = intake.submit_reports(
            session,
            intake.PUBLIC,
            [ReportIn(urls=[url], description="Seen on a forum\nposted twice", country_hint="NL")],
            source=ReportSource.public,
            reporter_contact="finder@example.test",
        )[0]
        item = receipt.items[0].item
        routing.route_manually(
            session, factories.OPERATOR, item, RouteIn(country_code="NL"), settings
        )
    return receipt.reference, item


def _notice(client: TestClient, response: object) -> str:
    """Follow a 303 and return the confirmation the next page shows."""
    location = response.headers["location"]  # type: ignore[attr-defined]
    page = client.get(location).text
    found = re.search(r'data-testid="notice">([^<]*)<', page)
    assert found, page[:1000]
    return found.group(1)


# --- the case: reports on the item page, the report page ------------------------------


def test_item_page_shows_the_reports_and_the_report_page_who_may_read_it(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url = "https://photos.example.test/case/1.jpg"
    public_ref, item = _public_case(app, sessions, url)
    with sessions.begin() as session:
        platform = _principal(session, world.usernames[Role.reviewer])
        own = intake.submit_reports(
            session, platform, [ReportIn(urls=[url], description="Flagged by our classifier")]
        )[0]
        other_hotline = factories.organisation(session, OrgKind.hotline, "GB", slug="gb-line")
        factories.user(session, other_hotline, Role.analyst, "gb-line-analyst")

    _switch(client, world, Role.analyst)
    page = client.get(f"/items/{item}").text
    case = page.split('data-testid="item-reports"')[1].split("</section>")[0]
    assert f'href="/reports/{public_ref}"' in case and f'href="/reports/{own.reference}"' in case
    assert "Seen on a forum\nposted twice" in case and "finder@example.test" in case
    assert "Flagged by our classifier" in case and world.orgs[OrgKind.industry].name in case
    assert "a member of the public" in case and "public report form" in case
    assert ">Land NL<" in case and ">NL<" not in case  # the country hint, by name

    report = client.get(f"/reports/{public_ref}")
    assert report.status_code == 200
    assert "finder@example.test" in report.text and "Seen on a forum" in report.text
    assert f'href="/items/{item}"' in report.text

    # The police of the hosting country read it too; the secretariat reads every report.
    _switch(client, world, Role.investigator)
    assert client.get(f"/reports/{public_ref}").status_code == 200
    _switch(client, world, Role.secretariat_admin)
    assert client.get(f"/reports/{public_ref.lower()}").status_code == 200

    # The platform reads its own report only, on the item page and as a page.
    _switch(client, world, Role.reviewer)
    page = client.get(f"/items/{item}").text
    case = page.split('data-testid="item-reports"')[1].split("</section>")[0]
    assert own.reference in case and public_ref not in case and "finder@" not in page
    assert client.get(f"/reports/{own.reference}").status_code == 200
    assert client.get(f"/reports/{public_ref}").status_code == 404

    # Another country's hotline sees neither; a report that does not exist is not found.
    client.cookies.clear()
    log_in(client, "gb-line-analyst")
    assert client.get(f"/reports/{public_ref}").status_code == 404
    assert client.get(f"/items/{item}").status_code == 404
    assert client.get("/reports/R-NOSUCH").status_code == 404


# --- holds from the item page, and their history --------------------------------------


def test_lea_places_a_hold_from_the_item_and_the_timeline_keeps_its_history(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/case/held.jpg")
    analyst_csrf = _switch(client, world, Role.analyst)
    assert 'data-testid="item-place-hold"' not in client.get(f"/items/{reference}").text
    refused = client.post(
        f"/items/{reference}/hold", data={"csrf_token": analyst_csrf, "reason": "x" * 5}
    )
    assert refused.status_code == 403

    csrf = _switch(client, world, Role.investigator)
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="item-place-hold"' in page

    bad = client.post(
        f"/items/{reference}/hold",
        data={"csrf_token": csrf, "reason": "Operation Kite", "days": "ten"},
    )
    assert bad.status_code == 400
    form = bad.text.split('data-testid="item-place-hold"')[1].split("</form>")[0]
    assert 'data-testid="form-errors"' in form
    assert re.search(r'name="days"[^>]*aria-invalid="true"', form)
    assert 'data-testid="field-error">give a whole number<' in form
    assert 'value="Operation Kite"' in form and 'value="ten"' in form

    too_long = client.post(
        f"/items/{reference}/hold",
        data={"csrf_token": csrf, "reason": "Operation Kite", "days": "100000"},
    )
    assert too_long.status_code == 400
    assert re.search(r'data-testid="field-error">a hold may run at most \d+ days', too_long.text)
    short = client.post(f"/items/{reference}/hold", data={"csrf_token": csrf, "reason": ""})
    assert short.status_code == 400 and 'id="f-reason-error"' in short.text

    placed = client.post(
        f"/items/{reference}/hold",
        data={"csrf_token": csrf, "reason": "Operation Kite", "days": "10"},
    )
    assert placed.status_code == 303 and placed.headers["location"] == f"/items/{reference}"
    notice = _notice(client, placed)
    hold = re.search(r"Hold (H-[0-9A-Z]+) placed on this address until", notice)
    assert hold, notice
    hold_ref = hold.group(1)
    page = client.get(f"/items/{reference}").text
    assert "On hold until" in page and "Operation Kite" in page
    timeline = page.split('data-testid="timeline"')[1]
    placed_row = timeline.split('data-kind="hold_placed"')[1].split("</tr>")[0]
    assert "Hold placed" in placed_row and world.usernames[Role.investigator] in placed_row
    assert hold_ref in placed_row and world.orgs[OrgKind.law_enforcement].name in placed_row

    again = client.post(
        f"/items/{reference}/hold",
        data={"csrf_token": csrf, "reason": "Operation Kite", "days": "10"},
    )
    assert again.status_code == 409 and "already holds this target" in again.text

    # The analyst sees that a hold applies, not whose or which.
    _switch(client, world, Role.analyst)
    page = client.get(f"/items/{reference}").text
    row = page.split('data-kind="hold_placed"')[1].split("</tr>")[0]
    assert "Hold placed" in row and "until" in row
    assert hold_ref not in page and world.usernames[Role.investigator] not in row
    assert "Operation Kite" not in page

    # Renewed and released, the hold stays in the agency's list on the item and on the
    # timeline.
    csrf = _switch(client, world, Role.investigator)
    renewed = client.post(f"/holds/{hold_ref}/renew", data={"csrf_token": csrf, "days": "20"})
    assert renewed.status_code == 303
    row = client.get(f"/items/{reference}").text.split('data-kind="hold_renewed"')[1]
    assert "Hold renewed" in row.split("</tr>")[0] and hold_ref in row.split("</tr>")[0]
    released = client.post(f"/holds/{hold_ref}/release", data={"csrf_token": csrf})
    assert released.status_code == 303
    page = client.get(f"/items/{reference}").text
    own = page.split('data-testid="own-holds"')[1].split("</ul>")[0]
    assert hold_ref in own and 'data-testid="hold-released"' in own
    assert f"by {world.usernames[Role.investigator]}" in own
    row = page.split('data-kind="hold_released"')[1].split("</tr>")[0]
    assert "Hold released" in row and world.usernames[Role.investigator] in row
    assert "On hold until" not in page


def test_an_item_reported_after_its_hold_shows_the_hold_on_its_timeline(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """A hold placed on a URL before anyone reported it: the item that comes later reads
    "hold placed" (by whom, for the agency) before "reported", and its release after."""
    url = "https://photos.example.test/case/held-before.jpg"
    settings = app.state.alliance.settings
    investigator = world.usernames[Role.investigator]
    with sessions.begin() as session:
        hold = holds.place_hold(
            session,
            _principal(session, investigator),
            HoldIn(target_type=HoldTarget.url, target_value=url, reason="Operation Wren"),
            settings,
        )
        hold_ref = hold.reference
    reference = _routed_item(app, sessions, url)

    _switch(client, world, Role.investigator)
    page = client.get(f"/items/{reference}").text
    timeline = page.split('data-testid="timeline"')[1]
    kinds = re.findall(r'data-kind="([a-z_]+)"', timeline)
    assert kinds.count("hold_placed") == 1
    assert kinds.index("hold_placed") < kinds.index("received")
    row = timeline.split('data-kind="hold_placed"')[1].split("</tr>")[0]
    assert "Hold placed" in row and investigator in row and hold_ref in row
    assert world.orgs[OrgKind.law_enforcement].name in row and "until" in row

    # Others learn that a hold covers it and until when, not whose or which.
    _switch(client, world, Role.analyst)
    row = client.get(f"/items/{reference}").text.split('data-kind="hold_placed"')[1]
    row = row.split("</tr>")[0]
    assert "Hold placed" in row and "until" in row
    assert hold_ref not in row and investigator not in row

    # Closed before the hold ended: its release still reads on the timeline, once.
    with sessions.begin() as session:
        item = _item(session, reference)
        item.stage = ItemStage.closed
        item.open_url = None
        item.closed_at = utcnow()
    csrf = _switch(client, world, Role.investigator)
    released = client.post(f"/holds/{hold_ref}/release", data={"csrf_token": csrf})
    assert released.status_code == 303
    timeline = client.get(f"/items/{reference}").text.split('data-testid="timeline"')[1]
    kinds = re.findall(r'data-kind="([a-z_]+)"', timeline)
    assert kinds.count("hold_placed") == 1 and kinds.count("hold_released") == 1
    row = timeline.split('data-kind="hold_released"')[1].split("</tr>")[0]
    assert "Hold released" in row and investigator in row and hold_ref in row

    # A hold placed after the item closed never held it: no line.
    with sessions.begin() as session:
        holds.place_hold(
            session,
            _principal(session, investigator),
            HoldIn(target_type=HoldTarget.url, target_value=url, reason="Operation Lark"),
            settings,
        )
    timeline = client.get(f"/items/{reference}").text.split('data-testid="timeline"')[1]
    assert re.findall(r'data-kind="([a-z_]+)"', timeline).count("hold_placed") == 1


# --- claims enforced --------------------------------------------------------------------


def test_the_assessment_service_requires_a_live_claim(
    app: FastAPI, world: World, sessions: sessionmaker[Session]
) -> None:
    settings = app.state.alliance.settings
    reference = _routed_item(app, sessions, "https://photos.example.test/case/claims.jpg")
    verdict = AssessmentIn(classification=Classification.baseline)
    with sessions.begin() as session:
        analyst = _principal(session, world.usernames[Role.analyst])
        colleague = factories.principal(
            factories.user(session, world.orgs[OrgKind.hotline], Role.analyst, "colleague")
        )
    with sessions.begin() as session, pytest.raises(Conflict, match="claim this item before"):
        assessment.assess_item(session, analyst, reference, verdict, settings)
    # Claimed by a colleague: refused, with or without the API's implicit claim.
    with sessions.begin() as session:
        assessment.claim_item(session, colleague, reference, settings)
    for claim in (False, True):
        with sessions.begin() as session, pytest.raises(Conflict, match="another analyst"):
            assessment.assess_item(session, analyst, reference, verdict, settings, claim=claim)
    # The colleague's claim lapses: the analyst still has to claim (or claim implicitly).
    with sessions.begin() as session:
        _item(session, reference).claim_expires_at = utcnow() - timedelta(minutes=1)
    with sessions.begin() as session, pytest.raises(Conflict, match="claim this item before"):
        assessment.assess_item(session, analyst, reference, verdict, settings)
    # One's own lapsed claim says so.
    with sessions.begin() as session:
        assessment.claim_item(session, analyst, reference, settings)
        _item(session, reference).claim_expires_at = utcnow() - timedelta(minutes=1)
    with sessions.begin() as session, pytest.raises(Conflict, match=r"your claim .* lapsed"):
        assessment.assess_item(session, analyst, reference, verdict, settings)
    with sessions.begin() as session:
        assessment.assess_item(session, analyst, reference, verdict, settings, claim=True)
    with sessions() as session:
        item = _item(session, reference)
        assert item.classification is Classification.baseline and item.claimed_by is None
        kinds = list(
            session.execute(
                select(ItemEvent.kind).where(ItemEvent.item_id == item.id).order_by(ItemEvent.id)
            ).scalars()
        )
        assert kinds[-3:][0] is EventKind.claimed and EventKind.assessed in kinds[-3:]


def test_the_page_asks_for_a_claim_and_the_api_claims_and_assesses(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    settings = app.state.alliance.settings
    reference = _routed_item(app, sessions, "https://photos.example.test/case/page.jpg")
    csrf = _switch(client, world, Role.analyst)
    assert "Claim an item before assessing it" in client.get("/queue").text
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="claim"' in page and 'data-testid="assess-form"' not in page
    refused = client.post(
        f"/items/{reference}/assess", data={"csrf_token": csrf, "classification": "baseline"}
    )
    assert refused.status_code == 409
    errors = refused.text.split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "Claim this item before assessing it" in errors
    with sessions() as session:
        assert _item(session, reference).classification is None

    # Claimed by a colleague: the page says who and until when, and offers no claim.
    with sessions.begin() as session:
        colleague = factories.principal(
            factories.user(session, world.orgs[OrgKind.hotline], Role.analyst, "colleague")
        )
        assessment.claim_item(session, colleague, reference, settings)
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="claimed-by-other">colleague is assessing this item' in page
    assert re.search(
        r'data-testid="queue-claim">.*claimed.* by colleague until', client.get("/queue").text
    )
    assert 'data-testid="claim"' not in page
    busy = client.post(f"/items/{reference}/claim", data={"csrf_token": csrf})
    assert busy.status_code == 409 and "another analyst" in busy.text

    # Over the API: refused while the colleague holds it, claimed and assessed once free.
    api = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    verdict = {"classification": "doubtful", "note": "by the case tool"}
    held = client.post(f"/api/v1/items/{reference}/assessment", headers=api, json=verdict)
    assert held.status_code == 409 and "another analyst" in held.json()["error"]["message"]
    with sessions.begin() as session:
        assessment.release_item(session, colleague, reference)
    done = client.post(f"/api/v1/items/{reference}/assessment", headers=api, json=verdict)
    assert done.status_code == 200, done.text
    kinds = [e["kind"] for e in done.json()["events"]]
    assert kinds.index("claimed") < kinds.index("assessed")


# --- the assessment and route forms ---------------------------------------------------


def test_assessment_errors_beside_the_fields_and_a_confirmation(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/case/assess.jpg")
    csrf = _switch(client, world, Role.analyst)
    claimed = client.post(f"/items/{reference}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303 and "You claim item" in _notice(client, claimed)

    bad = client.post(
        f"/items/{reference}/assess",
        data={
            "csrf_token": csrf,
            "classification": "national",
            "age_group": "pubescent",
            "hashes": f"sha256:{SHA}\nsha256:xyz",
            "note": "second line is wrong",
        },
    )
    assert bad.status_code == 400
    form = bad.text.split('data-testid="assess-form"')[1].split("</form>")[0]
    assert re.search(r'name="hashes"[^>]*aria-invalid="true"', form)
    assert re.search(r'data-testid="field-error">hash line 2: [^<]*hex', form)
    assert f"sha256:{SHA}\nsha256:xyz</textarea>" in form
    assert 'value="national" required checked' in form
    assert '<option value="pubescent" selected>' in form and "second line is wrong" in form

    unknown = client.post(
        f"/items/{reference}/assess", data={"csrf_token": csrf, "classification": "awful"}
    )
    assert unknown.status_code == 400
    assert 'id="f-classification-error"' in unknown.text

    done = client.post(
        f"/items/{reference}/assess",
        data={"csrf_token": csrf, "classification": "baseline", "hashes": f"sha256:{SHA}"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/items/{reference}"
    assert _notice(client, done) == "Assessment recorded: Baseline (illegal everywhere)."
    page = client.get(f"/items/{reference}").text
    assert 'data-testid="notice"' not in page  # shown once
    assert 'data-testid="item-classification">Baseline (illegal everywhere)<' in page
    assert 'data-testid="assess-form"' not in page  # the claim ended with the assessment


def test_recording_an_assessment_goes_on_to_the_next_item_of_the_queue(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The analyst working the queue: "Record assessment, next item" opens the next item,
    claimed for them, with the confirmation; "Record and stay here" stays; the last one
    leads back to the queue, which says it is empty."""
    first = _routed_item(app, sessions, "https://photos.example.test/case/next-1.jpg")
    second = _routed_item(app, sessions, "https://photos.example.test/case/next-2.jpg")
    third = _routed_item(app, sessions, "https://photos.example.test/case/next-3.jpg")
    csrf = _switch(client, world, Role.analyst)
    page = client.get(f"/items/{first}").text
    assert 'data-testid="claim"' in page
    client.post(f"/items/{first}/claim", data={"csrf_token": csrf})
    form = client.get(f"/items/{first}").text.split('data-testid="assess-form"')[1]
    form = form.split("</form>")[0]
    # The first button (what Enter sends) goes on; the other stays.
    assert form.index('value="next"') < form.index('value="stay"')

    done = client.post(
        f"/items/{first}/assess",
        data={"csrf_token": csrf, "classification": "baseline", "then": "next"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/items/{second}"
    notice = _notice(client, done)
    assert notice.startswith("Assessment recorded: Baseline (illegal everywhere). Next: item")
    assert f"item {second}, claimed for you until" in notice
    page = client.get(f"/items/{second}").text
    assert 'data-testid="assess-form"' in page  # claimed: ready to assess

    stay = client.post(
        f"/items/{second}/assess",
        data={"csrf_token": csrf, "classification": "not_illegal", "then": "stay"},
    )
    assert stay.status_code == 303 and stay.headers["location"] == f"/items/{second}"
    with sessions() as session:
        assert _item(session, third).claimed_by is None  # staying claims nothing

    client.post(f"/items/{third}/claim", data={"csrf_token": csrf})
    last = client.post(
        f"/items/{third}/assess",
        data={"csrf_token": csrf, "classification": "baseline", "then": "next"},
    )
    assert last.status_code == 303 and last.headers["location"] == "/queue"
    assert _notice(client, last) == (
        "Assessment recorded: Baseline (illegal everywhere). "
        "The queue is empty: nothing left to claim."
    )


def test_route_form_errors_and_confirmation(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        receipt = intake.submit_reports(
            session, factories.OPERATOR, [ReportIn(urls=["https://nowhere.example.test/r"])]
        )[0]
    reference = receipt.items[0].item
    csrf = _switch(client, world, Role.secretariat_admin)
    bad = client.post(
        f"/items/{reference}/route", data={"csrf_token": csrf, "country_code": "", "note": "x1"}
    )
    assert bad.status_code == 400
    form = bad.text.split('data-testid="route"')[1].split("</form>")[0]
    assert 'id="f-country_code-error"' in form and 'value="x1"' in form
    unknown = client.post(
        f"/items/{reference}/route", data={"csrf_token": csrf, "country_code": "9Q"}
    )
    assert unknown.status_code == 400 and 'data-testid="form-errors"' in unknown.text
    routed = client.post(
        f"/items/{reference}/route", data={"csrf_token": csrf, "country_code": "NL"}
    )
    assert routed.status_code == 303
    assert _notice(client, routed) == f"Item {reference} routed to Land NL."


def test_clear_for_notice_confirms(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "https://photos.example.test/case/clear.jpg")
    csrf = _switch(client, world, Role.investigator)
    cleared = client.post(f"/items/{reference}/clear", data={"csrf_token": csrf})
    assert cleared.status_code == 303
    assert _notice(client, cleared).startswith(f"Item {reference} cleared for notice")


# --- the report forms ---------------------------------------------------------------------


def test_member_report_form_errors_beside_the_fields(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.analyst])
    empty = client.post("/reports/new", data={"csrf_token": csrf, "description": "kept"})
    assert empty.status_code == 400
    assert 'data-testid="field-error">give at least one URL<' in empty.text
    assert ">kept</textarea>" in empty.text
    bad_hash = client.post(
        "/reports/new",
        data={
            "csrf_token": csrf,
            "urls": "http://ok.example.test/h",
            "hashes": "md5:12",
        },
    )
    assert bad_hash.status_code == 400
    assert re.search(r'name="hashes"[^>]*aria-invalid="true"', bad_hash.text)
    assert ">http://ok.example.test/h</textarea>" in bad_hash.text
    assert ">md5:12</textarea>" in bad_hash.text
    bad_url = client.post(
        "/reports/new",
        data={"csrf_token": csrf, "urls": "http://ok.example.test/a\njavascript:alert(1)"},
    )
    assert bad_url.status_code == 400
    assert re.search(r'data-testid="field-error">nothing was saved: url 2', bad_url.text)
    good = client.post(
        "/reports/new", data={"csrf_token": csrf, "urls": "http://ok.example.test/good"}
    )
    assert good.status_code == 200
    reference = re.search(r'href="/reports/(R-[0-9A-Z]+)"', good.text)
    assert reference and client.get(f"/reports/{reference.group(1)}").status_code == 200


def test_public_report_form_errors_beside_the_fields(client: TestClient) -> None:
    form = client.get("/report").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
    challenge = re.search(r'name="challenge" value="([^"]+)"', form)
    assert token and challenge
    empty = client.post(
        "/report",
        data={
            "csrf_token": token.group(1),
            "url": "",
            "description": "a forum post",
            "contact": "not-an-address",
            "challenge": challenge.group(1),
            "nonce": "1",
        },
    )
    assert empty.status_code == 400
    assert re.search(r'name="url"[^>]*aria-invalid="true"', empty.text)
    assert ">a forum post</textarea>" in empty.text and 'value="not-an-address"' in empty.text
    assert "pydantic" not in empty.text


# --- live takedown state, words ---------------------------------------------------------


def test_takedown_state_is_polled_and_the_timeline_reads_in_words(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    settings = app.state.alliance.settings
    reference = _routed_item(app, sessions, "https://photos.example.test/case/words.jpg")
    with sessions.begin() as session:
        provider = HostingProvider(
            slug="words-host", name="Words Hosting B.V.", country_code="NL", asns=[64510]
        )
        session.add(provider)
        session.flush()
        routing.apply_hosting(
            session,
            _item(session, reference),
            HostingResult(
                addresses=["192.0.2.44"],
                ip_address="192.0.2.44",
                country_code="NL",
                asn=64510,
                as_org="Words",
                provider_id=provider.id,
                error=None,
            ),
            settings,
        )
    _switch(client, world, Role.analyst)
    page = client.get(f"/items/{reference}").text
    assert f'hx-get="/items/{reference}/takedown"' in page and 'hx-trigger="every 10s"' in page
    assert "<script>" not in page  # no inline script (CSP)
    timeline = page.split('data-testid="timeline"')[1]
    assert "Words Hosting B.V." in timeline and "provider_id" not in timeline
    assert "=" not in re.sub(r"<[^>]+>", "", timeline)  # no key=value details
    assert "LEA informed" in timeline or "Routed" in timeline
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", page)  # no ISO times with microseconds

    # A poll in the background leaves a confirmation for the page it belongs to.
    csrf = _switch(client, world, Role.analyst)
    claimed = client.post(f"/items/{reference}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303
    fragment = client.get(f"/items/{reference}/takedown")
    assert 'data-testid="notice"' not in fragment.text
    assert "You claim item" in client.get(f"/items/{reference}").text
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        'data-testid="takedown-state"' in fragment.text
        and 'hx-trigger="every 10s"' in fragment.text
    )
    assert 'data-testid="takedown-stage">Awaiting assessment<' in fragment.text
    client.cookies.clear()
    log_in(client, world.usernames[Role.reviewer])
    assert client.get(f"/items/{reference}/takedown").status_code == 404
