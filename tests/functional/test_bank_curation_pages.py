"""Bank curation in the browser (issue 15, part 5): browse, search, sort, page and download
a bank's entries; add, remove and verify entries; match by file; confirm or dispute a match;
the change history a page at a time. Every action as the API's services decide it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks.models import MatchEvent
from alliance.settings import load_settings
from alliance.web import create_app
from tests import factories
from tests.factories import pdq_hex
from tests.functional.conftest import SECRET, World, log_in

MD5_EMPTY = "d41d8cd98f00b204e9800998ecf8427e"


def _key(world: World, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[role]}"}


def _bank(client: TestClient, world: World, name: str, entries: int = 0) -> list[dict]:
    """A bank of the hotline (the analyst's organisation) that industry and law enforcement
    may subscribe to, with ``entries`` PDQ entries added by an API key (no votes yet)."""
    analyst = _key(world, Role.analyst)
    created = client.post(
        "/api/v1/banks",
        headers=analyst,
        json={
            "name": name,
            "scope": "baseline",
            "subscriber_kinds": ["industry", "law_enforcement"],
        },
    )
    assert created.status_code == 201, created.text
    if not entries:
        return []
    added = client.post(
        f"/api/v1/banks/{name}/entries",
        headers=analyst,
        json={
            "entries": [{"signal_type": "pdq", "signal": pdq_hex(i)} for i in range(entries)]
            + [{"signal_type": "md5", "signal": MD5_EMPTY, "classification": {"iwf": "B"}}]
        },
    )
    assert added.status_code == 200, added.text
    return list(added.json()["entries"])


def _rows(html: str, testid: str = "entry-row") -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-entry="(\d+)"', html) or re.findall(
        rf'data-testid="{testid}"', html
    )


def _image() -> bytes:
    """A benign generated picture (coloured blocks) as PNG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    for i in range(0, 320, 20):
        draw.rectangle([i, (i * 7) % 200, i + 15, (i * 7) % 200 + 40], fill=(i % 255, 80, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_browse_search_sort_page_and_csv(client: TestClient, world: World) -> None:
    entries = _bank(client, world, "browse", entries=55)
    log_in(client, world.usernames[Role.reviewer])

    first = client.get("/banks/browse")
    assert first.status_code == 200
    assert len(_rows(first.text)) == 50
    assert "50 entries on this page of 56" in first.text
    assert (
        'rel="next"' in first.text and 'href="/banks/browse?sort=-added&amp;page=2"' in first.text
    )
    second = client.get("/banks/browse?sort=-added&page=2")
    assert len(_rows(second.text)) == 6
    assert not set(_rows(first.text)) & set(_rows(second.text))

    # Search by the start of a hash, and by the whole hash: the full hash and a Copy button.
    wanted = next(e for e in entries if e["signal_type"] == "pdq")
    for query in (wanted["signal"][:10], wanted["signal"].upper()):
        found = client.get("/banks/browse", params={"q": query})
        assert _rows(found.text) == [str(wanted["id"])]
        assert f'<code class="hash" id="hash-{wanted["id"]}"' in found.text
        assert f">{wanted['signal']}</code>" in found.text
        assert f'data-copy="hash-{wanted["id"]}"' in found.text
        assert 'Awaiting verification <span class="muted">(0 of 3 votes)</span>' in found.text

    md5 = client.get("/banks/browse", params={"type": "md5"})
    assert len(_rows(md5.text)) == 1 and MD5_EMPTY in md5.text and "IWF B" in md5.text
    assert len(_rows(client.get("/banks/browse?status=awaiting").text)) == 50
    verified = client.get("/banks/browse?status=verified")
    assert _rows(verified.text) == [] and "No entries match this search." in verified.text

    by_id = client.get("/banks/browse?sort=id")
    ids = [int(i) for i in _rows(by_id.text)]
    assert ids == sorted(ids) and 'aria-sort="ascending"' in by_id.text
    by_id_desc = [int(i) for i in _rows(client.get("/banks/browse?sort=-id").text)]
    assert by_id_desc == sorted(by_id_desc, reverse=True) and by_id_desc[0] == max(
        e["id"] for e in entries
    )

    # The CSV holds every row of the same search (not just the page), with full hashes.
    download = client.get("/banks/browse?type=pdq&sort=id&format=csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0][:4] == ["id", "signal_type", "signal", "status"]
    assert len(table) == 1 + 55
    assert {row[2] for row in table[1:]} == {pdq_hex(i) for i in range(55)}
    assert table[1][3] == "awaiting verification"

    # A bad filter is said beside its field, not as a code.
    bad = client.get("/banks/browse?status=nonsense&q=abc")
    assert bad.status_code == 400
    assert 'data-testid="field-error">choose one of the statuses offered<' in bad.text
    assert 'value="abc"' in bad.text
    assert client.get("/banks/browse?sort=nonsense").status_code == 400


def test_add_entries_inline_errors_and_notice(client: TestClient, world: World) -> None:
    _bank(client, world, "adding")
    csrf = log_in(client, world.usernames[Role.analyst])
    page = client.get("/banks/adding").text
    assert 'data-testid="add-entries"' in page

    typed = f"{pdq_hex(1)}\n\nnot-a-hash"
    bad = client.post(
        "/banks/adding/entries",
        data={"signal_type": "pdq", "hashes": typed, "note": "case 7", "csrf_token": csrf},
    )
    assert bad.status_code == 400
    assert 'data-testid="form-errors"' in bad.text
    error = re.search(r'data-testid="field-error">([^<]*)<', bad.text)
    assert error and error.group(1).startswith("line 3: ")  # the real line, blank ones counted
    assert "not-a-hash</textarea>" in bad.text and 'value="case 7"' in bad.text

    unknown = client.post(
        "/banks/adding/entries",
        data={"signal_type": "pdq", "hashes": "whirlpool:abcd", "csrf_token": csrf},
    )
    assert unknown.status_code == 400 and "line 1: unknown signal type" in unknown.text

    category = client.post(
        "/banks/adding/entries",
        data={"signal_type": "pdq", "hashes": pdq_hex(1), "iwf": "Z", "csrf_token": csrf},
    )
    assert category.status_code == 400
    assert 'data-testid="field-error">choose one of the options offered<' in category.text
    assert 'aria-invalid="true" aria-describedby="f-iwf-error"' in category.text

    long_note = client.post(
        "/banks/adding/entries",
        data={"signal_type": "pdq", "hashes": pdq_hex(1), "note": "n" * 1001, "csrf_token": csrf},
    )
    assert long_note.status_code == 400
    assert 'aria-describedby="f-note-error"' in long_note.text
    assert 'data-testid="field-error">give at most 1000 characters<' in long_note.text

    empty = client.post("/banks/adding/entries", data={"hashes": "  \n", "csrf_token": csrf})
    assert empty.status_code == 400 and "paste at least one hash" in empty.text

    # Nothing of the refused forms was written.
    analyst = _key(world, Role.analyst)
    assert client.get("/api/v1/banks/adding/entries", headers=analyst).json() == []

    good = client.post(
        "/banks/adding/entries",
        data={
            "signal_type": "pdq",
            "hashes": f"{pdq_hex(1).upper()}\nmd5:{MD5_EMPTY}",
            "iwf": "A",
            "baseline": "yes",
            "note": "case 7",
            "csrf_token": csrf,
        },
    )
    assert good.status_code == 303 and good.headers["location"] == "/banks/adding"
    shown = client.get("/banks/adding").text
    assert 'data-testid="notice">Bank adding: 2 entries added.<' in shown
    listed = client.get("/api/v1/banks/adding/entries", headers=analyst).json()
    assert {(e["signal_type"], e["signal"]) for e in listed} == {
        ("pdq", pdq_hex(1)),
        ("md5", MD5_EMPTY),
    }
    assert all(
        e["classification"]["iwf"] == "A" and e["classification"]["baseline"] for e in listed
    )
    assert all(e["note"] == "case 7" and e["votes"] == 1 for e in listed)  # the adder's vote

    again = client.post(
        "/banks/adding/entries",
        data={
            "signal_type": "md5",
            "hashes": MD5_EMPTY,
            "iwf": "A",
            "baseline": "yes",
            "note": "case 7",
            "csrf_token": csrf,
        },
    )
    assert again.status_code == 303
    assert "1 already in the bank unchanged" in client.get("/banks/adding").text


def test_add_files_hashes_in_memory_with_variants(client: TestClient, world: World) -> None:
    from PIL import Image

    from alliance.hashing import pdq

    _bank(client, world, "held")
    csrf = log_in(client, world.usernames[Role.analyst])
    page = client.get("/banks/held").text
    assert 'data-testid="add-files"' in page and 'enctype="multipart/form-data"' in page
    assert 'id="f-files-note"' in page and 'id="f-note"' in page  # two forms, unique ids

    picture, text = _image(), b"a plain text file"
    added = client.post(
        "/banks/held/entries/files",
        data={"csrf_token": csrf, "pdq": "yes", "md5": "yes", "iwf": "B", "note": "case 7"},
        files=[("files", ("photo.png", picture, "image/png")), ("files", ("notes.txt", text))],
    )
    assert added.status_code == 303, added.text
    shown = client.get("/banks/held").text
    assert "Bank held: 3 entries added from 2 files." in shown
    entries = client.get("/api/v1/banks/held/entries", headers=_key(world, Role.analyst)).json()
    by_type = {e["signal_type"]: e for e in entries if e["signal_type"] == "pdq"}
    md5s = sorted(e["signal"] for e in entries if e["signal_type"] == "md5")
    assert by_type["pdq"]["signal"] == pdq.hash_file(picture).hex
    assert {"flip_horizontal", "rotate90"} <= set(by_type["pdq"]["variants"])
    assert by_type["pdq"]["classification"]["iwf"] == "B" and by_type["pdq"]["note"] == "case 7"
    assert md5s == sorted(
        hashlib.md5(d, usedforsecurity=False).hexdigest() for d in (picture, text)
    )

    # A mirrored copy of the picture matches through the variants.
    mirrored = io.BytesIO()
    Image.open(io.BytesIO(picture)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored, "PNG")
    found = client.post(
        "/match/file", data={"csrf_token": csrf}, files={"file": ("m.png", mirrored.getvalue())}
    )
    results = found.text.split('data-testid="match-results"')[1]
    assert found.status_code == 200 and "(Flip horizontal)</span></td><td>0</td>" in results

    # Refused beside the field, nothing added: no file, an empty one, text for PDQ alone,
    # a flat picture, nothing ticked.
    def refused(files: list, **fields: str) -> str:
        answer = client.post(
            "/banks/held/entries/files", data={"csrf_token": csrf, **fields}, files=files
        )
        assert answer.status_code == 400, answer.text
        assert 'data-testid="form-errors"' in answer.text
        return answer.text

    assert "choose a file to add" in refused([("files", ("", b""))], pdq="yes")
    assert "empty.png: the file is empty" in refused([("files", ("empty.png", b""))], pdq="yes")
    assert "notes.txt: not a picture PDQ can hash" in refused(
        [("files", ("notes.txt", text))], pdq="yes"
    )
    flat = io.BytesIO()
    Image.new("RGB", (200, 200), "grey").save(flat, "PNG")
    assert "flat.png: too little detail for a reliable PDQ" in refused(
        [("files", ("flat.png", flat.getvalue()))], pdq="yes", md5="yes"
    )
    page = refused([("files", ("photo.png", picture))], note="kept")
    assert "tick PDQ or at least one digest to add" in page and 'value="kept"' in page
    after = client.get("/api/v1/banks/held/entries", headers=_key(world, Role.analyst)).json()
    assert len(after) == len(entries)

    # A viewer may not add; the form is not shown and the route refuses before hashing.
    client.cookies.clear()
    csrf = log_in(client, world.usernames[Role.viewer])
    assert 'data-testid="add-files"' not in client.get("/banks/held").text
    denied = client.post(
        "/banks/held/entries/files",
        data={"csrf_token": csrf, "pdq": "yes"},
        files={"files": ("photo.png", picture)},
    )
    assert denied.status_code == 403


def test_viewer_and_reviewer_cannot_change_a_bank(client: TestClient, world: World) -> None:
    entries = _bank(client, world, "guarded", entries=1)
    csrf = log_in(client, world.usernames[Role.viewer])
    answer = client.get("/banks/guarded")
    assert answer.status_code == 200
    assert 'data-testid="add-entries"' not in answer.text
    assert 'data-testid="remove"' not in answer.text and 'data-testid="vote"' not in answer.text
    refused = client.post(
        "/banks/guarded/entries",
        data={"signal_type": "pdq", "hashes": pdq_hex(5), "csrf_token": csrf},
    )
    assert refused.status_code == 403
    entry = entries[0]["id"]
    assert (
        client.post(f"/banks/guarded/entries/{entry}/remove", data={"csrf_token": csrf}).status_code
        == 403
    )
    assert (
        client.post(f"/banks/guarded/entries/{entry}/vote", data={"csrf_token": csrf}).status_code
        == 403
    )
    assert client.post("/match", data={"hashes": pdq_hex(1), "csrf_token": csrf}).status_code == 403

    client.cookies.clear()
    csrf = log_in(client, world.usernames[Role.reviewer])
    page = client.get("/banks/guarded").text
    assert 'data-testid="add-entries"' not in page and 'data-testid="vote"' not in page
    assert (
        client.post(f"/banks/guarded/entries/{entry}/vote", data={"csrf_token": csrf}).status_code
        == 403
    )
    entries_now = client.get("/api/v1/banks/guarded/entries", headers=_key(world, Role.analyst))
    assert len(entries_now.json()) == 2


def test_remove_an_entry(client: TestClient, world: World, sessions: sessionmaker[Session]) -> None:
    entries = _bank(client, world, "removing", entries=2)
    target = entries[0]
    # An investigator of another organisation may contribute, but not remove the hotline's.
    csrf = log_in(client, world.usernames[Role.investigator])
    page = client.get("/banks/removing").text
    assert 'data-testid="remove"' not in page
    refused = client.post(
        f"/banks/removing/entries/{target['id']}/remove", data={"csrf_token": csrf}
    )
    assert refused.status_code == 403
    assert "contributed by another organisation" in refused.text
    assert 'data-testid="form-errors"' in refused.text

    client.cookies.clear()
    csrf = log_in(client, world.usernames[Role.analyst])
    page = client.get("/banks/removing?sort=id").text
    form = re.search(
        rf'action="/banks/removing/entries/{target["id"]}/remove"[^>]*\s+data-confirm="([^"]+)"',
        page,
    )
    assert form and form.group(1).startswith(f"Remove entry {target['id']} from removing?")
    done = client.post(
        f"/banks/removing/entries/{target['id']}/remove",
        data={"csrf_token": csrf, "back": "/banks/removing?sort=id"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/banks/removing?sort=id"
    shown = client.get(done.headers["location"]).text
    assert f"Entry {target['id']} removed from removing" in shown
    assert str(target["id"]) not in _rows(shown)
    removed = client.get("/banks/removing?status=removed").text
    assert _rows(removed) == [str(target["id"])] and "Removed " in removed
    # A return address elsewhere is not followed.
    other = client.post(
        f"/banks/removing/entries/{entries[1]['id']}/remove",
        data={"csrf_token": csrf, "back": "https://example.test/"},
    )
    assert other.headers["location"] == "/banks/removing"


def test_verify_an_entry_awaiting_verification(client: TestClient, world: World) -> None:
    entries = _bank(client, world, "voting", entries=1)
    entry = entries[0]["id"]
    csrf = log_in(client, world.usernames[Role.analyst])
    page = client.get("/banks/voting").text
    assert f'action="/banks/voting/entries/{entry}/vote"' in page
    done = client.post(f"/banks/voting/entries/{entry}/vote", data={"csrf_token": csrf})
    assert done.status_code == 303
    shown = client.get("/banks/voting").text
    assert f"Your verification of entry {entry} counts: 1 of 3 analysts have verified it." in shown
    assert (
        "Verified by you" in shown and f'action="/banks/voting/entries/{entry}/vote"' not in shown
    )
    again = client.post(f"/banks/voting/entries/{entry}/vote", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'data-testid="form-errors"' in again.text and "already verified this entry" in again.text
    assert (
        client.post("/banks/voting/entries/999999/vote", data={"csrf_token": csrf}).status_code
        == 404
    )


def test_match_a_file_then_confirm_and_dispute(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    from alliance.hashing import pdq

    data = _image()
    _bank(client, world, "uploads")
    client.post(
        "/api/v1/banks/uploads/entries",
        headers=_key(world, Role.analyst),
        json={"entries": [{"signal_type": "pdq", "signal": pdq.hash_file(data).hex}]},
    )
    csrf = log_in(client, world.usernames[Role.reviewer])
    form = client.get("/match").text
    assert 'enctype="multipart/form-data"' in form and "at most 50 MB" in form

    found = client.post(
        "/match/file",
        data={"csrf_token": csrf},
        files={"file": ("photo.png", data, "image/png")},
    )
    assert found.status_code == 200, found.text
    table = found.text.split('data-testid="match-results"')[1]
    assert "Results for photo.png" in found.text
    for name in ("PDQ", "MD5", "SHA-1", "SHA-256"):
        assert f"<td>{name} <code" in table
    assert 'href="/banks/uploads?q=' in table and "<td>0</td>" in table  # bank and distance
    match_id = re.search(r'hx-post="/matches/(\d+)/feedback"', table)
    assert match_id

    # Confirm from the page (htmx swaps the cell), again is refused, then dispute without htmx.
    url = f"/matches/{match_id.group(1)}/feedback"
    confirmed = client.post(
        url, data={"verdict": "confirmed", "csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert confirmed.status_code == 200
    assert (
        "confirmed: entry" in confirmed.text and "1 confirmation and 0 disputes" in confirmed.text
    )
    twice = client.post(
        url, data={"verdict": "confirmed", "csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert twice.status_code == 409 and 'role="alert"' in twice.text
    assert "already confirmed" in twice.text and "<html" not in twice.text
    nonsense = client.post(url, data={"verdict": "maybe", "csrf_token": csrf})
    assert nonsense.status_code == 400 and "choose one of the options offered" in nonsense.text
    disputed = client.post(
        url, data={"verdict": "disputed", "note": "a landscape", "csrf_token": csrf}
    )
    assert disputed.status_code == 303
    assert disputed.headers["location"].startswith("/banks/uploads?q=")
    bank_page = client.get(disputed.headers["location"]).text
    assert "0 confirmations and 1 dispute." in bank_page
    entry = client.get("/api/v1/banks/uploads/entries", headers=_key(world, Role.analyst)).json()
    assert (entry[0]["confirmed"], entry[0]["disputed"]) == (0, 1)
    with sessions() as session:
        event = session.get_one(MatchEvent, int(match_id.group(1)))
        assert (event.verdict, event.verdict_note) == ("disputed", "a landscape")

    # Any file: the cryptographic hashes; an empty one is said beside the field.
    text = client.post(
        "/match/file", data={"csrf_token": csrf}, files={"file": ("notes.txt", b"plain text")}
    )
    assert text.status_code == 200 and "<td>PDQ <code" not in text.text
    empty = client.post(
        "/match/file", data={"csrf_token": csrf}, files={"file": ("empty.png", b"")}
    )
    assert empty.status_code == 400
    assert 'data-testid="field-error">empty.png: the file is empty<' in empty.text
    none = client.post("/match/file", data={"csrf_token": csrf}, files={"file": ("", b"")})
    assert none.status_code == 400
    assert 'data-testid="field-error">choose a file to match<' in none.text
    assert (
        client.post(
            "/match/file", data={"csrf_token": "forged"}, files={"file": ("photo.png", data)}
        ).status_code
        == 403
    )
    not_a_form = client.post(
        "/match/file", content=data, headers={"content-type": "image/png", "X-CSRF-Token": csrf}
    )
    assert not_a_form.status_code == 400


def test_match_upload_limit_and_guard(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, world: World
) -> None:
    settings = load_settings(
        data_dir=tmp_path, secret_key=SECRET, max_body_bytes=64 * 1024, max_upload_bytes=4096
    )
    app = create_app(settings, engine=engine, sessions=sessions)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        anonymous = client.post("/match/file", files={"file": ("a.bin", b"x" * 100)})
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        csrf = log_in(client, world.usernames[Role.reviewer])
        big = client.post(
            "/match/file", data={"csrf_token": csrf}, files={"file": ("big.bin", b"x" * 8192)}
        )
        assert big.status_code == 413
        assert "larger than the limit of 4 KB" in big.text and "<html" in big.text
        small = client.post(
            "/match/file", data={"csrf_token": csrf}, files={"file": ("small.bin", b"x" * 100)}
        )
        assert small.status_code == 200


def test_match_by_hash_errors_inline(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.reviewer])
    bad = client.post("/match", data={"signal_type": "pdq", "hashes": "xyz", "csrf_token": csrf})
    assert bad.status_code == 400
    assert 'data-testid="field-error">' in bad.text and "xyz</textarea>" in bad.text
    empty = client.post("/match", data={"signal_type": "pdq", "hashes": "", "csrf_token": csrf})
    assert empty.status_code == 400 and "paste at least one hash" in empty.text


def test_download_a_bank_in_its_formats(client: TestClient, world: World) -> None:
    _bank(client, world, "exports", entries=3)
    log_in(client, world.usernames[Role.reviewer])
    page = client.get("/banks/exports").text
    for fmt in ("csv", "txt", "vics", "snapshot"):
        assert f'href="/banks/exports/download?format={fmt}"' in page
    as_csv = client.get("/banks/exports/download?format=csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="exports.csv"' in as_csv.headers["content-disposition"]
    assert pdq_hex(0) in as_csv.text and MD5_EMPTY in as_csv.text
    as_txt = client.get("/banks/exports/download?format=txt")
    assert f"pdq {pdq_hex(2)}" in as_txt.text
    as_vics = client.get("/banks/exports/download?format=vics")
    assert as_vics.status_code == 200 and json.loads(as_vics.content)
    snapshot = client.get("/banks/exports/download?format=snapshot")
    assert snapshot.status_code == 200 and snapshot.headers["x-alliance-key-id"]
    lines = [json.loads(line) for line in snapshot.text.splitlines() if line]
    assert len(lines) >= 4
    unknown = client.get("/banks/exports/download?format=pickle")
    assert unknown.status_code == 400 and "unknown bank file format" in unknown.text
    assert client.get("/banks/nothing/download?format=csv").status_code == 404


def test_history_lists_every_event_a_page_at_a_time(client: TestClient, world: World) -> None:
    """The bank's full event log (one addition per request here), newest first: what,
    when, which organisation and which entries."""
    _bank(client, world, "history")
    analyst = _key(world, Role.analyst)
    for i in range(50):
        added = client.post(
            "/api/v1/banks/history/entries",
            headers=analyst,
            json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(i)}]},
        )
        assert added.status_code == 200, added.text
    log_in(client, world.usernames[Role.reviewer])
    page = client.get("/banks/history").text
    assert 'href="/banks/history/history"' in page
    assert page.count('data-testid="history-row"') == 10  # the latest, on the bank's page
    owner = re.search(r'data-testid="bank-owner">([^<]*)<', page)
    assert owner and owner.group(1) == world.orgs[OrgKind.hotline].name  # not its slug
    assert "<dt>Baseline (illegal everywhere)</dt>" in page and "<dt>baseline</dt>" not in page
    first = client.get("/banks/history/history")
    assert first.status_code == 200
    assert first.text.count('data-testid="history-row"') == 50
    assert "Hashes added to a bank" in first.text and "1 entry" in first.text
    assert world.orgs[OrgKind.hotline].name in first.text
    assert 'href="/banks/history/history?sort=-when&amp;page=2"' in first.text
    second = client.get("/banks/history/history?sort=-when&page=2")
    assert second.text.count('data-testid="history-row"') == 1
    assert "Bank created" in second.text and "← Previous" in second.text
    download = client.get("/banks/history/history?format=csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert len(rows) == 1 + 51 and rows[0][:2] == ["When (UTC)", "What"]
    assert rows[-1][1] == "Bank created"


def test_a_bank_you_may_not_see_is_not_found(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        factories.bank(session, world.orgs[OrgKind.ngo], name="private", subscriber_kinds=())
    csrf = log_in(client, world.usernames[Role.analyst])
    assert client.get("/banks/private").status_code == 404
    assert client.get("/banks/private/history").status_code == 404
    assert (
        client.post(
            "/banks/private/entries", data={"hashes": pdq_hex(1), "csrf_token": csrf}
        ).status_code
        == 404
    )
