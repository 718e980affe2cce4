"""Banks over the API: create, contribute, verify, signed distribution, match, feedback."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Role
from alliance.audit.models import AuditEvent
from alliance.banks import distribution, lookup
from alliance.banks import services as banks
from alliance.banks.models import Bank, MatchEvent
from alliance.banks.schemas import EntryIn
from alliance.banks.signing import load_public_key
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, TargetKind
from alliance.db import make_session_factory
from alliance.db.migrate import upgrade
from alliance.hashing.video import hash_video
from alliance.settings import load_settings
from alliance.web import create_app
from alliance.web.capacity import create_serving_engine
from alliance.web.match_lane import MatchLane
from alliance.web.recent_banks import RecentBanks
from alliance.web.recent_keys import RecentKeys
from alliance.web.recent_watches import RecentWatches
from tests import factories
from tests.factories import flip_bits, pdq_hex
from tests.functional.conftest import World


def _h(world: World, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[role]}"}


def test_bank_lifecycle_over_the_api(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    analyst, reviewer = _h(world, Role.analyst), _h(world, Role.reviewer)
    created = client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "baseline-demo", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == "w-hotline"
    again = client.post(
        "/api/v1/banks", headers=analyst, json={"name": "baseline-demo", "scope": "baseline"}
    )
    assert again.status_code == 409

    bad = client.post(
        "/api/v1/banks/baseline-demo/entries",
        headers=analyst,
        json={
            "entries": [
                {"signal_type": "pdq", "signal": pdq_hex(1)},
                {"signal_type": "pdq", "signal": "nope"},
            ]
        },
    )
    assert bad.status_code == 400 and "entry 2" in bad.json()["error"]["message"]
    added = client.post(
        "/api/v1/banks/baseline-demo/entries",
        headers=analyst,
        json={
            "entries": [
                {
                    "signal_type": "pdq",
                    "signal": pdq_hex(1),
                    "classification": {"baseline": True, "iwf": "A"},
                },
                {"signal_type": "md5", "signal": "d41d8cd98f00b204e9800998ecf8427e"},
            ]
        },
    )
    assert added.status_code == 200 and added.json()["added"] == 2

    # The industry reviewer sees the bank; the LEA (not a subscriber kind) gets 404.
    assert client.get("/api/v1/banks/baseline-demo", headers=reviewer).json()["entries"] == 2
    hidden = client.get("/api/v1/banks/baseline-demo", headers=_h(world, Role.investigator))
    assert hidden.status_code == 404

    key = load_public_key(client.get("/api/v1/keys").json()["keys"][0]["public_key_pem"])
    snap = client.get("/api/v1/banks/baseline-demo/snapshot", headers=reviewer)
    assert snap.headers["content-type"].startswith("application/x-ndjson")
    document = distribution.parse_document(snap.content, key)
    assert len(document.entries) == 2 and document.until == 1
    delta = client.get("/api/v1/banks/baseline-demo/delta?since=1", headers=reviewer)
    assert distribution.parse_document(delta.content, key).entries == []
    assert (
        client.get("/api/v1/banks/baseline-demo/delta?since=-1", headers=reviewer).status_code
        == 422
    )

    matched = client.post(
        "/api/v1/match",
        headers=reviewer,
        json={"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(1), 10)}]},
    ).json()
    match = matched["results"][0]["matches"][0]
    assert match["distance"] == 10 and match["classification"]["iwf"] == "A"
    assert match["votes"] == 0 and match["contributor"] == "w-hotline"

    hma = client.get(f"/m/lookup?signal_type=pdq&signal={pdq_hex(1)}", headers=reviewer)
    assert hma.json() == {
        "baseline-demo": [{"bank_content_id": match["entry_id"], "distance": "0"}]
    }
    assert client.get("/m/lookup?signal_type=pdq&signal=xyz", headers=reviewer).status_code == 400
    assert client.get("/m/lookup?signal_type=nope&signal=ab", headers=reviewer).status_code == 400

    disputed = client.post(
        f"/api/v1/matches/{match['match_id']}/feedback",
        headers=reviewer,
        json={"verdict": "disputed", "note": "a cartoon"},
    )
    assert disputed.status_code == 200 and disputed.json()["disputed"] == 1
    with sessions() as session:
        types = set(session.execute(select(AuditEvent.event_type)).scalars())
        assert {"bank:created", "bank:entries_added", "match:feedback"} <= types
        assert (
            session.execute(
                select(func.count()).where(AuditEvent.event_type == "match:feedback")
            ).scalar_one()
            == 1
        )


def test_api_key_cannot_cast_verification_votes(client: TestClient, world: World) -> None:
    analyst = _h(world, Role.analyst)
    client.post("/api/v1/banks", headers=analyst, json={"name": "votes", "scope": "policy"})
    entry = client.post(
        "/api/v1/banks/votes/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(3)}]},
    ).json()["entries"][0]
    response = client.post(f"/api/v1/banks/votes/entries/{entry['id']}/votes", headers=analyst)
    assert response.status_code == 403
    assert entry["votes"] == 0  # keys are not analysts: no implicit vote either


def test_match_an_uploaded_image(client: TestClient, world: World) -> None:
    import io

    from PIL import Image, ImageDraw

    from alliance.hashing import pdq

    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    for i in range(0, 320, 20):
        draw.rectangle([i, (i * 7) % 200, i + 15, (i * 7) % 200 + 40], fill=(i % 255, 80, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = buffer.getvalue()
    analyst = _h(world, Role.analyst)
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "uploads", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    client.post(
        "/api/v1/banks/uploads/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "pdq", "signal": pdq.hash_file(data).hex}]},
    )
    reviewer = {**_h(world, Role.reviewer), "content-type": "application/octet-stream"}
    response = client.post("/api/v1/match/file", headers=reviewer, content=data)
    assert response.status_code == 200, response.text
    results = {r["signal_type"]: r for r in response.json()["results"]}
    assert set(results) == {"pdq", "md5", "sha1", "sha256"}
    assert results["pdq"]["matches"][0]["bank"] == "uploads"
    not_media = client.post("/api/v1/match/file", headers=reviewer, content=b"plain text")
    assert not_media.status_code == 200
    assert {r["signal_type"] for r in not_media.json()["results"]} == {"md5", "sha1", "sha256"}
    empty = client.post("/api/v1/match/file", headers=reviewer, content=b"")
    assert empty.status_code == 400
    # A mirrored copy in a frame of no particular width: found by its query forms, even
    # though the bank holds the plain hash only.
    framed = Image.new("RGB", (320 + 57 + 9, 240 + 31), (200, 30, 60))
    framed.paste(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (57, 0))
    buffer = io.BytesIO()
    framed.save(buffer, "PNG")
    response = client.post("/api/v1/match/file", headers=reviewer, content=buffer.getvalue())
    [match] = {r["signal_type"]: r for r in response.json()["results"]}["pdq"]["matches"]
    assert (match["variant"], match["query_form"]) == ("original", "unletterbox_flip_horizontal")
    # A client hashing on its own side sends the forms; they are PDQ's only.
    forms = {"rotate90": pdq.hash_file(data).hex}
    sent = client.post(
        "/api/v1/match",
        headers=_h(world, Role.reviewer),
        json={"signals": [{"signal_type": "pdq", "signal": pdq_hex(1), "forms": forms}]},
    )
    [found] = sent.json()["results"][0]["matches"]
    assert found["query_form"] == "rotate90"
    refused = client.post(
        "/api/v1/match",
        headers=_h(world, Role.reviewer),
        json={"signals": [{"signal_type": "md5", "signal": "0" * 32, "forms": forms}]},
    )
    assert refused.status_code == 400
    assert "forms are PDQ hashes" in refused.text
    # A video's forms are whole vPDQ hashes; those sampled more often count by the second.
    banked = "\n".join(f"{i},{pdq_hex(100 + i)},100,{i}.000" for i in range(4))
    client.post(
        "/api/v1/banks/uploads/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "vpdq", "signal": banked}]},
    )
    # Ten frames a second, mirrored: one frame of each second is a banked frame.
    resampled = "\n".join(
        f"{i},{pdq_hex(100 + i // 10) if i % 10 == 3 else pdq_hex(900 + i)},100,{i / 10:.3f}"
        for i in range(40)
    )
    video = client.post(
        "/api/v1/match",
        headers=_h(world, Role.reviewer),
        json={
            "signals": [
                {
                    "signal_type": "vpdq",
                    "signal": f"0,{pdq_hex(7)},100,0.000",
                    "forms": {"flip_horizontal": resampled},
                }
            ]
        },
    )
    [found] = video.json()["results"][0]["matches"]
    assert (found["signal_type"], found["query_form"], found["distance"]) == (
        "vpdq",
        "flip_horizontal",
        0,
    )
    bad_form = client.post(
        "/api/v1/match",
        headers=_h(world, Role.reviewer),
        json={"signals": [{"signal_type": "vpdq", "signal": banked, "forms": {"x": "1,zz"}}]},
    )
    assert bad_form.status_code == 400
    assert "vPDQ" in bad_form.text


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary to make clips")
def test_a_video_uploaded_to_match_is_hashed_by_vpdq_with_its_forms(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    pytest.importorskip("vpdq")
    clip = tmp_path / "clip.mp4"
    generator = "testsrc2=duration=4:size=320x240:rate=25"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", generator,
                    "-pix_fmt", "yuv420p", str(clip)], check=True)  # fmt: skip
    mirrored = tmp_path / "mirrored.webm"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(clip), "-vf", "hflip",
                    "-c:v", "libvpx", "-b:v", "400k", str(mirrored)], check=True)  # fmt: skip
    analyst = _h(world, Role.analyst)
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "clips", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    banked = hash_video(clip).to_text()
    client.post(
        "/api/v1/banks/clips/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "vpdq", "signal": banked}]},
    )
    reviewer = {**_h(world, Role.reviewer), "content-type": "application/octet-stream"}
    response = client.post("/api/v1/match/file", headers=reviewer, content=mirrored.read_bytes())
    assert response.status_code == 200, response.text
    results = {r["signal_type"]: r for r in response.json()["results"]}
    assert set(results) == {"vpdq", "md5", "sha1", "sha256"}
    [match] = results["vpdq"]["matches"]
    assert (match["bank"], match["query_form"]) == ("clips", "flip_horizontal")
    # Bytes that start as a video does but are none: the digests only, no error.
    broken = client.post("/api/v1/match/file", headers=reviewer, content=b"\0\0\0\x18ftypmp42" * 8)
    assert broken.status_code == 200
    assert {r["signal_type"] for r in broken.json()["results"]} == {"md5", "sha1", "sha256"}


def test_upload_is_authorised_before_it_is_read(client: TestClient, world: World) -> None:
    big = b"x" * (2 * 1024 * 1024)
    anonymous = client.post("/api/v1/match/file", content=big)
    assert anonymous.status_code == 401
    viewer = client.post("/api/v1/match/file", content=b"abc", headers=_h(world, Role.viewer))
    assert viewer.status_code == 403


def test_import_and_export_over_the_api(client: TestClient, world: World) -> None:
    analyst = _h(world, Role.analyst)
    client.post("/api/v1/banks", headers=analyst, json={"name": "imports", "scope": "policy"})
    csv_body = (
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{pdq_hex(1)},demo,,baseline iwf:A\n"
        "md5,d41d8cd98f00b204e9800998ecf8427e,demo,,\n"
    ).encode()
    imported = client.post(
        "/api/v1/banks/imports/import?format=csv", headers=analyst, content=csv_body
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == 2
    bad = client.post(
        "/api/v1/banks/imports/import?format=csv",
        headers=analyst,
        content=b"signal_type,signal_str,collab,category,tags\npdq,zz,,,\n",
    )
    assert bad.status_code == 400 and "line 2" in bad.json()["error"]["message"]
    assert client.get("/api/v1/banks/imports", headers=analyst).json()["entries"] == 2
    unknown = client.post(
        "/api/v1/banks/imports/import?format=pickle", headers=analyst, content=b"x"
    )
    assert unknown.status_code == 400
    exported = client.get("/api/v1/banks/imports/export?format=txt", headers=analyst)
    assert exported.status_code == 200
    assert pdq_hex(1) in exported.text and "d41d8cd98f00b204e9800998ecf8427e" in exported.text


def test_a_refused_match_does_not_spoil_the_next(client: TestClient, world: World) -> None:
    """The banks' rows the match routes keep for half a second belong to no request: a
    request that fails (and rolls back) leaves them usable by the next."""
    analyst, reviewer = _h(world, Role.analyst), _h(world, Role.reviewer)
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "kept-rows", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    client.post(
        "/api/v1/banks/kept-rows/entries",
        headers=analyst,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(7)}]},
    )
    for _ in range(2):
        bad = client.post(
            "/api/v1/match",
            headers=reviewer,
            json={"signals": [{"signal_type": "pdq", "signal": "not a hash"}]},
        )
        assert bad.status_code == 400, bad.text
        good = client.post(
            "/api/v1/match",
            headers=reviewer,
            json={"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(7), 3)}]},
        )
        assert good.status_code == 200, good.text
        assert [m["bank"] for m in good.json()["results"][0]["matches"]] == ["kept-rows"]


def _served(url: str, tmp_path: Path, **settings: Any) -> tuple[Engine, FastAPI, dict[str, str]]:
    """The server as it runs, on a migrated database of its own (its own engine, so the
    match event writer's thread runs): a bank ``events`` with pdq_hex(21), and the
    headers of an industry reviewer's API key."""
    served = load_settings(data_dir=tmp_path, secret_key="s" * 32, database_url=url, **settings)
    engine = create_serving_engine(served)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        hotline = factories.organisation(session, OrgKind.hotline, "NL")
        industry = factories.organisation(session, OrgKind.industry, "US")
        analyst = factories.principal(factories.user(session, hotline, Role.analyst))
        factories.bank(session, hotline, name="events")
        banks.add_entries(
            session, analyst, "events", [EntryIn(signal_type="pdq", signal=pdq_hex(21))]
        )
        _, token = factories.api_key(session, industry, Role.reviewer)
    return engine, create_app(served, engine=engine), {"Authorization": f"Bearer {token}"}


def _clocks_stopped(app: FastAPI) -> None:
    """The key and the banks' rows, once read, stay fresh however slow the machine: the
    lane's half-second windows would otherwise lapse between two requests under load."""
    app.state.alliance.recent_keys = RecentKeys(clock=lambda: 0.0)
    app.state.alliance.recent_banks = RecentBanks(clock=lambda: 0.0)
    app.state.alliance.recent_watches = RecentWatches(clock=lambda: 0.0)


def test_match_events_are_written_after_the_answer_and_at_shutdown(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """A match is answered with its id before its event is written; feedback on it at once
    works; stopping the app (its lifespan) writes the rest."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    writer = app.state.alliance.match_events
    writer.interval = 3600  # its thread writes nothing during the test: what does?
    query = {"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(21), 3)}] * 3}

    def written() -> set[int]:
        with make_session_factory(engine)() as session:
            return set(session.execute(select(MatchEvent.id)).scalars())

    with TestClient(app) as client:
        answered = client.post("/api/v1/match", headers=headers, json=query)
        assert answered.status_code == 200, answered.text
        ids = [r["matches"][0]["match_id"] for r in answered.json()["results"]]
        assert len(set(ids)) == 3 and written() == set() and writer.queued == 3
        disputed = client.post(
            f"/api/v1/matches/{ids[1]}/feedback", headers=headers, json={"verdict": "disputed"}
        )
        assert disputed.status_code == 200, disputed.text
        assert written() == set(ids)  # the feedback wrote the queue first
        again = client.post("/api/v1/match", headers=headers, json=query)
        later = [r["matches"][0]["match_id"] for r in again.json()["results"]]
        assert written() == set(ids) and writer.queued == 3
    assert written() == set(ids) | set(later)  # the lifespan's end wrote the rest
    engine.dispose()


def test_a_match_does_not_wait_for_sqlite_s_writer(
    backend: str, fresh_db_url: str, tmp_path: Path
) -> None:
    """The match API begins as a reader: while a long import holds SQLite's one writer,
    matches are still answered (their events wait in the queue), where a writer would
    wait for it and get 503."""
    if backend != "sqlite":
        pytest.skip("SQLite's one writer")
    engine, app, headers = _served(fresh_db_url, tmp_path, database_wait_seconds=1)
    query = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(21)}]}
    holding, done = threading.Event(), threading.Event()

    def long_import() -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE banks SET description = 'importing'"))
            holding.set()
            done.wait(30)

    with TestClient(app) as client:
        assert client.post("/api/v1/match", headers=headers, json=query).status_code == 200
        importer = threading.Thread(target=long_import)
        importer.start()
        try:
            assert holding.wait(10)
            started = time.monotonic()
            for _ in range(3):
                answered = client.post("/api/v1/match", headers=headers, json=query)
                assert answered.status_code == 200, answered.text
                assert answered.json()["results"][0]["matches"]
            assert time.monotonic() - started < 1
            feedback = client.post(
                "/api/v1/matches/1/feedback", headers=headers, json={"verdict": "confirmed"}
            )
            assert feedback.status_code == 503  # a writer: waited its turn, bounded
        finally:
            done.set()
            importer.join()
    with make_session_factory(engine)() as session:
        assert session.execute(select(func.count()).select_from(MatchEvent)).scalar_one() == 4
    engine.dispose()


@pytest.mark.parametrize("warm", [False, True], ids=["route", "lane"])
def test_a_match_that_alerts_is_run_again_as_a_writer(
    fresh_db_url: str, tmp_path: Path, warm: bool
) -> None:
    """A match on a hash an agency watches writes its alert in the request: begun as a
    reader, it runs again as a writer (SQLite); the first run's events are dropped with its
    transaction, so the match is recorded once, with the id the answer gave."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    with make_session_factory(engine).begin() as session:
        police = factories.organisation(session, OrgKind.law_enforcement, "NL")
        cooperation.register(
            session,
            organisation_id=police.id,
            kind=TargetKind.hash,
            value=f"pdq:{pdq_hex(21)}",
            source="hold",
            source_reference="H-1",
        )
    with TestClient(app) as client:
        if warm:  # the key and the banks' rows at hand: run by alliance.web.match_lane
            miss = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(99)}]}
            assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
        answered = client.post(
            "/api/v1/match",
            headers=headers,
            json={"signals": [{"signal_type": "pdq", "signal": pdq_hex(21)}]},
        )
        assert answered.status_code == 200, answered.text
        [match] = answered.json()["results"][0]["matches"]
    with make_session_factory(engine)() as session:
        assert session.execute(select(func.count()).select_from(DeconflictionAlert)).scalar() == 1
        assert list(session.execute(select(MatchEvent.id)).scalars()) == [match["match_id"]]
    engine.dispose()


