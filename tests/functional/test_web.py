"""The web shell and API end to end: logins, CSRF, keys, errors, headers, health."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import ApiKey
from alliance.accounts.permissions import Role
from alliance.audit.models import AuditEvent
from alliance.db.base import utcnow
from alliance.web.guards import SESSION_COOKIE
from alliance.web.recent_keys import TRUSTED_SECONDS, RecentKeys
from tests import factories
from tests.functional.conftest import World, csrf_from, csrf_from_page, log_in


def _count(sessions: sessionmaker[Session], event_type: str) -> int:
    with sessions() as session:
        return session.execute(
            select(func.count()).where(AuditEvent.event_type == event_type)
        ).scalar_one()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_navigation_logout(client: TestClient, world: World) -> None:
    assert client.get("/dashboard").headers["location"] == "/login?next=/dashboard"
    csrf = log_in(client, world.usernames[Role.analyst])
    page = client.get("/dashboard").text
    assert "Hotline analyst" in page and 'href="/users"' in page
    assert 'href="/audit"' not in page and 'href="/keys"' not in page
    assert 'href="/banks"' in page
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/dashboard").status_code == 303


def test_login_redirects_only_to_local_paths(client: TestClient, world: World) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={
            "username": world.usernames[Role.viewer],
            "password": factories.PASSWORD,
            "csrf_token": token,
            "next": "//evil.example.test/",
        },
    )
    assert response.headers["location"] == "/dashboard"


def test_wrong_password_is_401_audited_then_rate_limited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    name = world.usernames[Role.viewer]
    for _ in range(5):
        token = csrf_from(client)
        response = client.post(
            "/login", data={"username": name, "password": "wrong-password!", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert f'value="{name}"' in response.text  # the username typed is kept
        assert "wrong-password!" not in response.text  # the password never
    assert _count(sessions, "auth:login.failed") == 5
    token = csrf_from(client)
    response = client.post(
        "/login", data={"username": name, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429 and "retry-after" in response.headers
    assert _count(sessions, "auth:login.rate_limited") == 1


def test_form_post_without_csrf_is_refused_and_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 403
    log_in(client, world.usernames[Role.secretariat_admin])
    response = client.post(
        "/orgs", data={"slug": "no-csrf", "name": "x", "kind": "hotline", "country_code": "NL"}
    )
    assert response.status_code == 403
    response = client.post(
        "/orgs",
        data={
            "slug": "no-csrf",
            "name": "x",
            "kind": "hotline",
            "country_code": "NL",
            "csrf_token": "0" * 64,
        },
    )
    assert response.status_code == 403
    assert _count(sessions, "auth:csrf.rejected") == 3
    assert "no-csrf" not in client.get("/orgs").text


def test_csrf_token_changes_at_login(client: TestClient, world: World) -> None:
    before = csrf_from(client)
    after = log_in(client, world.usernames[Role.viewer])
    assert before != after


def test_pages_create_and_revoke_a_key(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    page = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "30", "csrf_token": csrf}
    )
    assert page.status_code == 200
    token = page.text.split('data-testid="new-key">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers=_bearer(token)).json()["role"] == "viewer"
    prefix = token[:12]
    revoked = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert "Key scanner" in client.get("/keys").text
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_page_form_with_bad_input_says_why(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    response = client.post(
        "/orgs",
        data={
            "slug": "Bad Slug!",
            "name": "x",
            "kind": "hotline",
            "country_code": "NL",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 400
    assert "lowercase letters" in response.text


def test_api_key_lifecycle(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    now = [0.0]  # the clock of the keys accepted lately
    client.app.state.alliance.recent_keys = RecentKeys(clock=lambda: now[0])  # type: ignore[attr-defined]
    admin = _bearer(world.keys[Role.org_admin])
    created = client.post(
        "/api/v1/api-keys", json={"name": "ci", "role": "viewer", "days": 7}, headers=admin
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    listed = client.get("/api/v1/api-keys", headers=admin).json()
    assert all("token" not in k and "key_hash" not in k for k in listed)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200

    prefix = created.json()["api_key"]["prefix"]
    with sessions.begin() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.prefix == prefix)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    # Changed behind this process's back (as by another process): a key accepted within
    # the last second is still accepted, then read again and refused.
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    now[0] += TRUSTED_SECONDS
    expired = client.get("/api/v1/me", headers=_bearer(token))
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "API key expired"
    assert expired.headers["www-authenticate"] == "Bearer"
    assert _count(sessions, "auth:api_key.rejected") == 1

    assert client.post(f"/api/v1/api-keys/{prefix}/revoke", headers=admin).status_code == 200
    revoked = client.get("/api/v1/me", headers=_bearer(token))
    assert revoked.json()["error"]["message"] == "API key revoked"

    # Revoked through this process: refused at once, though it was accepted a moment ago.
    other = client.post(
        "/api/v1/api-keys", json={"name": "ci2", "role": "viewer", "days": 7}, headers=admin
    ).json()
    assert client.get("/api/v1/me", headers=_bearer(other["token"])).status_code == 200
    revoke = f"/api/v1/api-keys/{other['api_key']['prefix']}/revoke"
    assert client.post(revoke, headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(other["token"])).status_code == 401


def test_bad_credentials_shapes(client: TestClient) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer("alk_garbage")).status_code == 401
    assert client.get("/api/v1/me").json()["error"]["code"] == "not_authenticated"


def test_malformed_json_is_400_and_changes_nothing(client: TestClient, world: World) -> None:
    headers = {**_bearer(world.keys[Role.secretariat_admin]), "content-type": "application/json"}
    response = client.post("/api/v1/organisations", content=b'{"slug": "half', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_invalid_fields_are_422_with_field_names(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers=_bearer(world.keys[Role.secretariat_admin]),
        json={"slug": "x", "name": "", "kind": "pirate", "country_code": "NL"},
    )
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"body.slug", "body.name", "body.kind"} <= fields


def test_domain_errors_map_to_4xx(client: TestClient, world: World) -> None:
    headers = _bearer(world.keys[Role.secretariat_admin])
    unknown_country = client.post(
        "/api/v1/organisations",
        headers=headers,
        json={"slug": "zz-hotline", "name": "x", "kind": "hotline", "country_code": "ZZ"},
    )
    assert unknown_country.status_code == 400
    duplicate = client.post(
        "/api/v1/organisations",
        headers=headers,
        json={"slug": "w-hotline", "name": "x", "kind": "hotline", "country_code": "NL"},
    )
    assert duplicate.status_code == 409
    assert client.get("/api/v1/organisations/none-such", headers=headers).status_code == 404


def test_oversized_body_is_413(client: TestClient, world: World) -> None:
    headers = _bearer(world.keys[Role.secretariat_admin])
    big = b'{"name": "' + b"x" * (70 * 1024) + b'"}'
    response = client.post(
        "/api/v1/jurisdictions",
        content=big,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted while read
        for _ in range(70):
            yield b"x" * 1024

    response = client.post(
        "/api/v1/jurisdictions",
        content=chunks(),
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 413


def test_unknown_routes(client: TestClient) -> None:
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert client.delete("/login").status_code == 405


def test_unexpected_error_shows_no_traceback(app: FastAPI) -> None:
    from alliance.web.guards import public

    @app.get("/api/v1/boom", dependencies=[public])
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.text
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "incident" in response.json()["error"]["message"]


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in ("/login", "/api/v1/openapi.json", "/static/app.css", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


def test_session_cookie_is_httponly(client: TestClient, world: World) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={
            "username": world.usernames[Role.viewer],
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_pages_have_no_inline_script_and_no_cdn(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.secretariat_admin])
    for path in ("/login", "/dashboard", "/orgs", "/users", "/keys", "/audit", "/api/v1/docs"):
        html = client.get(path).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path
        assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["revision"]


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["paths"]["/api/v1/users"]["get"]["x-permission"] == "platform:user:read"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/organisations" in docs.text


def test_audit_api_is_scoped_to_the_organisation(client: TestClient, world: World) -> None:
    everything = client.get(
        "/api/v1/audit/events?limit=1000", headers=_bearer(world.keys[Role.secretariat_admin])
    ).json()
    own = client.get(
        "/api/v1/audit/events?limit=1000", headers=_bearer(world.keys[Role.org_admin])
    ).json()
    assert 0 < len(own) < len(everything)
    orgs = {e["organisation_id"] for e in own}
    assert len(orgs) == 1
    verified = client.get(
        "/api/v1/audit/verify", headers=_bearer(world.keys[Role.secretariat_admin])
    ).json()
    assert verified["ok"] is True
    naive = client.get(
        "/api/v1/audit/events?since=2026-01-01T00:00:00",
        headers=_bearer(world.keys[Role.secretariat_admin]),
    )
    assert naive.status_code == 400


def test_users_page_creates_user_with_generated_password(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    page = client.post(
        "/users",
        data={
            "username": "new-colleague",
            "display_name": "New",
            "organisation": "w-hotline",
            "role": "analyst",
            "password": "",
            "csrf_token": csrf,
        },
    )
    assert page.status_code == 200, page.text
    password = page.text.split('data-testid="generated-password">')[1].split("<")[0]
    client.cookies.clear()
    log_in(client, "new-colleague", password)
    assert csrf_from_page(client, "/dashboard")


@pytest.mark.parametrize("role", [Role.secretariat_admin, Role.org_admin])
def test_role_choices_start_at_the_least_privileged(
    client: TestClient, world: World, role: Role
) -> None:
    """ "Add user" and "Create key" offer the role with the fewest rights first: an
    administrator who does not choose hands out as little as possible (issue 15)."""
    log_in(client, world.usernames[role])
    for path in ("/users", "/keys"):
        page = client.get(path).text
        # The form that adds (a user's row has its own "Change role" form).
        adding = page.split(f'method="post" action="{path}"', 1)[1].split("</form>", 1)[0]
        selected = re.findall(r'<option value="(\w+)" selected>', adding)
        assert selected == ["viewer"], (role, path, selected)


def test_user_changes_own_password(client: TestClient, world: World) -> None:
    name = world.usernames[Role.reviewer]
    csrf = log_in(client, name)
    assert client.get("/account").status_code == 200
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not-it-at-all",
            "new_password": "a-brand-new-password",
            "repeat_password": "a-brand-new-password",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 400 and "current password" in wrong.text
    changed = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a-brand-new-password",
            "repeat_password": "a-brand-new-password",
            "csrf_token": csrf,
        },
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/login"
    assert "Password changed" in client.get("/login").text
    assert client.get("/dashboard").status_code == 303  # the session ended
    client.cookies.clear()
    log_in(client, name, "a-brand-new-password")
