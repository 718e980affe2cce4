"""Deconfliction alerts, referrals and the series list, as their users see them.

Only the watching agency acknowledges its alerts (page and API), the acknowledgement says
who; alerts name their series or hold with a link and split exact from near matches; a
referral's package is read before deciding; the lists sort, page, filter and download.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation, User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, TargetKind
from alliance.cooperation.services import Touched
from alliance.victims import identification, referrals, series
from alliance.victims.formats import MediaType
from alliance.victims.models import AgeGroup, MediaRecord, Referral
from alliance.victims.schemas import ReferralIn, SeriesIn, VictimIn
from tests import factories
from tests.functional.conftest import World, log_in

URL = "https://held.example.test/page"
PDQ_WATCHED = "pdq:" + "ab" * 32
GB_USER = "ar-gb-investigator"
NL_NAME = "Inspector Ada Example"


def _as(client: TestClient, username: str) -> str:
    client.cookies.clear()
    return log_in(client, username)


def _principal(session: Session, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return factories.principal(user)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@dataclass
class Setup:
    nl: Organisation
    nl_user: str
    secretariat_user: str
    hold_alert: int
    near_alert: int
    series_alert: int


@pytest.fixture
def setup(world: World, sessions: sessionmaker[Session]) -> Setup:
    """NL police watch a URL (hold H-AR1), a PDQ hash (hold H-AR2) and a series; a hotline
    reports the URL, matches near the hash, and a seizure touches the series."""
    nl_user = world.usernames[Role.investigator]
    with sessions.begin() as session:
        nl = world.orgs[OrgKind.law_enforcement]
        user = session.execute(select(User).where(User.username == nl_user)).scalar_one()
        user.display_name = NL_NAME
        for kind, value, reference in (
            (TargetKind.url, URL, "H-AR1"),
            (TargetKind.hash, PDQ_WATCHED, "H-AR2"),
        ):
            cooperation.register(
                session,
                organisation_id=nl.id,
                kind=kind,
                value=value,
                source="hold",
                source_reference=reference,
            )
        cooperation.register(
            session,
            organisation_id=nl.id,
            kind=TargetKind.series,
            value="S-ARHERON",
            source="series",
            source_reference="S-ARHERON",
            label="Grey Heron",
        )
        hotline = _principal(session, world.usernames[Role.analyst])
        [hold_alert] = cooperation.touch(session, hotline, Touched(url=URL), "report")
        [near_alert] = cooperation.touch(
            session, hotline, Touched(near_hashes={PDQ_WATCHED}), "match"
        )
        gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="ar-gb")
        factories.user(session, gb, Role.investigator, username=GB_USER)
        [series_alert] = cooperation.touch(
            session,
            _principal(session, GB_USER),
            Touched(series={"S-ARHERON"}),
            "seizure",
            subject="SZ-AR1",
            count=3,
            closeness=cooperation.Closeness(
                exact=1,
                near=2,
                which=(
                    {"match": "exact", "hash": "md5:" + "1" * 32},
                    {"match": "near", "hash": "pdq:" + "2" * 64, "distance": 9},
                ),
            ),
        )
        ids = (hold_alert.id, near_alert.id, series_alert.id)
    return Setup(nl, nl_user, world.usernames[Role.secretariat_admin], *ids)


def _row(page: str, alert_id: int) -> str:
    found = re.search(rf'<tr data-testid="alert-{alert_id}">(.*?)</tr>', page, re.S)
    assert found, f"alert {alert_id} not on the page"
    return found.group(1)


# --- acknowledging -----------------------------------------------------------------------


def test_only_the_watching_agency_acknowledges_and_the_page_says_who(
    client: TestClient, world: World, setup: Setup, sessions: sessionmaker[Session]
) -> None:
    # The secretariat reads the hold alerts (not the series'), with no button, and is refused.
    csrf = _as(client, setup.secretariat_user)
    page = client.get("/alerts").text
    row = _row(page, setup.hold_alert)
    assert "/acknowledge" not in row and f"only {setup.nl.name} acknowledges it" in row
    assert f'data-testid="alert-{setup.series_alert}"' not in page
    refused = client.post(f"/alerts/{setup.hold_alert}/acknowledge", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert f"only {setup.nl.name}, the agency watching this hold" in refused.text
    # Another police agency does not even see it.
    csrf = _as(client, GB_USER)
    assert f'data-testid="alert-{setup.hold_alert}"' not in client.get("/alerts").text
    hidden = client.post(f"/alerts/{setup.hold_alert}/acknowledge", data={"csrf_token": csrf})
    assert hidden.status_code == 404
    with sessions() as session:
        assert session.get_one(DeconflictionAlert, setup.hold_alert).acknowledged_at is None

    # The watching agency acknowledges; the notice and the row say who, from where, when.
    csrf = _as(client, setup.nl_user)
    done = client.post(f"/alerts/{setup.hold_alert}/acknowledge", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/alerts"
    page = client.get("/alerts").text
    assert f"acknowledged by {NL_NAME}" in page.split('data-testid="notice"')[1][:300]
    row = _row(page, setup.hold_alert)
    assert re.search(
        rf"Acknowledged by {NL_NAME} \({re.escape(setup.nl.name)}\) at \d{{4}}-\d\d-\d\d \d\d:\d\d",
        row,
    )
    assert "/acknowledge" not in row and "user:" not in row
    with sessions() as session:
        alert = session.get_one(DeconflictionAlert, setup.hold_alert)
        assert (alert.acknowledged_by, alert.acknowledged_by_organisation_id) == (
            NL_NAME,
            setup.nl.id,
        )


def test_the_api_refuses_another_agency_s_acknowledgement(
    client: TestClient, world: World, setup: Setup
) -> None:
    secretariat = {"Authorization": f"Bearer {world.keys[Role.secretariat_admin]}"}
    nl = {"Authorization": f"Bearer {world.keys[Role.investigator]}"}
    listed = client.get("/api/v1/alerts", headers=secretariat).json()
    assert setup.hold_alert in [a["id"] for a in listed]
    refused = client.post(f"/api/v1/alerts/{setup.hold_alert}/acknowledge", headers=secretariat)
    assert refused.status_code == 403
    series_alert = client.post(
        f"/api/v1/alerts/{setup.series_alert}/acknowledge", headers=secretariat
    )
    assert series_alert.status_code == 404  # series alerts are the agency's alone
    done = client.post(f"/api/v1/alerts/{setup.hold_alert}/acknowledge", headers=nl)
    assert done.status_code == 200
    body = done.json()
    assert body["acknowledged_by"].startswith("API key ")
    assert body["acknowledged_by_organisation"] == setup.nl.name


def test_the_api_filters_alerts_as_the_page_does(
    client: TestClient, world: World, setup: Setup
) -> None:
    nl = {"Authorization": f"Bearer {world.keys[Role.investigator]}"}

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/alerts{query}", headers=nl)
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()}

    every = {setup.hold_alert, setup.near_alert, setup.series_alert}
    assert ids("") == every
    assert ids("?source=series") == {setup.series_alert}
    assert ids("?source=hold") == {setup.hold_alert, setup.near_alert}
    assert ids("?reference=s-arheron") == {setup.series_alert}  # one series, any case
    assert ids("?reference=H-AR2") == {setup.near_alert}
    assert ids("?match=near") == {setup.near_alert, setup.series_alert}
    assert setup.near_alert not in ids("?match=exact") and setup.series_alert in ids("?match=exact")
    assert ids("?limit=1") == {max(every)}  # newest first
    done = client.post(f"/api/v1/alerts/{setup.hold_alert}/acknowledge", headers=nl)
    assert done.status_code == 200
    assert ids("?acknowledged=true") == {setup.hold_alert}
    assert ids("?acknowledged=false") == {setup.near_alert, setup.series_alert}
    assert ids("?unacknowledged=true") == {setup.near_alert, setup.series_alert}
    assert ids("?acknowledged=false&source=hold&match=near") == {setup.near_alert}

    # Values it does not know are refused in words, through the API's one error shape.
    for query, field, words in (
        ("?match=fuzzy", "query.match", "'exact' or 'near'"),
        ("?source=case", "query.source", "'hold' or 'series'"),
        ("?acknowledged=perhaps", "query.acknowledged", "valid boolean"),
        ("?limit=0", "query.limit", "greater than or equal to 1"),
        ("?limit=501", "query.limit", "less than or equal to 500"),
        ("?reference=" + "S" * 41, "query.reference", "at most 40 characters"),
    ):
        refused = client.get(f"/api/v1/alerts{query}", headers=nl)
        assert refused.status_code == 422, query
        error = refused.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["details"][0]["field"] == field and words in error["message"], error
    both = client.get("/api/v1/alerts?unacknowledged=true&acknowledged=true", headers=nl)
    assert both.status_code == 400
    assert both.json()["error"]["message"].startswith(
        "unacknowledged=true and acknowledged=true ask for opposite alerts"
    )


# --- naming and matching ------------------------------------------------------------------


def test_alerts_name_their_series_or_hold_and_split_exact_from_near(
    client: TestClient, setup: Setup
) -> None:
    _as(client, setup.nl_user)
    page = client.get("/alerts").text
    series_row = _row(page, setup.series_alert)
    source = series_row.split('data-testid="alert-source"')[1].split("</td>")[0]
    assert '<a href="/series/S-ARHERON">Series Grey Heron (S-ARHERON)</a>' in source
    assert source.count("S-ARHERON") == 2  # the link and its text, no second "series S-…"
    match = series_row.split('data-testid="alert-match"')[1].split("</td>")[0]
    assert "1 exact" in match and "2 near" in match
    assert "md5:" + "1" * 32 in match and "Near (distance 9)" in match
    hold_row = _row(page, setup.hold_alert)
    assert '<a href="/holds/H-AR1">Hold H-AR1</a>' in hold_row and URL in hold_row
    assert "1 exact" in hold_row and "near</span>" not in hold_row
    near_row = _row(page, setup.near_alert)
    assert "1 near" in near_row and "exact</span>" not in near_row
    assert f'Near: <code class="hash copyable">{PDQ_WATCHED}</code>' in near_row


def test_a_seizure_alert_counts_exact_and_near_matches_of_the_series(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """End to end: NL starts a series from a seizure; GB's seizure holds one of its files
    and a near duplicate of another; NL's alert says 1 exact, 1 near, and which."""
    with sessions.begin() as session:
        gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="ar-gb2")
        factories.user(session, gb, Role.investigator, username=GB_USER)
    csrf = _as(client, world.usernames[Role.investigator])
    first_md5 = hashlib.md5(b"nl-0").hexdigest()  # noqa: S324 - a test digest
    files = [
        {"md5": hashlib.md5(f"nl-{n}".encode()).hexdigest(), "pdq": factories.pdq_hex(n)}  # noqa: S324
        for n in range(2)
    ]
    seizure = _upload(client, csrf, files)
    started = client.post(
        f"/seizures/{seizure}/series",
        data={"csrf_token": csrf, "name": "Grey Heron", "line": ["1", "2"]},
    )
    assert started.status_code == 303
    code = re.search(r"/series/(S-[0-9A-Z]+)", started.headers["location"]).group(1)  # type: ignore[union-attr]

    gb_csrf = _as(client, GB_USER)
    _upload(
        client,
        gb_csrf,
        [{"md5": first_md5}, {"pdq": factories.flip_bits(factories.pdq_hex(1), 8)}],
    )

    _as(client, world.usernames[Role.investigator])
    page = client.get("/alerts?source=series").text
    [alert_id] = re.findall(r'<tr data-testid="alert-(\d+)">', page)
    row = _row(page, int(alert_id))
    assert f'<a href="/series/{code}">Series Grey Heron ({code})</a>' in row
    assert "1 exact" in row and "1 near" in row
    assert f"md5:{first_md5}" in row and "Near (distance 8)" in row
    assert "near" in client.get("/alerts?match=near").text
    assert f'data-testid="alert-{alert_id}"' in client.get("/alerts?match=exact").text


