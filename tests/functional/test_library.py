"""The awareness library end to end: public pages and the Atom feed, members' forms, the
JSON API and the command line, on each database back end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.library import entries
from alliance.library.schemas import EntryIn
from tests import factories
from tests.functional.conftest import log_in
from tests.support.cli import Run

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def library(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions.begin() as session:
        nl = factories.organisation(session, OrgKind.government, "NL", slug="nl-gov")
        gb = factories.organisation(session, OrgKind.government, "GB", slug="gb-gov")
        sec = factories.organisation(session, OrgKind.secretariat, "BE", slug="sec")
        nl_user = factories.user(session, nl, Role.country_editor, username="nl-ed")
        factories.user(session, gb, Role.country_editor, username="gb-ed")
        sec_user = factories.user(session, sec, Role.secretariat_admin, username="sec-admin")
        _, gb_key = factories.api_key(session, gb, Role.country_editor)
        _, sec_key = factories.api_key(session, sec, Role.secretariat_admin)
        nl_p = factories.principal(nl_user)
        sec_p = factories.principal(sec_user)
        published = entries.create_entry(
            session,
            nl_p,
            EntryIn(
                kind="campaign",
                title='Think <before> you "share" & send',
                summary="Nudes spread: <script>alert(1)</script>",
                country="NL",
                tags=["self_generated"],
                audiences=["children"],
                languages=["nl"],
                reach="900,000 pupils",
                links=["https://campaign.example.test/?a=1&b=2"],
            ),
        )
        entries.set_published(session, sec_p, published.id, True)
        draft = entries.create_entry(
            session, nl_p, EntryIn(kind="guidance", title="Unfinished guidance", country="NL")
        )
        return {
            "published": published.id,
            "draft": draft.id,
            "gb_key": gb_key,
            "sec_key": sec_key,
        }


def test_public_library_search_entry_and_feed(client: TestClient, library: dict[str, Any]) -> None:
    page = client.get("/library", params={"tag": "self_generated"})
    assert page.status_code == 200
    assert "Think &lt;before&gt;" in page.text and "Unfinished guidance" not in page.text
    assert "Self-generated imagery" in page.text
    assert client.get("/library", params={"q": '"unbalanced * -'}).status_code == 200
    bad = client.get("/library", params={"tag": "cats"})
    assert bad.status_code == 400 and "library tag" in bad.text
    entry = client.get(f"/library/{library['published']}")
    assert entry.status_code == 200
    assert "<script>alert" not in entry.text and "Reach (self-reported)" in entry.text
    assert "900,000 pupils" in entry.text and "adopt-form" not in entry.text
    assert client.get(f"/library/{library['draft']}").status_code == 404
    feed = client.get("/library/feed.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )
    root = ET.fromstring(feed.content)  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "updated", "title"):
        assert root.find(f"{ATOM}{name}") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    (item,) = root.findall(f"{ATOM}entry")
    assert item.findtext(f"{ATOM}title") == 'Think <before> you "share" & send'
    assert item.findtext(f"{ATOM}id", "").endswith(f"/library/{library['published']}")
    assert item.find(f"{ATOM}updated") is not None and item.find(f"{ATOM}link") is not None
    assert "<script>" in (item.findtext(f"{ATOM}summary") or "")  # text, escaped in the XML
    assert b"<script>" not in feed.content


def test_page_says_when_more_match_than_it_counts(
    client: TestClient, library: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the count's limit the page says so, and, for best first, where the best come
    from and how to reach every match."""
    from alliance.library import search
    from alliance.web.pages import library as page

    monkeypatch.setattr(search, "COUNT_LIMIT", 0)
    monkeypatch.setattr(page, "COUNT_LIMIT", 0)
    best = client.get("/library", params={"q": "nudes"}).text
    assert "More than 0 entries match" in best and "most recently added" in best
    by_title = client.get("/library", params={"q": "nudes", "sort": "title"}).text
    assert "More than 0 entries match" in by_title and "most recently added" not in by_title
    assert "most recently added" not in client.get("/library").text


