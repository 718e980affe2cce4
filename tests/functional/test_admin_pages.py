"""Administration and account pages as a user meets them (issue 15): every form says what
is wrong beside the field and keeps what was typed (never a password), success is
confirmed, lists sort, page, filter and download, and codes read as words."""

from __future__ import annotations

import csv
import io
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts import services as accounts
from alliance.accounts.permissions import PERMISSION_LABELS, OrgKind, Permission, Role
from alliance.audit import SYSTEM, EventType, record
from alliance.audit.models import AuditEvent
from tests import factories
from tests.functional.conftest import World, log_in


def _field_error(html: str) -> list[str]:
    return re.findall(r'data-testid="field-error">([^<]*)<', html)


def _notice(client: TestClient, path: str) -> str:
    page = client.get(path).text
    found = re.search(r'data-testid="notice">([^<]*)<', page)
    assert found, f"{path} shows no notice"
    return found.group(1)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- Add user ------------------------------------------------------------------------


def test_add_user_with_a_role_that_does_not_fit_says_which_roles_do(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    industry = world.orgs[OrgKind.industry]
    response = client.post(
        "/users",
        data={
            "username": "jdoe",
            "display_name": "Jane Doe",
            "organisation": industry.slug,
            "role": "analyst",
            "password": "a-long-enough-password",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 400
    page = response.text
    assert 'data-testid="form-errors"' in page
    errors = _field_error(page)
    assert len(errors) == 1
    assert errors[0].startswith("Hotline analyst does not fit")
    assert (
        "an industry organisation&#39;s roles are Organisation administrator, "
        "Trust &amp; safety reviewer or Viewer" in errors[0]
    )
    assert 'aria-invalid="true" aria-describedby="f-role-error"' in page
    # What was typed is kept, the password is not.
    assert 'value="jdoe"' in page and 'value="Jane Doe"' in page
    assert f'<option value="{industry.slug}" selected>' in page
    assert "a-long-enough-password" not in page


def test_add_user_bad_username_and_taken_username(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    data = {
        "username": "Bad Name!",
        "display_name": "Someone",
        "organisation": "w-hotline",
        "role": "viewer",
        "password": "",
        "csrf_token": csrf,
    }
    bad = client.post("/users", data=data)
    assert bad.status_code == 400
    assert _field_error(bad.text) == [
        "3-64 characters: lowercase letters, digits, &#39;.&#39;, &#39;_&#39; and &#39;-&#39;"
    ]
    assert 'value="Bad Name!"' in bad.text and "Value error" not in bad.text
    taken = client.post("/users", data={**data, "username": world.usernames[Role.analyst]})
    assert taken.status_code == 409
    assert _field_error(taken.text) == [
        f"the username &#39;{world.usernames[Role.analyst]}&#39; is taken"
    ]


def test_add_user_short_password_is_beside_the_password(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    response = client.post(
        "/users",
        data={
            "username": "jdoe",
            "display_name": "Jane",
            "organisation": "w-hotline",
            "role": "viewer",
            "password": "short",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 400
    assert 'aria-describedby="f-password-error"' in response.text
    assert _field_error(response.text) == ["password must have at least 12 characters"]
    assert 'value="short"' not in response.text


def test_add_user_with_password_redirects_with_a_notice(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    response = client.post(
        "/users",
        data={
            "username": "jdoe",
            "display_name": "Jane Doe",
            "organisation": "w-hotline",
            "role": "viewer",
            "password": "a-long-enough-password",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/users"
    assert _notice(client, "/users") == "User jdoe added"
    assert "User jdoe added" not in client.get("/users").text  # shown once


def test_add_user_with_generated_password_shows_it_once_with_the_notice(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    response = client.post(
        "/users",
        data={
            "username": "jdoe",
            "display_name": "Jane Doe",
            "organisation": "w-hotline",
            "role": "viewer",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert 'data-testid="notice">User jdoe added<' in response.text
    assert 'data-testid="generated-password"' in response.text


def test_disable_and_enable_confirm_and_say_so(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    name = world.usernames[Role.viewer]
    page = client.get("/users").text
    assert f'data-confirm="Disable {name}?' in page
    disabled = client.post(f"/users/{name}/disable", data={"csrf_token": csrf})
    assert disabled.status_code == 303
    assert _notice(client, "/users") == f"User {name} disabled"
    enabled = client.post(f"/users/{name}/enable", data={"csrf_token": csrf})
    assert enabled.status_code == 303
    assert _notice(client, "/users") == f"User {name} enabled"


def test_disabling_yourself_is_refused_on_the_page(client: TestClient, world: World) -> None:
    name = world.usernames[Role.secretariat_admin]
    csrf = log_in(client, name)
    response = client.post(f"/users/{name}/disable", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "You cannot disable your own account" in response.text
    assert 'data-testid="form-errors"' in response.text


# --- Change role and returning to the list as it was ---------------------------------


def test_change_role_offers_the_roles_that_fit_least_powerful_first(
    client: TestClient, world: World
) -> None:
    log_in(client, world.usernames[Role.org_admin])
    analyst = world.usernames[Role.analyst]  # of the hotline, as the administrator
    page = client.get("/users").text
    form = page.split(f'data-testid="role-{analyst}"')[1].split("</form>")[0]
    assert f'data-confirm="Change the role of {analyst}?' in page
    # A hotline's roles only, not the analyst's own; Viewer (the least) chosen.
    assert re.findall(r'<option value="([a-z_]+)"', form) == ["org_admin", "viewer"]
    assert '<option value="viewer" selected>' in form
    # Nobody changes their own role: no form on the administrator's own row.
    assert f'data-testid="role-{world.usernames[Role.org_admin]}"' not in page


def test_change_role_bad_then_good_is_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    analyst = world.usernames[Role.analyst]
    bad = client.post(f"/users/{analyst}/role", data={"role": "investigator", "csrf_token": csrf})
    assert bad.status_code == 400
    assert 'data-testid="form-errors"' in bad.text
    errors = _field_error(bad.text)
    assert len(errors) == 1 and errors[0].startswith("LEA investigator does not fit")
    assert f'aria-describedby="f-role-{analyst}-error"' in bad.text
    unknown = client.post(f"/users/{analyst}/role", data={"role": "pope", "csrf_token": csrf})
    assert unknown.status_code == 400
    assert _field_error(unknown.text) == ["choose a role from the list"]

    good = client.post(
        f"/users/{analyst}/role",
        data={"role": "viewer", "csrf_token": csrf, "back": "/users?role=analyst&sort=-username"},
    )
    assert good.status_code == 303
    assert good.headers["location"] == "/users?role=analyst&sort=-username"
    assert _notice(client, "/users") == f"User {analyst}&#39;s role changed to Viewer"
    with sessions() as session:
        event = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.event_type == EventType.USER_ROLE_CHANGED.value)
                .order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )
        assert event is not None
        assert json.loads(event.details) == {"username": analyst, "from": "analyst", "to": "viewer"}
    assert "From: Hotline analyst · To: Viewer" in client.get("/audit?event_type=user:").text


def test_change_role_refused_for_yourself_and_without_the_right(
    client: TestClient, world: World
) -> None:
    admin = world.usernames[Role.org_admin]
    csrf = log_in(client, admin)
    own = client.post(f"/users/{admin}/role", data={"role": "viewer", "csrf_token": csrf})
    assert own.status_code == 409
    assert f"The role of {admin} was not changed: you cannot change your own role" in own.text
    # Another organisation's user: not even visible.
    other = client.post(
        f"/users/{world.usernames[Role.investigator]}/role",
        data={"role": "viewer", "csrf_token": csrf},
    )
    assert other.status_code in (403, 404)
    # An analyst may see users but not change them.
    client.cookies.clear()
    csrf = log_in(client, world.usernames[Role.analyst])
    refused = client.post(f"/users/{admin}/role", data={"role": "viewer", "csrf_token": csrf})
    assert refused.status_code == 403


def test_disable_and_revoke_return_to_the_list_as_it_was(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    viewer = world.usernames[Role.viewer]
    listed = "/users?role=viewer&active=yes&sort=-username&page=1"
    page = client.get(listed).text
    assert (
        'name="back" value="/users?role=viewer&amp;active=yes&amp;sort=-username&amp;page=1"'
        in page
    )
    disabled = client.post(f"/users/{viewer}/disable", data={"csrf_token": csrf, "back": listed})
    assert disabled.status_code == 303 and disabled.headers["location"] == listed
    # Never another page nor another site: the bare list instead.
    for elsewhere in (
        "https://elsewhere.example.test/users?role=viewer",
        "//elsewhere.example.test/users",
        "/keys?status=active",
        "/users\\..",
        "javascript:alert(1)",
    ):
        enabled = client.post(
            f"/users/{viewer}/enable", data={"csrf_token": csrf, "back": elsewhere}
        )
        assert enabled.status_code == 303 and enabled.headers["location"] == "/users", elsewhere
        client.post(f"/users/{viewer}/disable", data={"csrf_token": csrf})

    made = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "30", "csrf_token": csrf}
    )
    prefix = made.text.split('data-testid="new-key">')[1][:12]
    keys = "/keys?status=active&sort=name"
    assert 'name="back" value="/keys?status=active&amp;sort=name"' in client.get(keys).text
    revoked = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": csrf, "back": keys})
    assert revoked.status_code == 303 and revoked.headers["location"] == keys
    assert _notice(client, keys) == f"Key scanner ({prefix}) revoked"


# --- Organisations -------------------------------------------------------------------


def test_add_organisation_bad_then_good(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    data = {
        "slug": "Bad Slug!",
        "name": "Example Hotline",
        "kind": "ngo",
        "country_code": "NL",
        "csrf_token": csrf,
    }
    bad = client.post("/orgs", data=data)
    assert bad.status_code == 400
    assert _field_error(bad.text) == ["3-64 characters: lowercase letters, digits and hyphens"]
    assert 'value="Bad Slug!"' in bad.text and 'value="Example Hotline"' in bad.text
    assert '<option value="ngo" selected>NGO</option>' in bad.text
    good = client.post("/orgs", data={**data, "slug": "example-hotline"})
    assert good.status_code == 303
    assert _notice(client, "/orgs") == "Organisation Example Hotline added"
    taken = client.post("/orgs", data={**data, "slug": "example-hotline"})
    assert taken.status_code == 409 and 'aria-describedby="f-slug-error"' in taken.text


def test_organisations_show_kinds_and_countries_in_words(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.secretariat_admin])
    page = client.get("/orgs").text
    assert "<td>Law enforcement</td>" in page and "law_enforcement</td>" not in page
    assert "<td>NGO</td>" in page
    assert "<td>Land NL</td>" in page and "(NL)" not in page
    filtered = client.get("/orgs?kind=industry").text
    assert world.orgs[OrgKind.industry].name in filtered
    assert world.orgs[OrgKind.hotline].name not in filtered
    rows = _csv(client.get("/orgs?kind=industry&format=csv").text)
    assert rows[0] == [
        "Name",
        "Short name",
        "Kind",
        "Country",
        "Active",
        "Added (UTC)",
        "Trusted flagger, awarded by",
    ]
    assert [r[:5] for r in rows[1:]] == [
        [world.orgs[OrgKind.industry].name, "w-industry", "Industry", "Land US", "yes"]
    ]


def test_organisations_show_a_trusted_flaggers_coordinator(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    hotline = world.orgs[OrgKind.hotline]
    with sessions.begin() as session:
        accounts.set_trusted_flagger(session, factories.OPERATOR, hotline.slug, "ACM Example")
    log_in(client, world.usernames[Role.secretariat_admin])
    assert "<td>awarded by ACM Example</td>" in client.get("/orgs").text
    rows = _csv(client.get("/orgs?kind=hotline&format=csv").text)
    assert rows[1][-1] == "ACM Example"


# --- API keys ------------------------------------------------------------------------


def test_create_key_bad_then_good_then_revoke(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    bad = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "100000", "csrf_token": csrf}
    )
    assert bad.status_code == 400
    assert len(_field_error(bad.text)) == 1
    assert "may live at most" in _field_error(bad.text)[0]
    assert 'aria-describedby="f-days-error"' in bad.text
    assert 'value="scanner"' in bad.text and 'value="100000"' in bad.text
    not_a_number = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "soon", "csrf_token": csrf}
    )
    assert not_a_number.status_code == 400
    assert _field_error(not_a_number.text) == ["give a whole number"]
    good = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "30", "csrf_token": csrf}
    )
    assert good.status_code == 200 and good.headers["cache-control"] == "no-store"
    token = good.text.split('data-testid="new-key">')[1].split("<")[0]
    prefix = token[:12]
    assert f'data-testid="notice">Key scanner ({prefix}) created<' in good.text
    page = client.get("/keys").text
    assert 'data-confirm="Revoke key scanner?' in page
    revoked = client.post(f"/keys/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert _notice(client, "/keys") == f"Key scanner ({prefix}) revoked"
    unknown = client.post("/keys/alk_00000000/revoke", data={"csrf_token": csrf})
    assert unknown.status_code == 404 and 'data-testid="form-errors"' in unknown.text


def test_key_csv_holds_no_secret(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.org_admin])
    created = client.post(
        "/keys", data={"name": "scanner", "role": "viewer", "days": "30", "csrf_token": csrf}
    )
    token = created.text.split('data-testid="new-key">')[1].split("<")[0]
    body = client.get("/keys?format=csv&sort=name").text
    rows = _csv(body)
    assert rows[0] == [
        "Name",
        "Prefix",
        "Organisation",
        "Role",
        "Status",
        "Created (UTC)",
        "Expires (UTC)",
        "Last used (UTC)",
    ]
    assert any(
        r[:5] == ["scanner", token[:12], world.orgs[OrgKind.hotline].name, "Viewer", "Active"]
        for r in rows
    )
    secret = token.split("_", 2)[2]
    assert secret not in body and token not in body
    assert not re.search(r"\b[0-9a-f]{64}\b", body)  # no key hash
    revoked_only = _csv(client.get("/keys?format=csv&status=revoked").text)
    assert revoked_only == [rows[0]]


# --- Users list ----------------------------------------------------------------------


def test_users_sort_filter_page_and_csv_without_hashes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        org = world.orgs[OrgKind.hotline]
        org = session.merge(org)
        for n in range(55):
            factories.user(session, org, Role.viewer, username=f"bulk-{n:02d}")
    log_in(client, world.usernames[Role.secretariat_admin])
    first = client.get("/users?role=viewer&sort=-username").text
    names = re.findall(r"<tr><td>([a-z0-9.-]+)</td>", first)
    assert len(names) == 50 and names == sorted(names, reverse=True)
    assert 'aria-sort="descending"' in first
    assert 'href="/users?role=viewer&amp;sort=-username&amp;page=2"' in first
    second = client.get("/users?role=viewer&sort=-username&page=2").text
    rest = re.findall(r"<tr><td>([a-z0-9.-]+)</td>", second)
    assert rest and not set(rest) & set(names)
    assert len(names) + len(rest) == 56  # and the world's viewer
    body = client.get("/users?role=viewer&format=csv").text
    rows = _csv(body)
    assert rows[0][:5] == ["Username", "Name", "Organisation", "Role", "Active"]
    assert len(rows) == 1 + 56 and all(r[3] == "Viewer" for r in rows[1:])
    assert "argon2" not in body and "$" not in body
    inactive = _csv(client.get("/users?active=no&format=csv").text)
    assert inactive == [rows[0]]


def test_users_list_times_to_the_minute(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.secretariat_admin])
    page = client.get("/users").text
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>", page)  # a last login
    assert not re.search(r"\d\d:\d\d:\d\d\.\d+", page)


# --- Account, login, refusals --------------------------------------------------------


def test_account_page_says_what_you_may_do_in_words(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.analyst])
    page = client.get("/account").text
    assert "Manage hash banks" in page and "Assess reported items" in page
    assert (
        "banks:bank:manage" not in page
        and ":" not in page.split('data-testid="may-do"')[1].split("</ul>")[0]
    )
    assert "Hotline analyst" in page and "<dd>Hotline</dd>" in page
    dashboard = client.get("/dashboard").text
    assert "<li>Manage hash banks</li>" in dashboard and "banks:bank:manage" not in dashboard


def test_every_permission_has_words() -> None:
    from alliance.web.labels import LABELS, label

    for permission in Permission:
        assert ("Permission", permission.value) in LABELS
        assert label(permission) == PERMISSION_LABELS[permission]
        assert ":" not in label(permission)


def test_change_password_bad_values_beside_the_fields(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.reviewer])
    differ = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a-brand-new-password",
            "repeat_password": "another-new-password",
            "csrf_token": csrf,
        },
    )
    assert differ.status_code == 400
    assert 'aria-describedby="f-repeat_password-error"' in differ.text
    assert _field_error(differ.text) == ["the two new passwords differ"]
    assert "a-brand-new-password" not in differ.text and factories.PASSWORD not in differ.text
    short = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "short",
            "repeat_password": "short",
            "csrf_token": csrf,
        },
    )
    assert short.status_code == 400
    assert 'aria-describedby="f-new_password-error"' in short.text
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not-it-at-all",
            "new_password": "a-brand-new-password",
            "repeat_password": "a-brand-new-password",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 400
    assert _field_error(wrong.text) == ["the current password is not right"]


def test_login_without_a_password_says_so_beside_it(client: TestClient, world: World) -> None:
    from tests.functional.conftest import csrf_from

    token = csrf_from(client)
    response = client.post(
        "/login", data={"username": "Someone", "password": "", "csrf_token": token}
    )
    assert response.status_code == 400
    assert 'aria-describedby="f-password-error"' in response.text
    assert 'value="someone"' in response.text


def test_refusal_page_names_the_permission_in_words(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.viewer])
    response = client.get("/users")
    assert response.status_code == 403
    assert "your role (Viewer) may not see users" in response.text
    assert "platform:user:read" not in response.text
    assert 'href="/account"' in response.text


