"""No server error from any input (issue 14, part 5), on SQLite and PostgreSQL.

NUL characters are refused with 400 wherever a request carries text; integers past their
column's range are 422, not a database error; a record another agency keeps is 404 even
when the request is also invalid; the OpenAPI lists the errors each route answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.web.errors import ERROR_DESCRIPTIONS
from tests import factories
from tests.functional.conftest import World, csrf_from
from tests.functional.test_victims_api import Agencies, agencies, gb_series  # noqa: F401

NUL_MESSAGE = "NUL characters are not allowed in a request"


def _bearer(world: World, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[role]}"}


def _refused(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == NUL_MESSAGE


def test_nul_in_the_anonymous_public_report_is_400(client: TestClient) -> None:
    challenge = client.get("/api/v1/public/challenge").json()["challenge"]
    body = {"url": "https://nul.example.test/a", "challenge": challenge, "nonce": "1"}
    for field in ("url", "description", "contact", "nonce"):
        _refused(client.post("/api/v1/public/reports", json={**body, field: "x\u0000y"}))
    # An escaped backslash before "u0000" is text, not a NUL: it reaches validation.
    literal = client.post("/api/v1/public/reports", json={**body, "description": "\\u0000"})
    assert literal.status_code != 400 or literal.json()["error"]["message"] != NUL_MESSAGE


def test_nul_in_the_public_report_form_is_400(client: TestClient) -> None:
    token = csrf_from(client)
    form = {"csrf_token": token, "url": "https://nul.example.test/\x00", "description": "d"}
    response = client.post("/report", data=form)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.text


def test_nul_in_query_path_and_uploads_is_400(client: TestClient, world: World) -> None:
    analyst = _bearer(world, Role.analyst)
    _refused(client.get("/api/v1/items?q=%00", headers=analyst))
    _refused(client.get("/api/v1/items/I-%00", headers=analyst))
    _refused(client.get("/api/v1/items", headers={**analyst, "x-note": "a\x00b"}))
    investigator = _bearer(world, Role.investigator)
    uploads = {
        "csv": (b"path,md5\nf\x00.png,0123456789abcdef0123456789abcdef\n", "text/csv"),
        # A JSON escape, in a file sent as bytes: hash files are checked for both.
        "vics": (
            b'{"value": [{"MD5": "0123456789abcdef0123456789abcdef", "FileName": "a\\u0000"}]}',
            "application/octet-stream",
        ),
    }
    for fmt, (content, content_type) in uploads.items():
        headers = {**investigator, "content-type": content_type}
        _refused(client.post(f"/api/v1/seizures?format={fmt}", content=content, headers=headers))


def test_unpaired_surrogate_escapes_are_400_not_a_server_error(
    client: TestClient, world: World
) -> None:
    """A lone \\uD800-\\uDFFF escape decodes to a string no database driver encodes: it
    was a 500 in list fields (found by a rerun of the attacks)."""
    analyst = {**_bearer(world, Role.analyst), "content-type": "application/json"}
    md5 = "0123456789abcdef0123456789abcdef"
    bodies = {
        "/api/v1/reports": b'{"urls": ["http://s2.example.test/\\udc80"]}',
        "/api/v1/reports/batch": b'{"reports": [{"urls": ["http://s7.example.test/\\ud800"]}]}',
        "/api/v1/match": (
            b'{"signals": [{"type": "md5", "value": "' + md5.encode() + b'"}],'
            b' "banks": ["\\ud800"]}'
        ),
    }
    for path, body in bodies.items():
        response = client.post(path, content=body, headers=analyst)
        assert response.status_code == 400, (path, response.text)
        assert "unpaired UTF-16 surrogate" in response.json()["error"]["message"]
    paired = b'{"urls": ["http://emoji.example.test/\\ud83d\\ude00"]}'
    assert client.post("/api/v1/reports", content=paired, headers=analyst).status_code == 201


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/v1/items?offset=9223372036854775808", Role.analyst),
        ("/api/v1/banks/w-bank/delta?since=9223372036854775808", Role.analyst),
        ("/api/v1/banks/w-bank/entries?since=18446744073709551616", Role.analyst),
    ],
)
def test_integers_past_64_bits_are_422(
    client: TestClient, world: World, sessions: sessionmaker[Session], path: str, role: Role
) -> None:
    with sessions.begin() as session:
        factories.bank(session, world.orgs[OrgKind.hotline], name="w-bank")
    response = client.get(path, headers=_bearer(world, role))
    assert response.status_code == 422, response.text


def test_ids_past_the_integer_column_are_422_and_the_largest_offset_works(
    client: TestClient, world: World
) -> None:
    lea = _bearer(world, Role.investigator)
    assert client.post("/api/v1/alerts/2147483648/acknowledge", headers=lea).status_code == 422
    assert client.post("/api/v1/alerts/2147483647/acknowledge", headers=lea).status_code == 404
    largest = client.get(
        "/api/v1/items?offset=9223372036854775807", headers=_bearer(world, Role.analyst)
    )
    assert largest.status_code == 200, largest.text
    assert largest.json() == []


def test_another_agencys_series_is_404_even_with_a_bad_body(
    client: TestClient,
    agencies: Agencies,  # noqa: F811
) -> None:
    code = gb_series(client, agencies)
    bad = {"status": "no-such-status", "countries": ["ÉÉ"]}
    # GB's own series: the body is what is wrong.
    assert client.patch(f"/api/v1/series/{code}", json=bad, headers=agencies.gb).status_code == 422
    # NL's agency does not work on it: 404, as for a series that does not exist.
    for target in (code, "S-NOSUCH00"):
        response = client.patch(f"/api/v1/series/{target}", json=bad, headers=agencies.nl)
        assert response.status_code == 404, response.text
    referral = client.post(
        f"/api/v1/series/{code}/referrals", json={"country": 7}, headers=agencies.nl
    )
    assert referral.status_code == 404, referral.text


def test_openapi_lists_every_error_with_the_error_model(app: FastAPI, client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "ErrorOut" in document["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]
    assert len(operations) >= 60
    for path, method, op in operations:
        statuses = set(op["responses"])
        assert {"400", "503"} <= statuses, (method, path)
        public = (
            path
            in {
                "/healthz",
                "/readyz",
                "/api/v1/keys",
                "/api/v1/public/challenge",
                "/api/v1/public/reports",
            }
            or op.get("x-permission") == "public"
        )  # published commitments, matrix, library
        if not public:
            assert "401" in statuses, (method, path)
        if op.get("x-permission") not in (None, "public", "authenticated"):
            assert "403" in statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if method in ("post", "put", "patch"):
            assert "413" in statuses, (method, path)
        for status in statuses - {"200", "201", "204"}:
            assert int(status) in ERROR_DESCRIPTIONS, (method, path, status)
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}
    conflicts = document["paths"]["/api/v1/series"]["post"]["responses"]
    assert "409" in conflicts
    assert "429" in document["paths"]["/api/v1/public/reports"]["post"]["responses"]
