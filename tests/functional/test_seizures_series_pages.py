"""Seizure and series pages, issue 15: choosing the items of a series, a re-upload that
explains itself, the triage export, the series timeline, the series forms' inline errors
and notices, one age-group vocabulary.

Everything is synthetic: a "file" is a set of digests of short strings and a PDQ hash.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.cooperation import services as cooperation
from alliance.victims import series as series_service
from alliance.victims.models import MediaRecord, Seizure, Series, SeriesEvent, Victim
from alliance.victims.schemas import LinkIn
from alliance.web.pages import victims as victims_pages
from tests import factories
from tests.functional.conftest import World
from tests.functional.test_victims_pages import (
    _as,
    _checked,
    _offered,
    _principal_of,
    _start_series,
    _total,
    _triage,
    _upload,
    digest,
    files,
    gb,
    jsonl,
)

__all__ = ["gb"]  # the fixture, used by name


def _notice(page: str) -> str:
    found = re.search(r'data-testid="notice"[^>]*>(.*?)</', page, re.S)
    assert found, "no notice on the page"
    return found.group(1).strip()


def _field_errors(page: str) -> list[str]:
    return [
        m.strip() for m in re.findall(r'data-testid="field-error">(.*?)</', page, re.S) if m.strip()
    ]


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


# --- choosing the items of a series -------------------------------------------------


def test_only_the_items_chosen_start_a_series_and_foreign_ones_are_refused(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    # NL's series holds two files.
    csrf = _as(client, world.usernames[Role.investigator])
    nl_seizure = _triage(client, csrf, jsonl(*files("nl", 2)))
    nl_code = _start_series(client, csrf, nl_seizure, "Grey Heron")

    # GB's seizure: a near-duplicate of NL's first file, a new file, NL's second file.
    gb_csrf = _as(client, gb)
    near = {"pdq": factories.flip_bits(factories.pdq_hex(0), 8)}
    fresh = {"md5": digest("md5", "gb-new"), "pdq": factories.pdq_hex(900)}
    member = {"md5": digest("md5", "nl-1")}
    seizure = _triage(client, gb_csrf, jsonl(near, fresh, member))
    page = client.get(f"/seizures/{seizure}").text
    # Offered: the near-duplicate and the new file; NL's member is in a series already.
    assert _offered(page) == ["1", "2"]
    # Chosen by default: the new file only; the near-duplicate is labelled as NL's.
    assert _checked(page) == ["2"]
    candidates = _section(page, "choose-items")
    assert 'data-testid="foreign-series"' in candidates
    assert f"{nl_code} · Grey Heron" in candidates
    assert "Test w-law-enforcement's series" in candidates

    # Nothing chosen: refused beside the items, the code name kept.
    none = client.post(
        f"/seizures/{seizure}/series", data={"csrf_token": gb_csrf, "name": "Blue Wren"}
    )
    assert none.status_code == 400
    assert "choose at least one item" in _field_errors(none.text)
    assert 'value="Blue Wren"' in none.text and 'data-testid="form-errors"' in none.text
    # An item that is not the seizure's: refused, nothing saved, the choice kept.
    alien = client.post(
        f"/seizures/{seizure}/series",
        data={"csrf_token": gb_csrf, "name": "Blue Wren", "line": ["2", "99"]},
    )
    assert alien.status_code == 400 and "has no line 99" in alien.text
    assert _checked(alien.text) == ["2"]
    garbage = client.post(
        f"/seizures/{seizure}/series",
        data={"csrf_token": gb_csrf, "name": "Blue Wren", "line": ["x"]},
    )
    assert garbage.status_code == 400 and "choose among the seizure" in garbage.text
    # NL's member: another agency's series keeps it.
    foreign = client.post(
        f"/seizures/{seizure}/series",
        data={"csrf_token": gb_csrf, "name": "Blue Wren", "line": ["2", "3"]},
    )
    assert foreign.status_code == 409
    assert f"line 3 is already a member of series {nl_code}" in foreign.text
    with sessions() as session:
        assert session.execute(select(Series).where(Series.name == "Blue Wren")).first() is None

    # The default choice: only the new file joins.
    code = _start_series(client, gb_csrf, seizure, "Blue Wren")
    page = client.get(f"/series/{code}").text
    assert 'data-testid="series-media">1<' in page
    assert f"started with 1 item of seizure {seizure}" in _notice(page)
    # The near-duplicate is still offered, unchosen; GB may take it up deliberately.
    page = client.get(f"/seizures/{seizure}").text
    assert _offered(page) == ["1"] and _checked(page) == []
    linked = client.post(
        f"/seizures/{seizure}/link", data={"csrf_token": gb_csrf, "code": code, "line": ["1"]}
    )
    assert linked.status_code == 303
    assert f"1 item of seizure {seizure} linked to series {code}." in _notice(
        client.get(linked.headers["location"]).text
    )
    with sessions() as session:
        gb_series = session.execute(select(Series).where(Series.code == code)).scalar_one()
        members = session.execute(
            select(MediaRecord.md5, MediaRecord.pdq).where(MediaRecord.series_id == gb_series.id)
        ).all()
        assert sorted(m.pdq or "" for m in members) == sorted([fresh["pdq"], near["pdq"]])


def test_linking_without_a_choice_leaves_another_agencys_near_duplicates(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    """The service's default (the API's, without ``lines``) is the page's default choice."""
    csrf = _as(client, world.usernames[Role.investigator])
    nl_code = _start_series(client, csrf, _triage(client, csrf, jsonl(*files("nl", 1))), "Oak")
    gb_csrf = _as(client, gb)
    near = {"pdq": factories.flip_bits(factories.pdq_hex(0), 8)}
    seizure = _triage(client, gb_csrf, jsonl(near, *files("gb", 2, 900)))
    code = _start_series(client, gb_csrf, seizure, "Elm", lines=["2"])
    with sessions.begin() as session:
        gb_org = session.execute(
            select(Seizure.organisation_id).where(Seizure.reference == seizure)
        ).scalar_one()
        linked = series_service.link_items(
            session, _principal_of(session, gb_org), code, LinkIn(seizure=seizure)
        )
        assert linked == 1  # line 3; line 1 resembles NL's series and stays out
        nl = session.execute(select(Series).where(Series.code == nl_code)).scalar_one()
        assert nl.code == nl_code


