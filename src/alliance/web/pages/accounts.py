"""Pages for organisations, users and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.permissions import ROLE_LABELS, OrgKind, Permission, Reach, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, OrganisationIn, UserIn
from alliance.db.base import utcnow
from alliance.errors import NotFound
from alliance.validation import validated
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)


# --- organisations -------------------------------------------------------------------


def _orgs_page(
    request: Request,
    session: Session,
    principal: Principal,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    can_manage = principal.can(Permission.ORG_MANAGE)
    return render(
        request,
        "orgs.html",
        {
            "organisations": accounts.list_organisations(session, principal),
            "can_manage": can_manage,
            "kinds": [k.value for k in OrgKind],
            "jurisdictions": accounts.list_jurisdictions(session, principal) if can_manage else [],
            "message": message,
        },
        status_code=status_code,
    )


@router.get("/orgs")
def orgs(
    request: Request, session: DbSession, principal: Principal = page_requires(Permission.ORG_READ)
) -> Response:
    return _orgs_page(request, session, principal)


@router.post("/orgs")
def create_org(
    request: Request,
    session: DbSession,
    slug: Annotated[str, Form()],
    name: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    country_code: Annotated[str, Form()],
    principal: Principal = page_requires(Permission.ORG_MANAGE),
    _csrf: None = csrf,
) -> Response:
    data = validated(OrganisationIn, slug=slug, name=name, kind=kind, country_code=country_code)
    org = accounts.create_organisation(session, principal, data)
    return _orgs_page(request, session, principal, f"Added {org.name}.")


# --- users ---------------------------------------------------------------------------


def _users_page(
    request: Request, session: Session, principal: Principal, **extra: object
) -> Response:
    can_manage = principal.can(Permission.USER_MANAGE)
    manageable = []
    if can_manage:
        manageable = [
            o
            for o in accounts.list_organisations(session, principal)
            if principal.reach(Permission.USER_MANAGE) is Reach.ALL
            or o.id == principal.organisation_id
        ]
    roles = accounts.grantable_roles(principal, {o.kind for o in manageable}) if can_manage else []
    return render(
        request,
        "users.html",
        {
            "users": accounts.list_users(session, principal),
            "can_manage": can_manage,
            "manageable_orgs": manageable,
            "role_labels": {r: ROLE_LABELS[r] for r in (roles or list(Role))},
            "default_role": accounts.least_privileged(roles or list(Role)),
            **extra,
        },
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
    username: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    organisation: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
    principal: Principal = page_requires(Permission.USER_MANAGE),
    _csrf: None = csrf,
) -> Response:
    data = validated(
        UserIn,
        username=username,
        display_name=display_name,
        role=role,
        organisation=organisation,
        password=password or None,
    )
    user, generated = accounts.create_user(session, principal, data)
    return _users_page(
        request,
        session,
        principal,
        message=f"Added {user.username}.",
        generated_password=generated,
        created_username=user.username,
    )


@router.post("/users/{username}/{action}")
def set_user_active(
    request: Request,
    session: DbSession,
    username: str,
    action: str,
    principal: Principal = page_requires(Permission.USER_MANAGE),
    _csrf: None = csrf,
) -> Response:
    if action not in {"disable", "enable"}:
        raise NotFound("no such action")
    user = accounts.set_user_active(session, principal, username, action == "enable")
    return _users_page(
        request,
        session,
        principal,
        message=f"{user.username} {'enabled' if user.active else 'disabled'}.",
    )


# --- API keys ------------------------------------------------------------------------


def _keys_page(
    request: Request, session: Session, principal: Principal, **extra: object
) -> Response:
    kinds = {principal.organisation_kind} if principal.organisation_kind else set()
    grantable = accounts.grantable_roles(principal, kinds)
    return render(
        request,
        "keys.html",
        {
            "keys": accounts.list_api_keys(session, principal),
            "can_manage": principal.can(Permission.KEY_MANAGE) and principal.organisation_id,
            "grantable_roles": grantable,
            "default_role": accounts.least_privileged(grantable),
            "role_labels": ROLE_LABELS,
            "max_days": app_state(request).settings.api_key_max_days,
            "now": utcnow(),
            **extra,
        },
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
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    days: Annotated[str, Form()],
    principal: Principal = page_requires(Permission.KEY_MANAGE),
    _csrf: None = csrf,
) -> Response:
    data = validated(ApiKeyIn, name=name, role=role, days=days)
    key, token = accounts.create_api_key(
        session, principal, data, max_days=app_state(request).settings.api_key_max_days
    )
    return _keys_page(request, session, principal, token=token, created_name=key.name)


@router.post("/keys/{prefix}/revoke")
def revoke_key(
    request: Request,
    session: DbSession,
    prefix: str,
    principal: Principal = page_requires(Permission.KEY_MANAGE),
    _csrf: None = csrf,
) -> Response:
    key = accounts.revoke_api_key(session, principal, prefix)
    return _keys_page(request, session, principal, message=f"Revoked {key.name}.")