def _events(engine: Engine) -> list[int]:
    with make_session_factory(engine)() as session:
        return list(session.execute(select(MatchEvent.id)).scalars())


def _counting_route_matches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The match requests that reached the route: calls of alliance.banks.services.match
    other than the lane's own (alliance.web.match_lane runs it too, for hits)."""
    calls: list[int] = []
    match, lane_match = banks.match, MatchLane._match

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return match(*args, **kwargs)

    def by_the_lane(*args: Any, **kwargs: Any) -> Any:
        answer = lane_match(*args, **kwargs)
        calls.pop()
        return answer

    monkeypatch.setattr(banks, "match", counted)
    monkeypatch.setattr(MatchLane, "_match", by_the_lane)
    return calls


def test_a_miss_is_answered_without_the_route_as_the_route_answers_it(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the key and the banks' rows at hand and the index loaded, a request that
    matches nothing is answered by alliance.web.match_lane: the same answer, the same
    headers, no session. Hits, large batches and anything the route refuses go to it."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    _clocks_stopped(app)
    route = _counting_route_matches(monkeypatch)
    far = flip_bits(pdq_hex(21), 100)
    miss = {
        "signals": [
            {"signal_type": "pdq", "signal": far.upper()},  # answered normalised
            {"signal_type": "pdq", "signal": pdq_hex(99), "forms": {"mirror": pdq_hex(98)}},
        ],
        "banks": ["events"],
    }
    with TestClient(app) as client:
        first = client.post("/api/v1/match", headers=headers, json=miss)
        assert first.status_code == 200 and len(route) == 1  # the key was read: the route
        second = client.post("/api/v1/match", headers=headers, json=miss)
        assert second.status_code == 200 and len(route) == 1  # the lane
        assert second.json() == first.json()
        assert second.json()["results"][0] == {
            "signal_type": "pdq", "signal": far, "matches": [], "suppressed_by": []
        }  # fmt: skip
        assert second.headers["content-type"] == first.headers["content-type"]
        assert second.headers["x-content-type-options"] == "nosniff"  # the middlewares' too

        # A hit, and a batch of more hashes than the loop searches: services.match on a
        # worker thread, committed (the hit's event queued), not through the route.
        hit = client.post(
            "/api/v1/match",
            headers=headers,
            json={"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(21), 3)}]},
        )
        assert hit.status_code == 200 and len(route) == 1
        [found] = hit.json()["results"][0]["matches"]
        assert found["match_id"] >= 1 and found["distance"] == 3
        assert app.state.alliance.match_events.queued + len(_events(engine)) == 1
        batch = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(200 + n)} for n in range(40)]}
        assert client.post("/api/v1/match", headers=headers, json=batch).status_code == 200
        assert len(route) == 1

        refused = [
            ({**miss, "banks": ["no-such-bank"]}, 404),
            ({"signals": [{"signal_type": "pdq", "signal": "not a hash"}]}, 400),
            ({"signals": [{"signal_type": "md5", "signal": "0" * 32, "forms": {"a": "b"}}]}, 400),
            ({"signals": []}, 422),
        ]
        for body, status in refused:
            answer = client.post("/api/v1/match", headers=headers, json=body)
            assert answer.status_code == status, (body, answer.text)
        nul = client.post(
            "/api/v1/match",
            headers={**headers, "Content-Type": "application/json"},
            content=b'{"signals": [{"signal_type": "pdq", "signal": "\\u0000"}]}',
        )
        assert nul.status_code == 400 and "NUL" in nul.text
        assert client.post("/api/v1/match", json=miss).status_code == 401
    engine.dispose()


