"""Bank pages: list, detail with counts and sync status, and the match lookup form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from alliance.accounts.permissions import Role
from tests.factories import flip_bits, pdq_hex
from tests.functional.conftest import World, log_in


def test_bank_pages(client: TestClient, world: World) -> None:
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    reviewer = {"Authorization": f"Bearer {world.keys[Role.reviewer]}"}
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={
            "name": "pages-bank",
            "scope": "national:NL",
            "subscriber_kinds": ["industry"],
            "description": "Demo list",
        },
    )
    client.post(
        "/api/v1/banks/pages-bank/entries",
        headers=analyst,
        json={
            "entries": [
                {"signal_type": "pdq", "signal": pdq_hex(1), "classification": {"iwf": "A"}},
                {"signal_type": "pdq", "signal": pdq_hex(2), "classification": {"iwf": "B"}},
                {"signal_type": "md5", "signal": "d41d8cd98f00b204e9800998ecf8427e"},
            ]
        },
    )
    client.get("/api/v1/banks/pages-bank/snapshot", headers=reviewer)

    csrf = log_in(client, world.usernames[Role.analyst])
    listing = client.get("/banks").text
    assert 'href="/banks/pages-bank"' in listing and "National (Land NL)" in listing
    detail = client.get("/banks/pages-bank").text
    assert 'data-testid="bank-entries">3<' in detail
    assert "IWF" in detail and "<dt>A</dt><dd>1</dd>" in detail
    assert "w-industry" in detail or "Test w-industry" in detail  # the reviewer's fetch
    assert client.get("/banks/nothing-here").status_code == 404

    result = client.post(
        "/match",
        data={
            "signal_type": "pdq",
            "hashes": f"{flip_bits(pdq_hex(1), 5)}\n{pdq_hex(99)}\n",
            "csrf_token": csrf,
        },
    )
    assert result.status_code == 200
    table = result.text.split('data-testid="match-results"')[1]
    assert "pages-bank" in table and "<td>5</td>" in table and "No match" in table
    bad = client.post("/match", data={"signal_type": "pdq", "hashes": "xyz", "csrf_token": csrf})
    assert bad.status_code == 400 and "invalid PDQ hash" in bad.text
