"""Victim-identification pages: seizure triage, series, victims, referrals and the KPI.

Everything is synthetic: a "file" is a set of digests of short strings and a PDQ hash from
the test factories; no media exists anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.cooperation import services as cooperation
from alliance.victims.models import MediaRecord, Referral, Seizure, Series
from tests import factories
from tests.functional.conftest import World, log_in

GB_USER = "gb-investigator"
PAGES = ("/seizures", "/series", "/referrals", "/victims/metrics")


def digest(kind: str, text: str) -> str:
    return hashlib.new(kind, text.encode()).hexdigest()


def jsonl(*items: dict[str, str]) -> bytes:
    lines = (json.dumps({"path": f"img{n}.png", **i}) + "\n" for n, i in enumerate(items))
    return "".join(lines).encode()


def files(prefix: str, count: int, seed: int = 0) -> list[dict[str, str]]:
    """``count`` synthetic files: an MD5 and a PDQ hash each."""
    return [
        {"md5": digest("md5", f"{prefix}-{n}"), "pdq": factories.pdq_hex(seed + n)}
        for n in range(count)
    ]


@pytest.fixture
def gb(world: World, sessions: sessionmaker[Session]) -> str:
    """A second police agency (GB) with an investigator; returns the username."""
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="gb-police")
        factories.user(session, org, Role.investigator, username=GB_USER)
    return GB_USER


def _as(client: TestClient, username: str) -> str:
    client.cookies.clear()
    return log_in(client, username)


def _upload(
    client: TestClient, csrf: str, data: bytes, name: str = "seizure.jsonl", **fields: str
) -> httpx2.Response:
    return client.post(
        "/seizures",
        data={"csrf_token": csrf, **fields},
        files={"file": (name, data, "application/octet-stream")},
    )


def _triage(client: TestClient, csrf: str, data: bytes, **fields: str) -> str:
    """Upload a seizure; its reference."""
    answer = _upload(client, csrf, data, **fields)
    assert answer.status_code == 303, answer.text[:800]
    match = re.fullmatch(r"/seizures/(SZ-[0-9A-Z]+)", answer.headers["location"])
    assert match, answer.headers["location"]
    return match.group(1)


def _total(page: str, name: str) -> int:
    found = re.search(rf'data-testid="total-{name}">(\d+)<', page)
    assert found, f"no total {name}"
    return int(found.group(1))


def _checked(page: str) -> list[str]:
    """The items the Start / Link form has ticked."""
    return re.findall(r'name="line" value="(\d+)" id="line-\d+" checked', page)


def _offered(page: str) -> list[str]:
    """Every item the Start / Link form lists."""
    return re.findall(r'name="line" value="(\d+)"', page)


def _start_series(
    client: TestClient, csrf: str, seizure: str, name: str, lines: list[str] | None = None
) -> str:
    """Start a series from a seizure: the items ticked by default, or ``lines``."""
    if lines is None:
        lines = _checked(client.get(f"/seizures/{seizure}").text)
    answer = client.post(
        f"/seizures/{seizure}/series",
        data={"csrf_token": csrf, "name": name, "countries": "nl, be", "line": lines},
    )
    assert answer.status_code == 303, answer.text[:800]
    match = re.fullmatch(r"/series/(S-[0-9A-Z]+)", answer.headers["location"])
    assert match, answer.headers["location"]
    return match.group(1)


def _victims(page: str) -> list[str]:
    return re.findall(r">(V-[0-9A-Z]+)</td>", page)


def test_pages_render_for_an_investigator(client: TestClient, world: World) -> None:
    _as(client, world.usernames[Role.investigator])
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
    nav = client.get("/dashboard").text
    for label in ("Seizures", "Series", "Referrals", "Victim KPI"):
        assert f">{label}</a>" in nav
    assert 'enctype="multipart/form-data"' in client.get("/seizures").text
    assert "No victims identified yet." in client.get("/victims/metrics").text


@pytest.mark.parametrize("role", [Role.analyst, Role.reviewer, Role.org_admin, Role.viewer])
def test_other_members_are_refused(client: TestClient, world: World, role: Role) -> None:
    csrf = _as(client, world.usernames[role])
    for path in PAGES:
        assert client.get(path).status_code == 403, (role, path)
    assert _upload(client, csrf, jsonl(*files("x", 1))).status_code == 403
    nav = client.get("/dashboard").text
    assert ">Seizures</a>" not in nav and ">Victim KPI</a>" not in nav


def test_the_secretariat_sees_the_kpi_only(client: TestClient, world: World) -> None:
    _as(client, world.usernames[Role.secretariat_admin])
    assert client.get("/victims/metrics").status_code == 200
    for path in ("/seizures", "/series", "/referrals", "/series/S-NOSUCH00", "/seizures/SZ-X"):
        assert client.get(path).status_code == 403, path
    nav = client.get("/dashboard").text
    assert ">Victim KPI</a>" in nav and ">Series</a>" not in nav and ">Seizures</a>" not in nav


def test_triage_start_a_series_identify_a_victim_and_see_the_kpi(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    first = _triage(client, csrf, jsonl(*files("nl", 3)), case_reference="NL-CASE-1")
    page = client.get(f"/seizures/{first}").text
    assert (_total(page, "items"), _total(page, "known"), _total(page, "near")) == (3, 0, 0)
    assert _total(page, "new") == 3 and 'data-testid="triage-proportion"' in page
    assert "NL-CASE-1" in page and 'data-testid="start-series"' in page
    assert _checked(page) == ["1", "2", "3"]
    assert first in client.get("/seizures").text

    code = _start_series(client, csrf, first, "Silver Birch")
    page = client.get(f"/series/{code}").text
    assert 'data-testid="series-media">3<' in page
    assert f"Series {code} (Silver Birch) started with 3 items of seizure {first}." in page
    assert "Silver Birch" in page and "BE, NL" in page
    # Hashes are shortened, with the full value in the title.
    md5 = digest("md5", "nl-0")
    assert f'title="{md5}">{md5[:10]}…</code>' in page
    assert code in client.get("/series").text

    # The same code name again is refused on the seizure page, which keeps what was typed.
    again = client.post(
        f"/seizures/{first}/series",
        data={"csrf_token": csrf, "name": "silver  birch", "line": ["1"]},
    )
    assert again.status_code == 409 and "is taken" in again.text
    assert 'value="silver  birch"' in again.text

    # A second seizure: one known file, one near-duplicate of a member, one new.
    second = _triage(
        client,
        csrf,
        jsonl(
            {"md5": md5},
            {"pdq": factories.flip_bits(factories.pdq_hex(1), 10)},
            {"md5": digest("md5", "other"), "pdq": factories.pdq_hex(500)},
        ),
    )
    page = client.get(f"/seizures/{second}").text
    assert [_total(page, k) for k in ("items", "known", "near", "new")] == [3, 1, 1, 1]
    touched = page.split('data-testid="touched-series"')[1].split("</table>")[0]
    assert f'href="/series/{code}"' in touched and "Silver Birch" in touched
    near_only = client.get(f"/seizures/{second}?verdict=near").text
    items = near_only.split('data-testid="triage-items"')[1].split("</table>")[0]
    assert "possible new material" in items and items.count('class="verdict-') == 1
    assert client.get(f"/seizures/{second}?verdict=bogus").status_code == 400

    # Link the near and new items to the series.
    lines = _checked(page)
    assert lines == ["2", "3"]
    linked = client.post(
        f"/seizures/{second}/link", data={"csrf_token": csrf, "code": code, "line": lines}
    )
    assert linked.status_code == 303 and linked.headers["location"] == f"/series/{code}"
    page = client.get(f"/series/{code}").text
    assert 'data-testid="series-media">5<' in page
    assert f"2 items of seizure {second} linked to series {code}." in page

    # Add a victim and identify it.
    added = client.post(
        f"/series/{code}/victims", data={"csrf_token": csrf, "age_group": "young_child"}
    )
    assert added.status_code == 303
    page = client.get(f"/series/{code}").text
    [victim] = _victims(page)
    # The former band "young child" is read in the one vocabulary: pre-pubescent.
    assert ">Pre-pubescent</td>" in page and 'data-testid="victim-status">Unidentified<' in page
    future = client.post(
        f"/victims/{victim}/identify",
        data={"csrf_token": csrf, "series": code, "identified_on": "2999-01-01"},
    )
    assert future.status_code == 400 and "future" in future.text
    assert 'data-testid="victim-status">Unidentified<' in future.text
    assert 'data-testid="field-error"' in future.text and 'value="2999-01-01"' in future.text
    # Sent with no series page to return to: the error page, in words (no field paths).
    lost = client.post(
        f"/victims/{victim}/identify", data={"csrf_token": csrf, "identified_on": "2999-01-01"}
    )
    assert lost.status_code == 400 and "future" in lost.text
    assert "Value error" not in lost.text and "identified_on" not in lost.text
    today = date.today().isoformat()
    identified = client.post(
        f"/victims/{victim}/identify",
        data={"csrf_token": csrf, "series": code, "identified_on": today, "country": ""},
    )
    assert identified.status_code == 303, identified.text[:500]
    page = client.get(f"/series/{code}").text
    assert 'data-testid="victim-status">Identified<' in page
    assert 'data-testid="series-status">Victim identified<' in page
    assert 'data-testid="series-victims">1 identified of 1<' in page
    twice = client.post(f"/victims/{victim}/identify", data={"csrf_token": csrf, "series": code})
    assert twice.status_code == 409 and "already identified" in twice.text
    safeguarded = client.post(
        f"/victims/{victim}/safeguard",
        data={"csrf_token": csrf, "series": code, "safeguarded_on": today},
    )
    assert safeguarded.status_code == 303
    assert 'data-testid="victim-status">Safeguarded<' in client.get(f"/series/{code}").text
    with sessions() as session:
        flags = session.execute(
            select(MediaRecord.victim_identified).where(MediaRecord.md5 == md5)
        ).scalar_one()
        assert flags is True
        reads = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event_type == EventType.VICTIM_READ, AuditEvent.subject_id == victim)
        ).scalar_one()
        assert reads >= 1  # showing the series page reads the victim record: audited

    # The KPI counts it this year.
    kpi = client.get("/victims/metrics").text
    assert 'data-testid="kpi-this-year">1<' in kpi and 'data-testid="victims-chart"' in kpi
    assert 'data-testid="kpi-cumulative">1<' in kpi
    assert 'data-testid="kpi-countries"' in kpi and 'href="/victims/metrics?country=NL"' in kpi
    filtered = client.get("/victims/metrics?country=nl").text
    assert 'data-testid="kpi-this-year">1<' in filtered and "NL" in filtered
    assert 'data-testid="kpi-this-year">0<' in client.get("/victims/metrics?country=GB").text
    # A country that is none: said beside the choice, the alliance-wide figures shown.
    bad = client.get("/victims/metrics?country=XYZ")
    assert bad.status_code == 400 and 'data-testid="field-error"' in bad.text
    assert 'data-testid="kpi-this-year">1<' in bad.text
    # The per-year table downloads as CSV, for one country or alliance-wide.
    table = client.get("/victims/metrics?country=NL&format=csv")
    assert table.headers["content-type"].startswith("text/csv")
    header, *years = table.text.splitlines()
    assert header.startswith("Year,Country,Identified") and years[-1].split(",")[2] == "1"

    # The series' records export as ICSE CSV and VICS JSON.
    icse = client.get(f"/series/{code}/export?format=icse")
    assert icse.status_code == 200 and icse.headers["content-type"].startswith("text/csv")
    assert icse.text.startswith("MD5;SHA1") and md5 in icse.text.lower()
    vics = client.get(f"/series/{code}/export?format=vics")
    assert vics.status_code == 200 and md5 in vics.text.lower()
    assert client.get(f"/series/{code}/export?format=pdf").status_code == 400


def test_bad_upload_names_the_lines_and_saves_nothing(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    bad = jsonl(*files("ok", 1)) + b'{"md5": "xyz"}\n' + b"not json\n"
    answer = _upload(client, csrf, bad, case_reference="KEEP-ME")
    assert answer.status_code == 400
    text = answer.text
    assert 'data-testid="field-error"' in text and "line 2" in text and "line 3" in text
    assert 'value="KEEP-ME"' in text
    empty = _upload(client, csrf, b"")
    assert empty.status_code == 400 and "empty" in empty.text
    missing = client.post("/seizures", data={"csrf_token": csrf})
    assert missing.status_code == 400 and "choose the seizure" in missing.text
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Seizure)).scalar_one() == 0
    no_csrf = client.post(
        "/seizures", files={"file": ("s.jsonl", jsonl(*files("a", 1)), "text/plain")}
    )
    assert no_csrf.status_code == 403


def test_another_agency_does_not_see_the_series_but_is_alerted_to_it(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    seizure = _triage(client, csrf, jsonl(*files("nl", 2)))
    code = _start_series(client, csrf, seizure, "Grey Heron")

    gb_csrf = _as(client, gb)
    assert client.get(f"/series/{code}").status_code == 404
    assert client.get(f"/seizures/{seizure}").status_code == 404
    assert code not in client.get("/series").text
    assert client.get(f"/series/{code}/export?format=icse").status_code == 404
    # GB's seizure holds a near-duplicate of the NL series: NL is alerted, GB sees that.
    theirs = _triage(
        client,
        gb_csrf,
        jsonl({"pdq": factories.flip_bits(factories.pdq_hex(0), 8)}, *files("gb", 1, 900)),
        shared_note="call the GB desk",
    )
    page = client.get(f"/seizures/{theirs}").text
    touched = page.split('data-testid="touched-series"')[1].split("</table>")[0]
    assert code in touched and "Grey Heron" in touched and f'href="/series/{code}"' not in touched
    assert touched.count("<td>yes</td>") == 1  # alerted, not theirs
    # Linking to a series GB does not work on: not found, shown on the seizure page.
    refused = client.post(
        f"/seizures/{theirs}/link", data={"csrf_token": gb_csrf, "code": code, "line": ["1"]}
    )
    assert refused.status_code == 400 and 'data-testid="field-error"' in refused.text
    with sessions() as session:
        nl = world.orgs[OrgKind.law_enforcement]
        alerts = cooperation.list_alerts(session, _principal_of(session, nl.id))
        assert [cooperation.alert_out(a).shared_note for a in alerts] == ["call the GB desk"]


def _principal_of(session: Session, organisation_id: int) -> Principal:
    user = session.execute(
        select(User).where(User.organisation_id == organisation_id, User.role == Role.investigator)
    ).scalar_one()
    return factories.principal(user)


def test_invite_refer_accept_decline_and_merge(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    first = _triage(client, csrf, jsonl(*files("a", 2)))
    alpha = _start_series(client, csrf, first, "Alpha Oak")
    second = _triage(client, csrf, jsonl(*files("b", 2, 100)))
    beta = _start_series(client, csrf, second, "Beta Elm")

    # Refer Alpha to GB; a country without police is refused on the page.
    nowhere = client.post(f"/series/{alpha}/referrals", data={"csrf_token": csrf, "country": "FR"})
    assert nowhere.status_code == 400 and "o law-enforcement member in FR" in nowhere.text
    referred = client.post(
        f"/series/{alpha}/referrals",
        data={
            "csrf_token": csrf,
            "country": "GB",
            "indicators": "English-language packaging\n\nUK power sockets",
            "note": "please look",
        },
    )
    assert referred.status_code == 303
    assert referred.headers["location"] == "/referrals?direction=outgoing"
    outgoing = client.get(referred.headers["location"]).text
    assert "Referral RF-" in outgoing and "sent; the receiving agency decides" in outgoing
    assert alpha in outgoing and "Alpha Oak" in outgoing
    # And Beta too, to be declined.
    assert (
        client.post(
            f"/series/{beta}/referrals", data={"csrf_token": csrf, "country": "GB"}
        ).status_code
        == 303
    )

    gb_csrf = _as(client, gb)
    page = client.get("/referrals?direction=incoming").text
    listed = page.split('data-testid="referrals"')[1].split("</table>")[0]
    references = re.findall(r'href="/referrals/(RF-[0-9A-Z]+)">', listed)
    assert len(references) == 2 and "2 media" in listed
    with sessions() as session:
        by_series = dict(
            session.execute(
                select(Series.code, Referral.reference).join(
                    Series, Series.id == Referral.series_id
                )
            ).all()
        )
    # The package is read before deciding: counts, indicators, every hash in full.
    package = client.get(f"/referrals/{by_series[alpha]}").text
    assert "English-language packaging" in package and "UK power sockets" in package
    assert 'data-testid="accept-form"' in package and "data-confirm=" in package
    no_reason = client.post(
        f"/referrals/{by_series[beta]}/decision",
        data={"csrf_token": gb_csrf, "decision": "decline"},
    )
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.text
    assert 'data-testid="field-error"' in no_reason.text
    declined = client.post(
        f"/referrals/{by_series[beta]}/decision",
        data={"csrf_token": gb_csrf, "decision": "decline", "reason": "not ours"},
    )
    assert declined.status_code == 303 and declined.headers["location"] == "/referrals"
    assert "declined" in client.get("/referrals").text
    accepted = client.post(
        f"/referrals/{by_series[alpha]}/decision",
        data={"csrf_token": gb_csrf, "decision": "accept"},
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/series/{alpha}"
    page = client.get(accepted.headers["location"]).text
    assert f"Referral {by_series[alpha]} accepted" in page and "Alpha Oak" in page
    assert 'data-testid="invite-agency"' not in page  # a collaborator does not invite
    assert client.get(f"/series/{beta}").status_code == 404
    again = client.post(
        f"/referrals/{by_series[alpha]}/decision",
        data={"csrf_token": gb_csrf, "decision": "accept"},
    )
    assert again.status_code == 409 and "already accepted" in again.text

    # Back at NL: the decline and its reason; the owner invites and merges.
    csrf = _as(client, world.usernames[Role.investigator])
    assert "not ours" in client.get("/referrals").text
    page = client.get(f"/series/{beta}").text
    assert 'data-testid="invite-agency"' in page and 'data-testid="merge-series"' in page
    invited = client.post(
        f"/series/{beta}/agencies", data={"csrf_token": csrf, "organisation": "gb-police"}
    )
    assert invited.status_code == 303
    assert "Test gb-police" in client.get(f"/series/{beta}").text.split('data-testid="agencies"')[1]
    unknown = client.post(
        f"/series/{beta}/agencies", data={"csrf_token": csrf, "organisation": "no-such"}
    )
    assert unknown.status_code == 400 and "choose one of the law-enforcement" in unknown.text

    edited = client.post(
        f"/series/{beta}/edit",
        data={
            "csrf_token": csrf,
            "status": "offender_identified",
            "notes": "desk 4",
            "countries": "NL",
        },
    )
    assert edited.status_code == 303
    page = client.get(f"/series/{beta}").text
    assert "Offender identified" in page and "desk 4</textarea>" in page

    merged = client.post(f"/series/{beta}/merge", data={"csrf_token": csrf, "into": alpha})
    assert merged.status_code == 303 and merged.headers["location"] == f"/series/{alpha}"
    page = client.get(f"/series/{alpha}").text
    assert 'data-testid="series-media">4<' in page
    closed = client.get(f"/series/{beta}").text
    assert f'href="/series/{alpha}"' in closed and 'data-testid="add-victim"' not in closed