def _statements(engine: Engine) -> list[str]:
    """The SQL statements ``engine`` runs from now on."""
    ran: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: ran.append(a[2]))
    return ran


def _watch(session: Session, pdq: str, hold: str) -> None:
    """A police force watches ``pdq`` for its hold ``hold``."""
    police = factories.organisation(session, OrgKind.law_enforcement, "NL")
    cooperation.register(
        session,
        organisation_id=police.id,
        kind=TargetKind.hash,
        value=f"pdq:{pdq}",
        source="hold",
        source_reference=hold,
    )


def _without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "results": [
            {**r, "matches": [{**m, "match_id": 0} for m in r["matches"]]}
            for r in answer["results"]
        ]
    }


def test_a_first_hit_on_an_entry_of_the_base_is_answered_from_its_card_file(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bank's index is built with its entries' cards (alliance.banks.indexes): a hit
    on an entry that no request has met is answered by the lane with no statement run,
    saying of the entry what the database says; a vote on it is in the next answer."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    _clocks_stopped(app)
    route = _counting_route_matches(monkeypatch)
    sessions = app.state.alliance.sessions
    with sessions.begin() as session:
        owner = session.execute(select(Bank).where(Bank.name == "events")).scalar_one().owner
        analyst = factories.principal(factories.user(session, owner, Role.analyst))
        [expected] = banks.add_entries(
            session,
            analyst,
            "events",
            [
                EntryIn(
                    signal_type="pdq",
                    signal=pdq_hex(22),
                    classification={"iwf": "B", "vics": 2},
                    note="seen on 198.51.100.7 — twice",
                )
            ],
        ).entries
    app.state.alliance.match_events.interval = 3600  # nothing written while counting
    other = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(21)}]}
    near = {"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(22), 4)}]}
    with TestClient(app) as client:
        # The key and the banks' rows read, the index built, a block of event ids taken.
        assert client.post("/api/v1/match", headers=headers, json=other).status_code == 200
        assert len(route) == 1
        ran = _statements(engine)
        hit = client.post("/api/v1/match", headers=headers, json=near)
        assert hit.status_code == 200 and len(route) == 1
        assert ran == [], ran
        [match] = hit.json()["results"][0]["matches"]
        assert match["entry_id"] == expected.id and match["distance"] == 4
        assert match["matched_signal"] == expected.signal
        assert match["classification"] == expected.classification.model_dump()
        assert (match["note"], match["contributor"]) == (expected.note, expected.contributor)
        assert (match["votes"], match["disputed"]) == (expected.votes, expected.disputed)
        added_at = datetime.fromisoformat(match["added_at"].replace("Z", "+00:00"))
        assert added_at == expected.added_at  # to the microsecond

        with sessions.begin() as session:
            voter = factories.principal(factories.user(session, owner, Role.analyst))
            banks.vote(session, voter, "events", expected.id)
        voted = client.post("/api/v1/match", headers=headers, json=near)
        assert voted.json()["results"][0]["matches"][0]["votes"] == expected.votes + 1
    engine.dispose()


def test_a_hit_on_an_entry_met_lately_is_answered_from_memory(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a hit has read its entry, the same hit is answered by the lane with no
    statement run: the same answer but a new match id, its event queued and then
    written. A vote on the entry (its bank's sequence moves on) is in the next answer; a
    hash an agency starts watching goes to a worker thread, which alerts."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    _clocks_stopped(app)
    route = _counting_route_matches(monkeypatch)
    threads: list[int] = []
    lane_match = MatchLane._match

    def on_a_thread(*args: Any, **kwargs: Any) -> Any:
        threads.append(1)
        return lane_match(*args, **kwargs)

    monkeypatch.setattr(MatchLane, "_match", on_a_thread)
    sessions = app.state.alliance.sessions
    writer = app.state.alliance.match_events
    writer.interval = 3600  # its thread writes nothing while the statements are counted
    near = {"signals": [{"signal_type": "pdq", "signal": flip_bits(pdq_hex(21), 3)}]}
    with TestClient(app) as client:
        warm = client.post("/api/v1/match", headers=headers, json=near)
        assert warm.status_code == 200 and len(route) == 1  # the key, rows, entry read
        ran = _statements(engine)
        answers = [client.post("/api/v1/match", headers=headers, json=near) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        assert threads == [] and len(route) == 1 and ran == []  # from memory
        for answer in answers:
            assert _without_ids(answer.json()) == _without_ids(warm.json())
        ids = [a.json()["results"][0]["matches"][0]["match_id"] for a in (warm, *answers)]
        assert len(set(ids)) == 3
        votes = warm.json()["results"][0]["matches"][0]["votes"]
        disputed = client.post(
            f"/api/v1/matches/{ids[-1]}/feedback", headers=headers, json={"verdict": "disputed"}
        )
        assert disputed.status_code == 200, disputed.text  # its queued event written first
        writer.flush()
        assert sorted(_events(engine)) == sorted(ids)

        # A vote through this process: the bank's rows are read again, and with them its
        # new sequence number; the entry's card is no longer used.
        with sessions.begin() as session:
            owner = session.execute(select(Bank).where(Bank.name == "events")).scalar_one().owner
            voter = factories.principal(factories.user(session, owner, Role.analyst))
            entry_id = warm.json()["results"][0]["matches"][0]["entry_id"]
            banks.vote(session, voter, "events", entry_id)
        voted = client.post("/api/v1/match", headers=headers, json=near)
        assert voted.json()["results"][0]["matches"][0]["votes"] == votes + 1
        assert len(route) == 2
        again = client.post("/api/v1/match", headers=headers, json=near)
        assert again.json()["results"][0]["matches"][0]["votes"] == votes + 1
        assert len(route) == 2 and threads == []  # from memory again, at the new sequence

        # An agency starts watching the hash met: the next hit is not answered from
        # memory but by services.match, which alerts it (on SQLite, run again as a writer).
        with sessions.begin() as session:
            _watch(session, pdq_hex(21), "H-7")
        alerted = client.post("/api/v1/match", headers=headers, json=near)
        assert alerted.status_code == 200 and len(threads) + len(route) > 2
    with make_session_factory(engine)() as session:
        assert session.execute(select(func.count()).select_from(DeconflictionAlert)).scalar() == 1
    engine.dispose()


def test_a_hit_on_an_entry_not_met_lately_is_searched_once(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hit whose entry's card is not at hand is searched on the loop and handed to a
    worker thread, which reads the entry it met without searching the index again."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    _clocks_stopped(app)
    searches: list[int] = []
    closest_in = lookup.closest_in

    def counted(*args: Any, **kwargs: Any) -> Any:
        searches.append(1)
        return closest_in(*args, **kwargs)

    monkeypatch.setattr(lookup, "closest_in", counted)
    miss = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(99)}]}
    hit = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(21)}]}
    with TestClient(app) as client:
        assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
        searches.clear()
        found = client.post("/api/v1/match", headers=headers, json=hit)
        assert found.status_code == 200 and found.json()["results"][0]["matches"]
        assert searches == [1]
        assert len(app.state.alliance.entry_cards) == 1  # kept for the next hit
    engine.dispose()


