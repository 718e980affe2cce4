"""Every route, called as anonymous and as each role, answers as its declared permission says.

Deny by default: a route without a guard fails here, and so does a route whose answer
does not match its guard. The hub's app is checked whole; member mode's app (``alliance
serve --member``) for the routes it serves and the hub does not, and the review queue's
API, as a platform runs them.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from alliance.accounts.permissions import ROLE_GRANTS, Permission, Role
from alliance.web.app import api_routes, route_guard
from alliance.web.guards import ANY_PRINCIPAL, PUBLIC
from tests.functional.conftest import World, csrf_from, log_in

# Records that do not exist: an allowed role gets 404, a denied one 403 from the guard.
SAMPLE_PATH_VALUES = {
    "slug": "no-such-org",
    "username": "no-such-user",
    "prefix": "alk_00000000",
    "action": "enable",
    "reference": "I-NOSUCH00",
    "report": "R-NOSUCH00",
    "hold": "H-NOSUCH00",
    "alert_id": "999999",
    "seizure": "SZ-NOSUCH00",
    "code": "S-NOSUCH00",
    "victim": "V-NOSUCH00",
    "referral": "RF-NOSUCH00",
    # A country that is not a member (404 to those allowed), a cycle, a target.
    "country": "AQ",
    "cycle": "2026",
    "target": "1",
    "review_id": "999999",
    "entry_id": "999999",
    "case": "RC-NOSUCH00",
    "rule_id": "999999",
}
#: Member mode's own routes (the HMA-compatible /m/ ones replace the hub's) and the review
#: queue's API, which a platform calls on its member server.
MEMBER_ROUTES = ("/api/v1/member/", "/m/", "/api/v1/review/")


def _concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "x"), path)


def _allowed(permission: str, role: Role) -> bool:
    if permission in (PUBLIC, ANY_PRINCIPAL):
        return True
    return Permission(permission) in ROLE_GRANTS[role]


def _calls(app: FastAPI) -> list[tuple[str, str, str, bool]]:
    calls = []
    for route in api_routes(app):
        guard = route_guard(route)
        assert guard is not None, f"{route.path} declares no guard (requires/public)"
        for method in sorted(route.methods or ()):
            calls.append((method, route.path, guard[0], guard[1]))
    return calls


def test_permission_matrix_api_and_pages(app: FastAPI, client: TestClient, world: World) -> None:
    calls = _calls(app)
    assert len(calls) >= 30
    # Anonymous: public routes answer; the API says 401; pages send you to the login.
    anonymous_csrf = csrf_from(client)
    for method, path, permission, is_page in calls:
        if is_page:
            response = client.request(
                method, _concrete(path), headers={"X-CSRF-Token": anonymous_csrf}
            )
        else:
            response = client.request(method, _concrete(path), json={})
        if permission == PUBLIC:
            assert response.status_code not in (401, 403), (method, path)
        elif is_page:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login")
        else:
            assert response.status_code == 401, (method, path, response.status_code)

    for role in Role:
        token = world.keys[role]
        client.cookies.clear()
        csrf = log_in(client, world.usernames[role])
        for method, path, permission, is_page in calls:
            if path in ("/logout",):
                continue  # would end this role's session; covered by the web tests
            if is_page:
                response = client.request(method, _concrete(path), headers={"X-CSRF-Token": csrf})
            else:
                response = client.request(
                    method, _concrete(path), json={}, headers={"Authorization": f"Bearer {token}"}
                )
            status = response.status_code
            if _allowed(permission, role):
                assert status not in (401, 403), (role, method, path, status, response.text[:200])
                if is_page and method == "GET":
                    assert status != 303 or not response.headers["location"].startswith("/login"), (
                        role,
                        path,
                    )
            else:
                assert status == 403, (role, method, path, status)


def test_permission_matrix_member_mode(member_app: FastAPI, world: World) -> None:
    calls = [c for c in _calls(member_app) if c[1].startswith(MEMBER_ROUTES)]
    paths = {path for _, path, _, _ in calls}
    assert {
        "/api/v1/member/status",
        "/api/v1/member/match/hash",
        "/api/v1/member/match/file",
        "/api/v1/member/match/url",
        "/api/v1/member/banks",
        "/api/v1/member/banks/{name}/entries",
        "/api/v1/member/banks/{name}/entries/remove",
        "/m/lookup",
        "/m/raw_lookup",
        "/api/v1/review/cases",
        "/api/v1/review/cases/{case}/reveal",
        "/api/v1/review/cases/{case}/reports",
        "/api/v1/review/cases/{case}/cybertipline",
        "/api/v1/review/cases/{case}/cybertipline/withdraw",
        "/api/v1/review/cases/{case}/dsa",
        "/api/v1/review/cases/{case}/police",
        "/api/v1/review/cases/{case}/close",
        "/api/v1/review/rules/{rule_id}",
    } <= paths
    assert not any(is_page for *_, is_page in calls)
    with TestClient(member_app, base_url="http://member.test", follow_redirects=False) as client:
        for method, path, _, _ in calls:
            response = client.request(method, _concrete(path), json={})
            assert response.status_code == 401, (method, path, response.status_code)
        for role in Role:
            headers = {"Authorization": f"Bearer {world.keys[role]}"}
            for method, path, permission, _ in calls:
                response = client.request(method, _concrete(path), json={}, headers=headers)
                status = response.status_code
                if _allowed(permission, role):
                    assert status not in (401, 403), (
                        role,
                        method,
                        path,
                        status,
                        response.text[:200],
                    )
                else:
                    assert status == 403, (role, method, path, status)