def test_members_write_publish_and_adopt_in_pages(
    client: TestClient, library: dict[str, Any]
) -> None:
    token = log_in(client, "nl-ed")
    bad = client.post(
        "/library/new",
        data={"csrf_token": token, "kind": "campaign", "title": "Kept title",
              "country": "NL", "languages": "nl, xx", "links": "javascript:alert(1)"},
    )  # fmt: skip
    assert bad.status_code == 400 and "Kept title" in bad.text and "xx" in bad.text
    good = client.post(
        "/library/new",
        data={"csrf_token": token, "kind": "training", "title": "Teacher training",
              "country": "NL", "languages": "nl", "tags": ["grooming", "reporting"],
              "audiences": ["educators"], "links": "https://training.example.test/"},
    )  # fmt: skip
    assert good.status_code == 303
    location = good.headers["location"]
    entry_id = int(location.rsplit("/", 1)[1])
    assert "Teacher training" in client.get(location).text
    client.cookies.clear()
    assert client.get(location).status_code == 404  # a draft, not public
    token = log_in(client, "sec-admin")
    published = client.post(f"/library/{entry_id}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    client.cookies.clear()
    assert client.get(location).status_code == 200
    token = log_in(client, "gb-ed")
    page = client.get(f"/library/{library['published']}")
    assert "adopt-form" in page.text
    empty = client.post(f"/library/{library['published']}/adopt", data={"csrf_token": token})
    assert empty.status_code == 400 and "took it up" in empty.text
    adopted = client.post(
        f"/library/{library['published']}/adopt",
        data={"csrf_token": token, "notes": "Translated for UK schools"},
    )
    assert adopted.status_code == 303
    page = client.get(f"/library/{library['published']}")
    assert "Translated for UK schools" in page.text and "adopt-form" not in page.text
    again = client.post(
        f"/library/{library['published']}/adopt", data={"csrf_token": token, "notes": "x"}
    )
    assert again.status_code == 409
    assert client.get(f"/library/{library['draft']}/edit").status_code == 404
    assert (
        client.post(f"/library/{entry_id}/publish", data={"csrf_token": token}).status_code == 403
    )


def test_api(client: TestClient, library: dict[str, Any]) -> None:
    listed = client.get("/api/v1/library", params={"q": "share", "tag": "self_generated"})
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 1 and body["entries"][0]["id"] == library["published"]
    assert client.get("/api/v1/library", params={"q": '"(*'}).status_code == 200
    assert client.get(f"/api/v1/library/{library['draft']}").status_code == 404
    gb = {"Authorization": f"Bearer {library['gb_key']}"}
    sec = {"Authorization": f"Bearer {library['sec_key']}"}
    created = client.post(
        "/api/v1/library",
        json={"kind": "practice", "title": "Helpline practice", "country": "GB",
              "links": ["https://help.example.test/"]},
        headers=gb,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    refused = client.post(
        "/api/v1/library", json={"kind": "practice", "title": "x", "country": "NL"}, headers=gb
    )
    assert refused.status_code == 400 and refused.json()
    assert client.post(f"/api/v1/library/{new_id}/publish", headers=gb).status_code == 403
    assert client.post(f"/api/v1/library/{new_id}/publish", headers=sec).status_code == 200
    adopted = client.post(
        f"/api/v1/library/{library['published']}/adoptions", json={"notes": "used"}, headers=gb
    )
    assert adopted.status_code == 201 and adopted.json()["organisation"] == "gb-gov"
    again = client.post(
        f"/api/v1/library/{library['published']}/adoptions", json={"notes": "x"}, headers=gb
    )
    assert again.status_code == 409
    assert client.post("/api/v1/library", json={"kind": "x"}).status_code == 401


def test_cli_import_export_search(run: Run, tmp_path: Path) -> None:
    assert run("jurisdictions", "add", "NL", "Netherlands").code == 0
    assert run("orgs", "add", "nl-gov", "--name", "NL ministry", "--kind", "government",
               "--country", "NL").code == 0  # fmt: skip
    csv_file = tmp_path / "lib.csv"
    header = "kind,title,summary,country,organisation,audiences,languages,tags,links\n"
    good = 'campaign,Share safe,"About ""nudes""",NL,nl-gov,children|parents,nl|en,self_generated,https://a.example.test/\n'
    bad = "campaign,Broken,,NL,nl-gov,,xx,,\n"
    csv_file.write_text(header + good * 3 + bad + good, encoding="utf-8")
    refused = run("library", "import", str(csv_file))
    assert refused.code == 2 and "line 5" in refused.err and "languages" in refused.err
    assert json.loads(run("library", "export", "--format", "json").out)["entries"] == []
    csv_file.write_text(header + good * 3, encoding="utf-8")
    done = run("library", "import", str(csv_file), "--publish")
    assert done.code == 0, done.err
    exported = run("library", "export", "--format", "json")
    data = json.loads(exported.out)
    assert len(data["entries"]) == 3 and data["entries"][0]["tags"] == ["self_generated"]
    json_file = tmp_path / "lib.json"
    json_file.write_text(exported.out, encoding="utf-8")
    assert run("library", "import", str(json_file)).code == 0
    found = run("library", "search", "nudes", "--tag", "self_generated", "--format", "json")
    assert found.code == 0, found.err
    assert len(json.loads(found.out)) == 3  # the JSON import's entries are drafts
    assert (
        len(json.loads(run("library", "search", "nudes", "--drafts", "--format", "json").out)) == 6
    )
    assert run("library", "search", '"(*-', "--format", "json").code == 0
    csv_out = run("library", "export", "--format", "csv")
    assert csv_out.out.startswith("kind,title,") and "nl|en" in csv_out.out
