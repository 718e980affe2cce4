"""The progress report end to end through the API and the command line, on each
database back end: who may build which draft, JSON and CSV, small counts hidden outside
the country, bad input refused with a clear message, every build audited."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.accounts.permissions import OrgKind, Role
from alliance.audit.models import AuditEvent
from alliance.countries.models import MemberCountry
from alliance.db import create_db_engine, make_session_factory
from alliance.reports import publication
from alliance.reports.periods import Period
from alliance.signing import SignatureInvalid
from alliance.takedown.models import AgeGroup
from alliance.victims.models import Series, SeriesStatus, Victim, VictimStatus
from tests import factories
from tests.functional.conftest import csrf_from_page, log_in
from tests.support.cli import Run

YEAR = 2025


def _world(session: Session) -> dict[str, str]:
    """NL identified 6 victims in 2024 and 7 in 2025, GB 3 and DE 2 in 2025; NL's and
    GB's governments and the secretariat have keys."""
    keys = {}
    for code in ("NL", "GB", "DE"):
        factories.jurisdiction(session, code)
        session.add(MemberCountry(code=code, name=code, joined_on=date(2012, 12, 5)))
    session.flush()
    for code in ("NL", "GB"):
        government = factories.organisation(
            session, OrgKind.government, code, slug=f"{code.lower()}-gov"
        )
        _, keys[code] = factories.api_key(session, government, Role.country_editor)
        factories.user(session, government, Role.country_editor, username=f"{code.lower()}-ed")
    police = factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
    secretariat = factories.organisation(session, OrgKind.secretariat, "NL", slug="sec")
    _, keys["sec"] = factories.api_key(session, secretariat, Role.secretariat_admin)
    factories.user(session, secretariat, Role.secretariat_admin, username="sec-admin")
    factories.user(session, police, Role.investigator, username="nl-inv")
    series = Series(
        code="S-TEST0001", name="Test", name_key="test", owner_organisation_id=police.id,
        status=SeriesStatus.active, first_seen_at=Period(2024).starts, countries=[],
        created_by="test",
    )  # fmt: skip
    session.add(series)
    session.flush()
    for country, count, on in (
        ("NL", 6, "2024-03-01"),
        ("NL", 7, "2025-03-01"),
        ("GB", 3, "2025-04-01"),
        ("DE", 2, "2025-05-01"),
    ):
        for _ in range(count):
            session.add(
                Victim(
                    reference=references.new("V"), series_id=series.id,
                    age_group=AgeGroup.pubescent, status=VictimStatus.identified,
                    identified_on=date.fromisoformat(on), identified_country=country,
                    created_by="test",
                )
            )  # fmt: skip
    session.flush()
    return keys