# --- Audit log -----------------------------------------------------------------------


def test_audit_log_pages_beyond_50_with_filters_kept(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        for n in range(70):
            record(session, SYSTEM, EventType.PROVIDER_UPDATED, "provider", f"host-{n:02d}")
    log_in(client, world.usernames[Role.secretariat_admin])
    first = client.get("/audit?event_type=provider:updated").text
    subjects = re.findall(r"<td>hosting provider (host-\d\d)</td>", first)
    assert subjects == [f"host-{n:02d}" for n in range(69, 19, -1)]  # newest first, 50
    assert "Hosting provider changed" in first and "provider:updated</td>" not in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link
    link = next_link.group(1).replace("&amp;", "&")
    assert "event_type=provider%3Aupdated" in link and "page=2" in link
    second = client.get(link).text
    assert re.findall(r"<td>hosting provider (host-\d\d)</td>", second) == [
        f"host-{n:02d}" for n in range(19, -1, -1)
    ]
    assert 'rel="next"' not in second
    oldest_first = client.get("/audit?event_type=provider:updated&sort=when").text
    assert re.findall(r"<td>hosting provider (host-\d\d)</td>", oldest_first)[:2] == [
        "host-00",
        "host-01",
    ]
    rows = _csv(client.get("/audit?event_type=provider:&format=csv").text)
    assert rows[0] == ["Number", "When (UTC)", "Actor", "Event", "Event code", "Subject", "Details"]
    assert len(rows) == 71
    assert rows[1][3:6] == [
        "Hosting provider changed",
        "provider:updated",
        "hosting provider host-69",
    ]


def test_audit_log_names_subjects_and_filters_by_name(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    client.post(
        "/orgs",
        data={
            "slug": "example-hotline",
            "name": "Example Hotline",
            "kind": "hotline",
            "country_code": "NL",
            "csrf_token": csrf,
        },
    )
    client.post(
        "/users",
        data={
            "username": "jdoe",
            "display_name": "Jane Doe",
            "organisation": "example-hotline",
            "role": "analyst",
            "password": "a-long-enough-password",
            "csrf_token": csrf,
        },
    )
    page = client.get("/audit").text
    assert "<td>user jdoe</td>" in page
    assert "<td>organisation Example Hotline</td>" in page
    assert not re.search(r"<td>user \d+</td>", page)
    assert "User added" in page and "Role: Hotline analyst" in page
    by_name = client.get("/audit?subject_type=user&subject=jdoe").text
    assert "<td>user jdoe</td>" in by_name and "Example Hotline" not in by_name
    org_events = client.get("/audit?subject=Example+Hotline").text
    assert "<td>organisation Example Hotline</td>" in org_events and "user jdoe" not in org_events
    actor = world.usernames[Role.secretariat_admin]
    mine = client.get(f"/audit?actor={actor}&event_type=user:").text
    assert "<td>user jdoe</td>" in mine


def test_audit_links_only_pages_the_reader_may_open_and_words_codes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    hotline = world.orgs[OrgKind.hotline]
    with sessions.begin() as session:
        record(
            session,
            SYSTEM,
            EventType.ITEM_ASSESSED,
            "item",
            "I-LINKTEST",
            {"classification": "baseline", "hashes": 0},
            organisation_id=hotline.id,
        )
    # The hotline's administrator reads its events but may not open items: no dead link.
    log_in(client, world.usernames[Role.org_admin])
    admin_view = client.get("/audit").text
    assert "I-LINKTEST" in admin_view and 'href="/items/I-LINKTEST"' not in admin_view
    assert "Classification: Baseline (illegal everywhere)" in admin_view
    assert "Classification: baseline" not in admin_view
    client.cookies.clear()
    log_in(client, world.usernames[Role.secretariat_admin])
    assert 'href="/items/I-LINKTEST"' in client.get("/audit").text


def test_audit_filter_bad_date_is_beside_the_field(client: TestClient, world: World) -> None:
    log_in(client, world.usernames[Role.secretariat_admin])
    response = client.get("/audit?from=yesterday&actor=someone")
    assert response.status_code == 400
    assert 'aria-describedby="f-from-error"' in response.text
    assert _field_error(response.text) == ["give a date as YYYY-MM-DD"]
    assert 'value="someone"' in response.text
    backwards = client.get("/audit?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 400 and 'aria-describedby="f-to-error"' in backwards.text


def test_audit_verify_without_a_file_says_so(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    response = client.post("/audit/verify", data={"csrf_token": csrf})
    assert response.status_code == 400
    assert 'aria-describedby="f-file-error"' in response.text
    assert "choose a file of signed heads" in response.text