def test_a_hash_watched_through_another_process_is_seen_when_its_sequence_moves(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """A target registered through another process (another session factory) is seen by
    the lane once its half second lapses: the watched hashes' sequence has moved, they
    are read again and the hit alerts; ending it lets hits be answered from memory
    again."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    now = [0.0]
    app.state.alliance.recent_keys = RecentKeys(clock=lambda: 0.0)
    app.state.alliance.recent_banks = RecentBanks(clock=lambda: 0.0)
    app.state.alliance.recent_watches = RecentWatches(clock=lambda: now[0])
    other = make_session_factory(engine)
    hit = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(21)}]}

    def alerts() -> int:
        with other() as session:
            count = session.execute(select(func.count()).select_from(DeconflictionAlert))
            return int(count.scalar_one())

    with TestClient(app) as client:
        for _ in range(3):  # the key, the rows and the entry's card read and kept
            assert client.post("/api/v1/match", headers=headers, json=hit).status_code == 200
        with other.begin() as session:
            _watch(session, pdq_hex(21), "H-8")
        client.post("/api/v1/match", headers=headers, json=hit)
        assert alerts() == 0  # within the half second: not seen yet (docs/scale.md)
        now[0] = 1.0
        client.post("/api/v1/match", headers=headers, json=hit)  # read again, alerted
        client.post("/api/v1/match", headers=headers, json=hit)
        assert alerts() == 2
        with other.begin() as session:
            assert cooperation.end(session, "hold", "H-8") == 1
        now[0] = 2.0
        ran = _statements(engine)
        client.post("/api/v1/match", headers=headers, json=hit)  # reads the hashes again
        assert ran
        ran.clear()
        assert client.post("/api/v1/match", headers=headers, json=hit).status_code == 200
        assert ran == [] and alerts() == 2
    engine.dispose()


def test_the_lane_reads_a_key_again_before_its_second_lapses(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """A key revoked through another process is refused within its second: the lane has
    it read again in the background from half that second on, and each request meanwhile
    is answered from memory without waiting on that read (nor taking the route)."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    now = [0.0]
    keys = app.state.alliance.recent_keys = RecentKeys(clock=lambda: now[0])
    app.state.alliance.recent_banks = RecentBanks(clock=lambda: 0.0)
    app.state.alliance.recent_watches = RecentWatches(clock=lambda: 0.0)
    token = headers["Authorization"].split()[1]
    miss = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(78)}]}
    with TestClient(app) as client:
        for _ in range(2):  # the key and the banks' rows read, then kept
            assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
        with make_session_factory(engine).begin() as session:
            accounts.revoke_api_key(session, factories.OPERATOR, token[:12])
        now[0] = 0.3
        assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
        assert keys.get(token) is not None  # not yet due a read
        now[0] = 0.6
        assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
        for _ in range(1000):  # the read it started, on a worker thread
            if keys.get(token) is None:
                break
            time.sleep(0.01)
        assert keys.get(token) is None
        refused = client.post("/api/v1/match", headers=headers, json=miss)
        assert refused.status_code == 401 and "revoked" in refused.text
    engine.dispose()