def _upload(client: TestClient, csrf: str, items: list[dict[str, str]]) -> str:
    data = "".join(
        json.dumps({"path": f"f{n}.png", **item}) + "\n" for n, item in enumerate(items)
    ).encode()
    answer = client.post(
        "/seizures",
        data={"csrf_token": csrf},
        files={"file": ("seizure.jsonl", data, "application/octet-stream")},
    )
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["location"].rsplit("/", 1)[1]


# --- the alerts list -----------------------------------------------------------------------


def test_alerts_sort_page_filter_and_download(
    client: TestClient, world: World, setup: Setup, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        hotline = _principal(session, world.usernames[Role.analyst])
        for n in range(50):
            cooperation.touch(session, hotline, Touched(url=URL), "assessment", subject=f"I-{n}")
    _as(client, setup.nl_user)
    first = client.get("/alerts").text
    assert len(re.findall(r'<tr data-testid="alert-\d+">', first)) == 50
    assert 'rel="next"' in first and 'data-testid="pager"' in first
    second = client.get("/alerts?page=2").text
    assert len(re.findall(r'<tr data-testid="alert-\d+">', second)) == 3
    # Oldest first: the hold alert raised first leads.
    oldest = client.get("/alerts?sort=created").text
    assert re.findall(r'<tr data-testid="alert-(\d+)">', oldest)[0] == str(setup.hold_alert)
    assert 'aria-sort="ascending"' in oldest
    by_action = re.findall(
        r"<td>(Assessment|Match|Report|Seizure)</td>", client.get("/alerts?sort=action").text
    )
    assert by_action == sorted(by_action)
    # Filters: series only; open only; acknowledged only.
    only_series = client.get("/alerts?source=series").text
    assert re.findall(r'<tr data-testid="alert-(\d+)">', only_series) == [str(setup.series_alert)]
    csrf = _as(client, setup.nl_user)
    client.post(f"/alerts/{setup.near_alert}/acknowledge", data={"csrf_token": csrf})
    seen = client.get("/alerts?status=acknowledged").text
    assert re.findall(r'<tr data-testid="alert-(\d+)">', seen) == [str(setup.near_alert)]
    assert f'data-testid="alert-{setup.near_alert}"' not in client.get("/alerts?status=open").text
    assert client.get("/alerts?status=maybe").status_code == 400
    assert client.get("/alerts?sort=nonsense").status_code == 400
    # CSV: every alert of the filters, in the order chosen, in words.
    download = client.get("/alerts?format=csv&sort=created")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = _csv(download.text)
    assert rows[0][:3] == ["Raised (UTC)", "For agency", "Watched as"] and len(rows) == 54
    assert rows[1][2] == "Hold H-AR1" and rows[1][3] == f"URL {URL}"
    series_row = next(r for r in rows if r[2] == "Series Grey Heron (S-ARHERON)")
    assert (series_row[5], series_row[6], series_row[7]) == ("3", "1", "2")
    acknowledged = next(r for r in rows if r[2] == "Hold H-AR2")
    assert (acknowledged[14], acknowledged[15]) == (NL_NAME, setup.nl.name)
    only_open = _csv(client.get("/alerts?format=csv&status=open").text)
    assert len(only_open) == 53


def test_open_alert_count(world: World, setup: Setup, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        nl = _principal(session, setup.nl_user)
        assert cooperation.open_alert_count(session, nl) == 3
        # The secretariat reads NL's hold alerts, but none of them waits for it.
        secretariat = _principal(session, setup.secretariat_user)
        assert cooperation.count_alerts(session, secretariat) == 2
        assert cooperation.open_alert_count(session, secretariat) == 0
        assert cooperation.open_alert_count(session, _principal(session, GB_USER)) == 0
        analyst = _principal(session, world.usernames[Role.analyst])
        assert cooperation.open_alert_count(session, analyst) == 0  # may not read alerts
        cooperation.acknowledge(session, nl, setup.hold_alert)
        assert cooperation.open_alert_count(session, nl) == 2


# --- referrals -------------------------------------------------------------------------


@dataclass
class Referred:
    nl_user: str
    code: str
    reference: str
    hashes: list[str]


@pytest.fixture
def referred(world: World, sessions: sessionmaker[Session]) -> Referred:
    """NL refers a series of three media records to GB."""
    nl_user = world.usernames[Role.investigator]
    with sessions.begin() as session:
        gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="ar-gb3")
        factories.user(session, gb, Role.investigator, username=GB_USER)
    client_hashes = [hashlib.sha256(f"ref-{n}".encode()).hexdigest() for n in range(3)]
    with sessions.begin() as session:
        nl = _principal(session, nl_user)
        made = series.create_series(session, nl, SeriesIn(name="Red Kite", countries=["NL"]))
        for n, value in enumerate(client_hashes):
            session.add(
                MediaRecord(
                    series_id=made.id,
                    sha256=value,
                    pdq=factories.pdq_hex(500 + n),
                    media_type=MediaType.image,
                    created_by_organisation_id=made.owner_organisation_id,
                )
            )
        session.flush()
        identification.add_victim(
            session, nl, made.code, VictimIn(age_group=AgeGroup.pre_pubescent)
        )
        referral = referrals.refer_series(
            session, nl, made.code, ReferralIn(country="GB", indicators=["UK plugs"], note="")
        )
        return Referred(nl_user, made.code, referral.reference, client_hashes)


def test_the_package_is_read_before_accepting(
    client: TestClient, referred: Referred, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, GB_USER)
    listing = client.get("/referrals").text
    row = listing.split(f'data-testid="referral-{referred.reference}"')[1].split("</tr>")[0]
    assert "3 media" in row and "3 hashes" in row and "From " in row
    assert f'href="/series/{referred.code}"' not in row  # not GB's series (yet)
    assert f'href="/referrals/{referred.reference}"' in row
    page = client.get(f"/referrals/{referred.reference}").text
    assert 'data-testid="package-media">3 media records' in page
    assert 'data-testid="package-hashes">3 in the package' in page
    assert "UK plugs" in page and "Red Kite" in page
    victims = page.split('data-testid="package-victims">')[1].split("</dd>")[0]
    assert victims == "1 — Pre-pubescent 1; unidentified 1"  # words, no codes, no victim reference
    shown = re.findall(r'<code class="hash copyable" data-testid="hash">([0-9a-f]+)</code>', page)
    assert set(referred.hashes) <= set(shown)  # full values, ready to copy
    assert "data-confirm=" in page.split('data-testid="decline-form"')[1][:400]
    hashes_csv = _csv(client.get(f"/referrals/{referred.reference}?format=csv").text)
    assert hashes_csv[0] == ["MD5", "SHA-1", "SHA-256", "PDQ"]
    assert sorted(r[2] for r in hashes_csv[1:]) == sorted(referred.hashes)
    # Still undecided after reading it; a bad decision comes back beside its field.
    bad = client.post(
        f"/referrals/{referred.reference}/decision",
        data={"csrf_token": csrf, "decision": "decline", "reason": "  "},
    )
    assert bad.status_code == 400 and 'data-testid="field-error"' in bad.text
    assert "needs a reason" in bad.text
    with sessions() as session:
        assert referrals.pending_referral_count(session, _principal(session, GB_USER)) == 1
        assert referrals.pending_referral_count(session, _principal(session, referred.nl_user)) == 0
    accepted = client.post(
        f"/referrals/{referred.reference}/decision",
        data={"csrf_token": csrf, "decision": "accept"},
    )
    assert (
        accepted.status_code == 303 and accepted.headers["location"] == f"/series/{referred.code}"
    )
    notice = client.get(accepted.headers["location"]).text.split('data-testid="notice"')[1][:300]
    assert f"Referral {referred.reference} accepted" in notice and "Red Kite" in notice
    with sessions() as session:
        assert referrals.pending_referral_count(session, _principal(session, GB_USER)) == 0


def test_a_decline_asks_first_and_confirms_after(client: TestClient, referred: Referred) -> None:
    csrf = _as(client, GB_USER)
    declined = client.post(
        f"/referrals/{referred.reference}/decision",
        data={"csrf_token": csrf, "decision": "decline", "reason": "no UK link"},
    )
    assert declined.status_code == 303 and declined.headers["location"] == "/referrals"
    page = client.get("/referrals").text
    assert (
        f"Referral {referred.reference} of series Red Kite"
        in page.split('data-testid="notice"')[1][:300]
    )
    assert "no UK link" in page
    _as(client, referred.nl_user)
    assert "no UK link" in client.get("/referrals?direction=outgoing&status=declined").text


def test_referrals_sort_page_filter_and_download(
    client: TestClient, world: World, referred: Referred, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        nl = _principal(session, referred.nl_user)
        for n in range(51):
            made = series.create_series(session, nl, SeriesIn(name=f"Kite {n:02d}"))
            referrals.refer_series(session, nl, made.code, ReferralIn(country="GB"))
    _as(client, referred.nl_user)
    first = client.get("/referrals").text
    assert len(re.findall(r'<tr data-testid="referral-RF-', first)) == 50 and 'rel="next"' in first
    assert (
        len(re.findall(r'<tr data-testid="referral-RF-', client.get("/referrals?page=2").text)) == 2
    )
    by_name = client.get("/referrals?sort=series").text
    names = re.findall(r'<a href="/series/S-[0-9A-Z]+">([^<]+)</a>', by_name)
    assert names[:2] == ["Kite 00", "Kite 01"] and names == sorted(names)
    assert "referral-RF" not in client.get("/referrals?direction=incoming").text
    assert client.get("/referrals?direction=sideways").status_code == 400
    rows = _csv(client.get("/referrals?format=csv&sort=reference").text)
    assert rows[0][:3] == ["Referral", "Direction", "From"] and len(rows) == 53
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
    assert {r[1] for r in rows[1:]} == {"Outgoing"} and {r[10] for r in rows[1:]} == {"Pending"}
    with sessions() as session:
        assert len(session.execute(select(Referral)).scalars().all()) == 52


# --- the series list -------------------------------------------------------------------


def test_series_list_sorts_pages_filters_and_downloads(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    nl_user = world.usernames[Role.investigator]
    with sessions.begin() as session:
        nl = _principal(session, nl_user)
        for n in range(51):
            series.create_series(session, nl, SeriesIn(name=f"Owl {n:02d}", countries=["NL"]))
        series.create_series(session, nl, SeriesIn(name="Zebra Finch", countries=["BE"]))
    _as(client, nl_user)
    first = client.get("/series").text
    assert len(re.findall(r'<tr data-testid="series-S-', first)) == 50 and 'rel="next"' in first
    assert len(re.findall(r'<tr data-testid="series-S-', client.get("/series?page=2").text)) == 2
    by_name = re.findall(r"</a></td><td>([^<]+)</td>", client.get("/series?sort=-name").text)
    assert by_name[0] == "Zebra Finch" and by_name[1:3] == ["Owl 50", "Owl 49"]
    found = client.get("/series?q=zebra").text
    assert re.findall(r"</a></td><td>([^<]+)</td>", found) == ["Zebra Finch"]
    assert "Active" in found and "active</td>" not in found
    assert "No series match" in client.get("/series?status=closed").text
    assert client.get("/series?status=gone").status_code == 400
    assert client.get("/series?sort=colour").status_code == 400
    rows = _csv(client.get("/series?format=csv&sort=name&q=owl").text)
    assert rows[0][:3] == ["Series", "Code name", "Status"] and len(rows) == 52
    assert rows[1][1] == "Owl 00" and rows[1][2] == "Active"


def test_new_series_form_shows_errors_beside_fields_and_keeps_what_was_typed(
    client: TestClient, world: World
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    short = client.post(
        "/series", data={"csrf_token": csrf, "name": "X", "countries": "NL", "notes": "kept"}
    )
    assert short.status_code == 400
    form = short.text.split('data-testid="new-series"')[1]
    assert 'data-testid="form-errors"' in form and 'data-testid="field-error"' in form
    assert 'name="notes" type="text" value="kept"' in form
    assert "pydantic" not in short.text and "Value error" not in short.text
    made = client.post("/series", data={"csrf_token": csrf, "name": "Snow Owl"})
    assert made.status_code == 303 and made.headers["location"].startswith("/series/S-")
    taken = client.post("/series", data={"csrf_token": csrf, "name": "snow owl"})
    assert taken.status_code == 409
    beside = taken.text.split('id="f-name"')[1].split("</label>")[0]
    assert 'data-testid="field-error"' in beside and "is taken" in beside
    assert "Snow Owl" in client.get("/series").text
