"""Pages for organisations, users and API keys.

Each list sorts, pages, filters and downloads as CSV (alliance.web.tables); each form
answers the one way forms do (alliance.web.forms): a refusal shows the page again with
what was typed (never a password) and the message beside the field at fault; success
redirects with a confirmation. A new user's generated password and a new key are shown
on the page that answers the form, once: a secret never travels in a redirect's cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.permissions import ROLE_LABELS, OrgKind, Permission, Reach, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, OrganisationIn, UserIn
from alliance.errors import AllianceError, InvalidInput, NotFound
from alliance.web import forms
from alliance.web.errors import failed_form
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import label
from alliance.web.pages.rendering import back_to, here, redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

#: A page that shows a secret once must not be kept by the browser or a proxy.
NO_STORE = {"cache-control": "no-store"}
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


def _yes_no(value: str | None, name: str) -> bool | None:
    if not value:
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise InvalidInput(f"{name} is yes or no", field=name)


def _role(value: str | None) -> Role | None:
    if not value:
        return None
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("choose a role from the list", field="role") from None


def _role_options(roles: list[Role]) -> list[tuple[str, str]]:
    return [(r.value, ROLE_LABELS[r]) for r in roles]


# --- organisations -------------------------------------------------------------------

ORG_FIELDS = {"name": "Name", "slug": "Short name", "kind": "Kind", "country_code": "Country"}


def _orgs_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> Response:
    can_manage = principal.can(Permission.ORG_MANAGE)
    query = request.query_params
    kind_text = query.get("kind") or ""
    try:
        kind = OrgKind(kind_text) if kind_text else None
    except ValueError:
        raise InvalidInput("choose a kind from the list", field="kind") from None
    flt = accounts.OrganisationFilter(
        kind=kind,
        country_code=(query.get("country") or "").upper() or None,
        active=_yes_no(query.get("active"), "active"),
    )
    table, listing = read_table(
        request,
        sortable=accounts.ORGANISATION_SORTS,
        default="name",
        filters={
            "kind": kind_text,
            "country": flt.country_code or "",
            "active": query.get("active") or "",
        },
    )
    rows = accounts.list_organisations(session, principal, flt, listing)
    if table.csv:
        return csv_response(
            "organisations.csv",
            [
                "Name",
                "Short name",
                "Kind",
                "Country",
                "Active",
                "Added (UTC)",
                "Trusted flagger, awarded by",
            ],
            [
                [
                    o.name,
                    o.slug,
                    o.kind,
                    o.jurisdiction.name,
                    _yes(o.active),
                    o.created_at,
                    o.trusted_flagger_awarded_by or "",
                ]
                for o in rows
            ],
        )
    jurisdictions = sorted(accounts.list_jurisdictions(session, principal), key=lambda j: j.name)
    return render(
        request,
        "orgs.html",
        {
            "organisations": table.rows(rows),
            "table": table,
            "can_manage": can_manage,
            "kind_options": [(k.value, label(k)) for k in OrgKind],
            "country_options": [(j.code, j.name) for j in jurisdictions],
            "yes_no": YES_NO,
            "form": form or forms.Form(),
        },
        status_code=status_code,
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@router.get("/orgs")
def orgs(
    request: Request, session: DbSession, principal: Principal = page_requires(Permission.ORG_READ)
) -> Response:
    return _orgs_page(request, session, principal)


@router.post("/orgs")
def create_org(
    request: Request,
    session: DbSession,
    slug: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=100)] = "",
    country_code: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = page_requires(Permission.ORG_MANAGE),
    _csrf: None = csrf,
) -> Response:
    values = {"slug": slug, "name": name, "kind": kind, "country_code": country_code}
    try:
        data = OrganisationIn.model_validate(values)
        with session.begin_nested():
            org = accounts.create_organisation(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=ORG_FIELDS, name="org")
        return _orgs_page(request, session, principal, form, status)
    return redirect(request, "/orgs", notice=f"Organisation {org.name} added")


# --- users ---------------------------------------------------------------------------

USER_FIELDS = {
    "username": "Username",
    "display_name": "Full name",
    "organisation": "Organisation",
    "role": "Role",
    "password": "Password",
}


def _users_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    back: str | None = None,
    **extra: object,
) -> Response:
    can_manage = principal.can(Permission.USER_MANAGE)
    every_org = principal.reach(Permission.USER_READ) is Reach.ALL
    organisations = accounts.list_organisations(session, principal)
    manageable = []
    if can_manage:
        manageable = [
            o
            for o in organisations
            if principal.reach(Permission.USER_MANAGE) is Reach.ALL
            or o.id == principal.organisation_id
        ]
    roles = accounts.grantable_roles(principal, {o.kind for o in manageable}) if can_manage else []
    query = request.query_params
    organisation = query.get("organisation") or ""
    role_text = query.get("role") or ""
    flt = accounts.UserFilter(role=_role(role_text), active=_yes_no(query.get("active"), "active"))
    table, listing = read_table(
        request,
        sortable=accounts.USER_SORTS,
        default="username",
        filters={
            "organisation": organisation,
            "role": role_text,
            "active": query.get("active") or "",
        },
    )
    rows = accounts.list_users(session, principal, organisation or None, flt, listing)
    if table.csv:
        return csv_response(
            "users.csv",
            [
                "Username",
                "Name",
                "Organisation",
                "Role",
                "Active",
                "Last login (UTC)",
                "Added (UTC)",
            ],
            [
                [
                    u.username,
                    u.display_name,
                    u.organisation.name,
                    u.role,
                    _yes(u.active),
                    u.last_login_at,
                    u.created_at,
                ]
                for u in rows
            ],
        )
    default_role = accounts.least_privileged(roles)
    table.rows(rows)  # knows whether there is a next page
    shown = rows[: table.page_size]
    # Each row's "Change role": the roles that fit the user's organisation, the least
    # powerful first chosen (an administrator who does not choose hands out little).
    role_changes: dict[str, tuple[list[tuple[str, str]], str]] = {}
    if can_manage:
        for u in shown:
            fitting = accounts.roles_for_user(principal, u)
            if fitting:
                least = accounts.least_privileged(fitting)
                role_changes[u.username] = (_role_options(fitting), least.value if least else "")
    return render(
        request,
        "users.html",
        {
            "users": shown,
            "role_changes": role_changes,
            "back": back or here(request),
            "table": table,
            "can_manage": can_manage,
            # The kind says which roles fit (a reviewer works for industry, ...).
            "org_options": [
                (o.slug, f"{o.name} ({label(o.kind)})")
                for o in sorted(manageable, key=lambda o: o.name.lower())
            ],
            "filter_orgs": [(o.slug, o.name) for o in sorted(organisations, key=lambda o: o.name)]
            if every_org
            else [],
            "role_options": _role_options(roles),
            "all_roles": _role_options(list(Role)),
            "default_role": default_role.value if default_role else "",
            "yes_no": YES_NO,
            "form": form or forms.Form(),
            **extra,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/users")
def users(
    request: Request, session: DbSession, principal: Principal = page_requires(Permission.USER_READ)
) -> Response:
    return _users_page(request, session, principal)


@router.post("/users")
def create_user(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=1000)] = "",
    organisation: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    principal: Principal = page_requires(Permission.USER_MANAGE),
    _csrf: None = csrf,
) -> Response:
    # The password is never typed back into the page: an empty value, so that its
    # error can still stand beside it.
    values = {
        "username": username,
        "display_name": display_name,
        "organisation": organisation,
        "role": role,
        "password": "",
    }
    try:
        data = UserIn.model_validate({**values, "password": password or None})
        with session.begin_nested():
            user, generated = accounts.create_user(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=USER_FIELDS, name="user")
        return _users_page(request, session, principal, form=form, status_code=status)
    notice = f"User {user.username} added"
    if generated is None:
        return redirect(request, "/users", notice=notice)
    return _users_page(
        request,
        session,
        principal,
        headers=NO_STORE,
        notice=notice,
        generated_password=generated,
        created_username=user.username,
    )


# Before "/users/{username}/{action}": "role" is not one of its actions.
@router.post("/users/{username}/role")
def change_user_role(
    request: Request,
    session: DbSession,
    username: str,
    role: Annotated[str, Form(max_length=100)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.USER_MANAGE),
    _csrf: None = csrf,
) -> Response:
    try:
        chosen = _role(role)
        if chosen is None:
            raise InvalidInput("choose a role from the list", field="role")
        with session.begin_nested():
            user = accounts.change_user_role(session, principal, username, chosen)
    except AllianceError as exc:
        form, status = failed_form(
            exc, {"role": role}, labels={"role": "Role"}, name=f"role-{username.lower()}"
        )
        return _users_page(
            request,
            session,
            principal,
            form=form,
            status_code=status,
            back=back_to(request, back, "/users"),
        )
    return redirect(
        request,
        back_to(request, back, "/users"),
        notice=f"User {user.username}'s role changed to {ROLE_LABELS[user.role]}",
    )


@router.post("/users/{username}/{action}")
def set_user_active(
    request: Request,
    session: DbSession,
    username: str,
    action: str,
    back: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.USER_MANAGE),
    _csrf: None = csrf,
) -> Response:
    if action not in {"disable", "enable"}:
        raise NotFound("no such action")
    try:
        with session.begin_nested():
            user = accounts.set_user_active(session, principal, username, action == "enable")
    except AllianceError as exc:
        form, status = failed_form(exc, {}, name="toggle")
        return _users_page(
            request,
            session,
            principal,
            form=form,
            status_code=status,
            back=back_to(request, back, "/users"),
        )
    done = "enabled" if user.active else "disabled"
    return redirect(
        request, back_to(request, back, "/users"), notice=f"User {user.username} {done}"
    )


# --- API keys ------------------------------------------------------------------------

KEY_FIELDS = {"name": "Name", "role": "Role", "days": "Valid for (days)"}
KEY_STATUS_OPTIONS = [("", "Any")] + [(s.value, label(s)) for s in accounts.KeyStatus]


def _keys_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    back: str | None = None,
    **extra: object,
) -> Response:
    kinds = {principal.organisation_kind} if principal.organisation_kind else set()
    grantable = accounts.grantable_roles(principal, kinds)
    query = request.query_params
    status_text = query.get("status") or ""
    try:
        status = accounts.KeyStatus(status_text) if status_text else None
    except ValueError:
        raise InvalidInput("status is active, expired or revoked", field="status") from None
    role_text = query.get("role") or ""
    organisation = query.get("organisation") or ""
    flt = accounts.ApiKeyFilter(
        organisation=organisation or None, role=_role(role_text), status=status
    )
    table, listing = read_table(
        request,
        sortable=accounts.API_KEY_SORTS,
        default="-created",
        filters={"organisation": organisation, "role": role_text, "status": status_text},
    )
    rows = accounts.list_api_keys(session, principal, flt, listing)
    if table.csv:
        # The prefix names a key; the secret is never kept, its hash never leaves.
        return csv_response(
            "api-keys.csv",
            [
                "Name",
                "Prefix",
                "Organisation",
                "Role",
                "Status",
                "Created (UTC)",
                "Expires (UTC)",
                "Last used (UTC)",
            ],
            [
                [
                    k.name,
                    k.prefix,
                    k.organisation.name,
                    k.role,
                    accounts.key_status(k),
                    k.created_at,
                    k.expires_at,
                    k.last_used_at,
                ]
                for k in rows
            ],
        )
    table.rows(rows)  # knows whether there is a next page
    shown = rows[: table.page_size]
    every_org = principal.reach(Permission.KEY_READ) is Reach.ALL
    default_role = accounts.least_privileged(grantable)
    return render(
        request,
        "keys.html",
        {
            "keys": [(k, accounts.key_status(k)) for k in shown],
            "back": back or here(request),
            "table": table,
            "can_manage": principal.can(Permission.KEY_MANAGE) and principal.organisation_id,
            "role_options": _role_options(grantable),
            "all_roles": _role_options(list(Role)),
            "default_role": default_role.value if default_role else "",
            "status_options": KEY_STATUS_OPTIONS,
            "filter_orgs": [
                (o.slug, o.name)
                for o in sorted(
                    accounts.list_organisations(session, principal), key=lambda o: o.name
                )
            ]
            if every_org
            else [],
            "max_days": app_state(request).settings.api_key_max_days,
            "form": form or forms.Form(),
            **extra,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/keys")
def keys(
    request: Request, session: DbSession, principal: Principal = page_requires(Permission.KEY_READ)
) -> Response:
    return _keys_page(request, session, principal)


@router.post("/keys")
def create_key(
    request: Request,
    session: DbSession,
    name: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=100)] = "",
    days: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = page_requires(Permission.KEY_MANAGE),
    _csrf: None = csrf,
) -> Response:
    values = {"name": name, "role": role, "days": days}
    try:
        data = ApiKeyIn.model_validate(values)
        with session.begin_nested():
            key, token = accounts.create_api_key(
                session, principal, data, max_days=app_state(request).settings.api_key_max_days
            )
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=KEY_FIELDS, name="key")
        return _keys_page(request, session, principal, form=form, status_code=status)
    return _keys_page(
        request,
        session,
        principal,
        headers=NO_STORE,
        notice=f"Key {key.name} ({key.prefix}) created",
        token=token,
        created_name=key.name,
    )


@router.post("/keys/{prefix}/revoke")
def revoke_key(
    request: Request,
    session: DbSession,
    prefix: str,
    back: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.KEY_MANAGE),
    _csrf: None = csrf,
) -> Response:
    try:
        with session.begin_nested():
            key = accounts.revoke_api_key(session, principal, prefix)
    except AllianceError as exc:
        form, status = failed_form(exc, {}, name="revoke")
        return _keys_page(
            request,
            session,
            principal,
            form=form,
            status_code=status,
            back=back_to(request, back, "/keys"),
        )
    return redirect(
        request,
        back_to(request, back, "/keys"),
        notice=f"Key {key.name} ({key.prefix}) revoked",
    )