def test_the_lane_reads_nothing_ahead_on_a_connection_it_cannot_lend(
    app: FastAPI, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions bound to one connection (the tests' rolled-back transaction) cannot be used
    by a worker thread while a request uses them: the lane then starts no read ahead, and
    the route reads the key and the banks' rows again once they lapse."""
    now = [0.0]
    keys = app.state.alliance.recent_keys = RecentKeys(clock=lambda: now[0])
    app.state.alliance.recent_banks = RecentBanks(clock=lambda: now[0])
    app.state.alliance.recent_watches = RecentWatches(clock=lambda: now[0])
    with sessions.begin() as session:
        industry = factories.organisation(session, OrgKind.industry, "US")
        _, token = factories.api_key(session, industry, Role.reviewer)
    headers = {"Authorization": f"Bearer {token}"}
    ahead: list[object] = []
    monkeypatch.setattr(MatchLane, "_read", lambda self, reads: ahead.append(reads))
    route = _counting_route_matches(monkeypatch)
    miss = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(78)}]}
    routed = []
    with TestClient(app) as client:
        for at in (0.0, 0.0, 0.0, 0.3, 1.2):  # read, kept, then due a read, then lapsed
            now[0] = at
            assert client.post("/api/v1/match", headers=headers, json=miss).status_code == 200
            routed.append(len(route))
    assert ahead == [] and keys.get(token) is not None
    assert routed[2] == routed[3] < routed[4]  # from memory when due; the route once lapsed