@pytest.fixture
def keys(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions.begin() as session:
        return _world(session)


def _get(client: TestClient, key: str, **params: Any) -> Any:
    return client.get(
        "/api/v1/reports/progress",
        params={"year": YEAR, **params},
        headers={"Authorization": f"Bearer {key}"},
    )


def _value(document: dict[str, Any], indicator: str, country: str | None) -> dict[str, Any]:
    return next(
        v
        for v in document["values"]
        if v["indicator"] == indicator and v["country"] == country and v["period"] == str(YEAR)
    )


def test_api_who_sees_what(
    client: TestClient, keys: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    alliance = _get(client, keys["sec"])
    assert alliance.status_code == 200, alliance.text
    document = alliance.json()
    assert document["format"] == "alliance.progress-report" and document["country"] is None
    assert _value(document, "victims.identified", None)["value"] == 12
    assert _value(document, "victims.identified", "NL")["value"] == 7
    gb = _value(document, "victims.identified", "GB")  # 3 < k: hidden from the secretariat
    assert (gb["value"], gb["n"], gb["suppressed"]) == (None, None, "fewer than 5")
    assert {i["id"] for i in document["indicators"]} >= {
        "victims.identified",
        "takedown.median_hours",
    }
    # GB's own report, for GB's government: its 3 in full; for the secretariat: hidden.
    own = _get(client, keys["GB"], country="GB").json()
    assert _value(own, "victims.identified", "GB")["value"] == 3
    assert own["reader_country"] == "GB" and len(own["narrative"]) == 4
    assert (
        _value(_get(client, keys["sec"], country="GB").json(), "victims.identified", "GB")["value"]
        is None
    )
    # Another country's draft, or the alliance's, is not NL's to read.
    assert _get(client, keys["NL"], country="GB").status_code == 404
    assert _get(client, keys["NL"]).status_code == 404
    as_csv = _get(client, keys["sec"], format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    nl = next(r for r in rows if r["indicator"] == "victims.identified" and r["country"] == "NL"
              and r["period"] == str(YEAR))  # fmt: skip
    assert (nl["value"], nl["n"], nl["status"]) == ("7.0", "7", "ok")
    with sessions() as session:
        built = (
            session.execute(
                select(AuditEvent).where(AuditEvent.event_type == "progress_report:built")
            )
            .scalars()
            .all()
        )
    assert len(built) == 4


def test_api_bad_input(client: TestClient, keys: dict[str, str]) -> None:
    assert _get(client, keys["sec"], country="FR").status_code == 404  # not a member
    bad = _get(client, keys["sec"], country="Q1")
    assert bad.status_code == 400
    future = _get(client, keys["sec"], year=datetime.now().year + 1)
    assert future.status_code == 400 and "has not begun" in future.text
    empty = _get(client, keys["sec"], year=2013)
    assert empty.status_code == 404 and "no figures for 2013" in empty.text
    assert _get(client, keys["sec"], year=2011).status_code == 422
    assert client.get("/api/v1/reports/progress", params={"year": YEAR}).status_code == 401


def test_cli_build(run: Run, fresh_db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade").code == 0
    engine = create_db_engine(fresh_db_url)
    with make_session_factory(engine).begin() as session:
        _world(session)
    engine.dispose()
    out = tmp_path / "alliance.json"
    built = run("report", "build", "--alliance", "--year", str(YEAR), "--out", str(out))
    assert built.code == 0, built.err
    assert _value(json.loads(out.read_text()), "victims.identified", None)["value"] == 12
    own = run("report", "build", "--country", "GB", "--year", str(YEAR), "--for", "gb-gov",
              "--format", "csv")  # fmt: skip
    assert own.code == 0 and "victims.identified" in own.out
    assert run("report", "build", "--year", str(YEAR)).code == 2
    assert run("report", "build", "--alliance", "--country", "NL").code == 2
    refused = run("report", "build", "--country", "GB", "--year", str(YEAR), "--for", "nl-gov")
    assert refused.code == 4 and "no such report" in refused.err
    page = run("report", "build", "--country", "GB", "--year", str(YEAR), "--for", "gb-gov",
               "--format", "html")  # fmt: skip
    assert page.code == 0 and "<style>" in page.out and "progress report 2025" in page.out
    # A document of its own: nothing linked, scripted or fetched.
    assert not re.search(r"<(link|script|img)\b|src=", page.out)
    assert run("report", "build", "--alliance", "--year", str(YEAR), "--format", "pdf").code == 2
    pdf = tmp_path / "alliance.pdf"
    assert run("report", "build", "--alliance", "--year", str(YEAR), "--format", "pdf",
               "--out", str(pdf)).code == 0  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF-")
    # publish, fetch the signed file, verify it; a changed copy fails and says what changed
    assert run("report", "publish", "--alliance", "--year", str(YEAR)).code == 0
    signed = tmp_path / "alliance.jsonl"
    assert (
        run("report", "published", "--alliance", "--year", str(YEAR), "--out", str(signed)).code
        == 0
    )
    checked = run("report", "verify", str(signed))
    assert checked.code == 0 and "verified: " in checked.out
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(signed.read_bytes().replace(b'"year":2025', b'"year":2024', 1))
    refused = run("report", "verify", str(changed))
    assert refused.code == 2 and "year: 2025 became 2024" in refused.err


def test_page(client: TestClient, keys: dict[str, str]) -> None:
    log_in(client, "sec-admin")
    page = client.get("/reports/progress", params={"year": YEAR})
    assert page.status_code == 200
    assert "alliance&#39;s progress report 2025" in page.text
    assert 'data-testid="indicator-victims.identified"' in page.text
    assert "fewer than 5" in page.text and "no data" in page.text
    assert 'data-testid="trend-victims.identified"' in page.text  # the years' chart
    nl = client.get("/reports/progress", params={"year": YEAR, "country": "NL"})
    assert nl.status_code == 200 and 'data-testid="narrative-1"' in nl.text
    for bad, message in (("last year", "four digits"), ("2013", "no figures for 2013")):
        refused = client.get("/reports/progress", params={"year": bad})
        assert refused.status_code in (200, 400) and message in refused.text
        assert 'data-testid="form-errors"' in refused.text and bad in refused.text
    client.post("/logout")
    log_in(client, "gb-ed")
    own = client.get("/reports/progress", params={"year": YEAR})
    assert own.status_code == 200 and "GB: progress report 2025" in own.text
    assert ">3</strong>" in own.text  # its own 3 in full
    others = client.get("/reports/progress", params={"year": YEAR, "country": "NL"})
    assert others.status_code == 404 and "No such report" in others.text
    client.post("/logout")
    log_in(client, "nl-inv")
    assert client.get("/reports/progress").status_code == 403


def test_pdf(client: TestClient, keys: dict[str, str]) -> None:
    log_in(client, "gb-ed")
    pdf = client.get("/reports/progress.pdf", params={"year": YEAR, "country": "GB"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert len(pdf.content) > 10_000  # pages drawn, not an empty shell
    # WeasyPrint's import turns Pillow's truncated-image loading on; it is turned back off
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert "progress-GB-2025-draft.pdf" in pdf.headers["content-disposition"]
    assert (
        client.get("/reports/progress.pdf", params={"year": YEAR, "country": "NL"}).status_code
        == 404
    )


def test_publish_verify_and_the_public_page(
    client: TestClient, keys: dict[str, str], sessions: sessionmaker[Session], app: Any
) -> None:
    """The secretariat publishes GB's report: what the public sees (GB's 3 hidden), frozen
    and signed; the file verifies, a changed one fails naming what changed; the public
    page shows it beside what changed since."""
    log_in(client, "gb-ed")
    assert "publish-form" not in client.get("/reports/progress", params={"year": YEAR}).text
    client.post("/logout")
    token = log_in(client, "sec-admin")
    live = client.get("/reports/progress", params={"year": YEAR, "country": "GB"})
    assert "publish-form" in live.text
    published = client.post(
        "/reports/progress/publish", data={"csrf_token": token, "year": YEAR, "country": "GB"}
    )
    assert (
        published.status_code == 303
        and published.headers["location"] == "/reports/published/GB/2025"
    )
    client.post("/logout")
    page = client.get("/reports/published/GB/2025")  # anonymous
    assert page.status_code == 200 and 'data-testid="signed-file"' in page.text
    assert "Nothing: today" in page.text
    data = client.get("/api/v1/reports/published", params={"year": YEAR, "country": "GB"}).content
    assert data == client.get("/reports/published/GB/2025.jsonl").content
    assert client.get("/reports/published/GB/2025.pdf").content.startswith(b"%PDF-")
    document = json.loads(data.split(b"\n", 1)[0])
    gb = _value(document, "victims.identified", "GB")
    assert (gb["value"], gb["suppressed"]) == (None, "fewer than 5")  # the public's view
    assert document["reader_country"] is None and document["published"]["by"]
    signer = app.state.alliance.signer
    with sessions() as session:
        assert publication.verify(data, signer.public_key, session).document["country"] == "GB"
        altered = data.replace(
            b'"title":"GB: progress report 2025"', b'"title":"GB: a better year"'
        )
        with pytest.raises(SignatureInvalid, match="title: 'GB: progress report 2025' became"):
            publication.verify(altered, signer.public_key, session)
        with pytest.raises(SignatureInvalid, match="does not verify"):
            publication.verify(altered, signer.public_key)  # offline: it fails all the same
    # A late identification changes today's figure: the public page says so.
    with sessions.begin() as session:
        series = session.execute(select(Series)).scalars().first()
        assert series is not None
        for _ in range(3):
            session.add(
                Victim(
                    reference=references.new("V"), series_id=series.id,
                    age_group=AgeGroup.pubescent, status=VictimStatus.identified,
                    identified_on=date(2025, 6, 1), identified_country="GB", created_by="test",
                )
            )  # fmt: skip
    changed = client.get("/reports/published/GB/2025").text
    assert "Nothing: today" not in changed and "fewer than 5" in changed and ">6<" in changed
    assert client.get("/reports/published/NL/2025").status_code == 404
    # The public finds it: the list of published reports, and GB's profile; NL has none.
    listing = client.get("/reports/published")
    assert listing.status_code == 200 and 'href="/reports/published/GB/2025"' in listing.text
    assert "The alliance" not in listing.text  # only GB's was published
    profile = client.get("/countries/GB").text
    assert 'href="/reports/published/GB/2025"' in profile
    assert "None published yet." in client.get("/countries/NL").text
    assert client.get("/api/v1/reports/published", params={"year": 2024}).status_code == 404
    log_in(client, "nl-ed")  # a government may build its report, not publish it
    token = csrf_from_page(client, "/dashboard")
    refused = client.post(
        "/reports/progress/publish", data={"csrf_token": token, "year": YEAR, "country": "NL"}
    )
    assert refused.status_code == 403