# --- a re-upload explains itself ----------------------------------------------------


def test_a_reupload_says_when_it_was_first_triaged_and_why_it_reads_differently(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    data = jsonl(*files("re", 3))
    first = _triage(client, csrf, data)
    page = client.get(f"/seizures/{first}").text
    assert 'data-testid="already-triaged"' not in page

    # The same file again, before anything changed: it reads the same, and says so.
    again = _upload(client, csrf, data)
    assert again.status_code == 303
    page = client.get(again.headers["location"]).text
    notice = _section(page, "already-triaged")
    assert f'as seizure <a href="/seizures/{first}">{first}</a>' in notice
    assert "Already triaged on" in notice and "the same file" in notice
    assert "It reads as it did then" in notice

    # Two of its files become a series; the third is left out.
    _start_series(client, csrf, first, "Cedar", lines=["1", "2"])
    third = _triage(client, csrf, data)
    page = client.get(f"/seizures/{third}").text
    assert (_total(page, "known"), _total(page, "new")) == (2, 1)
    notice = _section(page, "already-triaged")
    assert f'seizure <a href="/seizures/{first}">{first}</a>' in notice  # the first, always
    assert "Then: 0 known, 0 near-duplicates, 3 new. Now: 2 known" in notice
    assert f"2 items of it became series members from {first}" in notice
    with sessions() as session:
        # A re-upload is not a sighting: the records are not "distributed" by it.
        records = session.execute(
            select(MediaRecord.submissions, MediaRecord.is_distributed).where(
                MediaRecord.md5.in_([digest("md5", "re-0"), digest("md5", "re-1")])
            )
        ).all()
        assert [tuple(r) for r in records] == [(1, False), (1, False)]

    # The same files in another format and order: recognised by their hashes.
    rows = ["name,md5,pdq"] + [
        f"f{n}.png,{f['md5']},{f['pdq']}" for n, f in reversed(list(enumerate(files("re", 3))))
    ]
    as_csv = _upload(client, csrf, ("\n".join(rows) + "\n").encode(), name="s.csv")
    assert as_csv.status_code == 303
    notice = _section(client.get(as_csv.headers["location"]).text, "already-triaged")
    assert "the same files (the same hashes, in another file)" in notice

    # Other files: no such notice.
    other = _triage(client, csrf, jsonl(*files("other", 2, 300)))
    assert 'data-testid="already-triaged"' not in client.get(f"/seizures/{other}").text


def test_a_reupload_does_not_alert_the_other_agency_again(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    code = _start_series(client, csrf, _triage(client, csrf, jsonl(*files("nl", 1))), "Pine")
    gb_csrf = _as(client, gb)
    data = jsonl({"pdq": factories.flip_bits(factories.pdq_hex(0), 8)})
    first = _triage(client, gb_csrf, data)
    again = _triage(client, gb_csrf, data)
    touched = client.get(f"/seizures/{again}").text.split('data-testid="touched-series"')[1]
    assert code in touched.split("</table>")[0] and "<td>yes</td>" in touched  # alerted then
    with sessions() as session:
        nl = world.orgs[OrgKind.law_enforcement]
        alerts = cooperation.list_alerts(session, _principal_of(session, nl.id))
        assert [a.subject for a in alerts] == [first]


# --- the triage export --------------------------------------------------------------


def test_triage_verdicts_export_as_csv_and_vics(client: TestClient, world: World) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    first = _triage(client, csrf, jsonl(*files("ex", 2)))
    code = _start_series(client, csrf, first, "Willow")
    md5 = digest("md5", "ex-0")
    near_pdq = factories.flip_bits(factories.pdq_hex(1), 10)
    new = {"md5": digest("md5", "ex-new"), "pdq": factories.pdq_hex(700)}
    second = _triage(client, csrf, jsonl({"md5": md5}, {"pdq": near_pdq}, new))
    page = client.get(f"/seizures/{second}").text
    assert f'href="/seizures/{second}/export?format=csv"' in page
    assert f'href="/seizures/{second}/export?format=vics"' in page

    answer = client.get(f"/seizures/{second}/export?format=csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f'filename="{second}-triage.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["Line", "File", "Verdict", "Series"]
    body = [(r[0], r[1], r[2], r[3], r[4]) for r in rows[1:]]
    assert body == [
        ("1", "img0.png", "Known", code, "Willow"),
        ("2", "img1.png", "Near-duplicate", code, "Willow"),
        ("3", "img2.png", "New", "", ""),
    ]
    assert rows[1][10] == md5 and rows[2][13] == near_pdq

    answer = client.get(f"/seizures/{second}/export?format=vics")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    document = json.loads(answer.text)
    assert document["@odata.context"].endswith("#Media")
    media = document["value"]
    assert [m["TriageVerdict"] for m in media] == ["known", "near", "new"]
    assert [m["MediaFiles"][0]["FileName"] for m in media] == ["img0.png", "img1.png", "img2.png"]
    assert media[0]["MD5"] == md5.upper() and media[0]["Series"] == "Willow"
    assert {"HashName": "PDQ", "HashValue": near_pdq} in media[1]["AlternativeHashes"]
    assert "Series" not in media[2]
    # The VICS export reads back as a seizure: the same files, recognised.
    back = _upload(client, csrf, answer.content, name="export.json")
    assert back.status_code == 303, back.text[:500]
    page = client.get(back.headers["location"]).text
    assert f'as seizure <a href="/seizures/{second}">{second}</a>' in page

    assert client.get(f"/seizures/{second}/export?format=pdf").status_code == 400
    assert client.get("/seizures/SZ-NOSUCH00/export?format=csv").status_code == 404


def test_the_seizures_table_sorts_pages_and_downloads(client: TestClient, world: World) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    small = _triage(client, csrf, jsonl(*files("s", 1)), case_reference="CASE-SMALL")
    large = _triage(client, csrf, jsonl(*files("l", 3, 50)), case_reference="CASE-LARGE")
    page = client.get("/seizures").text
    assert page.index(large) < page.index(small)  # newest first
    by_items = client.get("/seizures?sort=items").text
    table = by_items.split('data-testid="seizures"')[1]
    assert table.index(small) < table.index(large)
    assert 'aria-sort="ascending"' in by_items
    assert client.get("/seizures?sort=secret").status_code == 400
    answer = client.get("/seizures?sort=-items&format=csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][0] == "Seizure" and [r[0] for r in rows[1:]] == [large, small]
    assert [r[2] for r in rows[1:]] == ["CASE-LARGE", "CASE-SMALL"]


# --- the series page ----------------------------------------------------------------


def test_the_series_timeline_is_in_date_order_and_in_words(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    seizure = _triage(client, csrf, jsonl(*files("t", 2)))
    code = _start_series(client, csrf, seizure, "Hazel")
    assert client.post(f"/series/{code}/victims", data={"csrf_token": csrf}).status_code == 303
    with sessions.begin() as session:
        found = session.execute(select(Series).where(Series.code == code)).scalar_one()
        events = list(
            session.execute(
                select(SeriesEvent)
                .where(SeriesEvent.series_id == found.id)
                .order_by(SeriesEvent.id)
            ).scalars()
        )
        # As an import or the demo may: the last event recorded happened first.
        events[-1].at = events[0].at - timedelta(days=3)
    page = client.get(f"/series/{code}").text
    timeline = page.split('data-testid="timeline"')[1].split("</table>")[0]
    moments = re.findall(r'data-testid="timeline-when">([^<]+)<', timeline)
    assert len(moments) == 3 and moments == sorted(moments)
    texts = re.findall(r"</td><td>([^<]+)</td><td>", timeline)
    assert texts[0].startswith("Victim V-") and texts[1] == "Started as “Hazel”"
    assert texts[2] == f"2 items of seizure {seizure} linked"
    assert not [t for t in texts if "=" in t] and ".000" not in timeline


def test_series_forms_show_errors_inline_and_confirm_success(
    client: TestClient, world: World, gb: str
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    alpha = _start_series(client, csrf, _triage(client, csrf, jsonl(*files("a", 1))), "Alpha Ash")
    beta = _start_series(
        client, csrf, _triage(client, csrf, jsonl(*files("b", 1, 100))), "Beta Birch"
    )

    def refused(path: str, data: dict[str, str], form: str, status: int = 400) -> str:
        answer = client.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
        section = answer.text.split(f'data-testid="{form}"', 1)[1].split("</form>", 1)[0]
        assert 'data-testid="form-errors"' in section, (path, section[:500])
        assert 'data-testid="field-error"' in section, (path, section[:500])
        return section

    # Edit: a bad country, beside the countries, with what was typed.
    section = refused(
        f"/series/{beta}/edit",
        {"status": "active", "countries": "NL, XQ1", "notes": "kept"},
        "edit-series",
    )
    assert 'value="NL, XQ1"' in section and ">kept</textarea>" in section
    assert "XQ1&#39; is not a country code" in section and "line 2" not in section
    section = refused(f"/series/{beta}/edit", {"status": "bogus"}, "edit-series")
    assert "choose one of the statuses offered" in section
    # Invite: an agency that is not offered.
    section = refused(f"/series/{beta}/agencies", {"organisation": "no-such"}, "invite-agency")
    assert "choose one of the law-enforcement agencies offered" in section
    # Merge: a code that is no series of the agency's.
    answer = client.post(f"/series/{beta}/merge", data={"csrf_token": csrf, "into": "S-NOPE"})
    assert answer.status_code == 400
    merge = _section(answer.text, "merge-series")
    assert "no open series S-NOPE of your agency" in merge and 'data-confirm="Merge' in merge
    assert 'data-testid="field-error"' in merge
    # Add victim: an age group that is none of the vocabulary.
    section = refused(f"/series/{beta}/victims", {"age_group": "elderly"}, "add-victim")
    assert "choose one of the options offered" in section
    # Identify: a date that is not one, beside the date, kept.
    assert client.post(f"/series/{beta}/victims", data={"csrf_token": csrf}).status_code == 303
    page = client.get(f"/series/{beta}").text
    [victim] = re.findall(r">(V-[0-9A-Z]+)</td>", page)
    section = refused(
        f"/victims/{victim}/identify",
        {"series": beta, "identified_on": "2026-13-45", "country": "NL"},
        f"identify-{victim}",
    )
    assert 'value="2026-13-45"' in section and "give a date as YYYY-MM-DD" in section

    # Success: each says what was done.
    saved = client.post(
        f"/series/{beta}/edit",
        data={"csrf_token": csrf, "status": "active", "countries": "NL, BE", "notes": ""},
    )
    assert saved.status_code == 303
    assert _notice(client.get(saved.headers["location"]).text) == f"Series {beta} saved."
    invited = client.post(
        f"/series/{beta}/agencies", data={"csrf_token": csrf, "organisation": "gb-police"}
    )
    assert invited.status_code == 303
    assert "Test gb-police invited" in _notice(client.get(invited.headers["location"]).text)
    merged = client.post(f"/series/{beta}/merge", data={"csrf_token": csrf, "into": alpha})
    assert merged.status_code == 303 and merged.headers["location"] == f"/series/{alpha}"
    assert _notice(client.get(merged.headers["location"]).text) == (
        f"Series {beta} merged into {alpha}; {beta} is closed."
    )


# --- one age-group vocabulary -------------------------------------------------------


def test_age_groups_speak_the_assessments_vocabulary(
    client: TestClient, world: World, gb: str, sessions: sessionmaker[Session]
) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    code = _start_series(client, csrf, _triage(client, csrf, jsonl(*files("v", 1))), "Rowan")
    page = client.get(f"/series/{code}").text
    options = re.findall(r'<option value="([a-z_]+)"', _section(page, "add-victim"))
    assert options == ["infant", "pre_pubescent", "pubescent", "not_determined"]
    assert ">Pre-pubescent</option>" in page and ">Not determined</option>" in page
    # The victims' former bands still come in (an older script, an older export): mapped.
    for old, new in (("adolescent", "Pubescent"), ("young_child", "Pre-pubescent")):
        added = client.post(f"/series/{code}/victims", data={"csrf_token": csrf, "age_group": old})
        assert added.status_code == 303
        assert f"({new.lower()})" in _notice(client.get(added.headers["location"]).text)
    with sessions() as session:
        stored = session.execute(select(Victim.age_group).order_by(Victim.id)).scalars().all()
        assert [a.value for a in stored] == ["pubescent", "pre_pubescent"]
    # A referral's package counts them in the same words.
    referred = client.post(f"/series/{code}/referrals", data={"csrf_token": csrf, "country": "GB"})
    assert referred.status_code == 303
    _as(client, gb)
    listed = client.get("/referrals?direction=incoming").text
    reference = re.search(r'href="/referrals/(RF-[0-9A-Z]+)"', listed).group(1)  # type: ignore[union-attr]
    package = client.get(f"/referrals/{reference}").text
    assert "Pre-pubescent 1, Pubescent 1" in package


def test_the_seizure_and_series_pages_show_no_raw_codes(client: TestClient, world: World) -> None:
    csrf = _as(client, world.usernames[Role.investigator])
    seizure = _triage(client, csrf, jsonl(*files("w", 2)))
    code = _start_series(client, csrf, seizure, "Larch")
    for path in (f"/seizures/{seizure}", f"/series/{code}", "/seizures"):
        page = client.get(path).text
        for raw in ("victim_identified<", ">active<", ">owner<", ">image<", "(UTC)", "· jsonl"):
            assert raw not in page, (path, raw)
    assert world.orgs[OrgKind.law_enforcement].name in client.get(f"/series/{code}").text


def test_a_big_seizure_is_placed_in_steps(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(victims_pages, "CANDIDATES_SHOWN", 2)
    csrf = _as(client, world.usernames[Role.investigator])
    seizure = _triage(client, csrf, jsonl(*files("big", 3)))
    page = client.get(f"/seizures/{seizure}").text
    assert _offered(page) == ["1", "2"] and "the first 2 are listed" in page
    code = _start_series(client, csrf, seizure, "Spruce")
    page = client.get(f"/seizures/{seizure}").text
    assert _offered(page) == ["3"] and "Items in no series yet (1)" in page
    linked = client.post(
        f"/seizures/{seizure}/link", data={"csrf_token": csrf, "code": code, "line": ["3"]}
    )
    assert linked.status_code == 303
    assert 'data-testid="series-media">3<' in client.get(f"/series/{code}").text