def test_what_changes_reaches_the_lane_at_once(fresh_db_url: str, tmp_path: Path) -> None:
    """A new entry is matched, and a revoked key refused, by the next request after the
    change made in this process (its flush forgets the rows and keys kept), though the
    lane had answered the same request before."""
    engine, app, headers = _served(fresh_db_url, tmp_path)
    _clocks_stopped(app)  # what reaches the lane at once is the flush, not a lapse
    sessions = app.state.alliance.sessions  # the server's own: what its routes use
    new = {"signals": [{"signal_type": "pdq", "signal": pdq_hex(77)}]}
    with TestClient(app) as client:
        for _ in range(2):
            answer = client.post("/api/v1/match", headers=headers, json=new)
            assert answer.json()["results"][0]["matches"] == []
        with sessions.begin() as session:
            hotline = factories.organisation(session, OrgKind.hotline, "BE")
            analyst = factories.principal(factories.user(session, hotline, Role.analyst))
            factories.bank(session, hotline, name="newer")
            banks.add_entries(
                session, analyst, "newer", [EntryIn(signal_type="pdq", signal=pdq_hex(77))]
            )
        [found] = client.post("/api/v1/match", headers=headers, json=new).json()["results"]
        assert [m["bank"] for m in found["matches"]] == ["newer"]

        prefix = headers["Authorization"].split()[1][:12]  # alk_ and 8 hex digits
        with sessions.begin() as session:
            accounts.revoke_api_key(session, factories.OPERATOR, prefix)
        assert client.post("/api/v1/match", headers=headers, json=new).status_code == 401
    engine.dispose()
