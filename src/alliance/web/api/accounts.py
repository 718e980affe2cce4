"""API for jurisdictions, organisations, users and API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request

from alliance.accounts import services as accounts
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    JurisdictionIn,
    JurisdictionOut,
    OrganisationIn,
    OrganisationOut,
    UserCreated,
    UserIn,
    UserOut,
)
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/jurisdictions")
def list_jurisdictions(
    session: DbSession, principal: Principal = requires(Permission.JURISDICTION_READ)
) -> list[JurisdictionOut]:
    """Every jurisdiction (country) known to this deployment."""
    return [
        JurisdictionOut.model_validate(j) for j in accounts.list_jurisdictions(session, principal)
    ]


@router.post("/jurisdictions", status_code=201, responses=answers(409))
def add_jurisdiction(
    data: JurisdictionIn,
    session: DbSession,
    principal: Principal = requires(Permission.JURISDICTION_MANAGE),
) -> JurisdictionOut:
    """Add a jurisdiction."""
    return JurisdictionOut.model_validate(accounts.add_jurisdiction(session, principal, data))


@router.get("/organisations")
def list_organisations(
    session: DbSession, principal: Principal = requires(Permission.ORG_READ)
) -> list[OrganisationOut]:
    """The member directory."""
    return [
        OrganisationOut.model_validate(o) for o in accounts.list_organisations(session, principal)
    ]


@router.post("/organisations", status_code=201, responses=answers(404, 409))
def create_organisation(
    data: OrganisationIn,
    session: DbSession,
    principal: Principal = requires(Permission.ORG_MANAGE),
) -> OrganisationOut:
    """Onboard a member organisation."""
    return OrganisationOut.model_validate(accounts.create_organisation(session, principal, data))


@router.get("/organisations/{slug}")
def get_organisation(
    slug: str, session: DbSession, principal: Principal = requires(Permission.ORG_READ)
) -> OrganisationOut:
    """One member organisation."""
    return OrganisationOut.model_validate(accounts.get_organisation(session, principal, slug))


@router.get("/users", responses=answers(404))
def list_users(
    session: DbSession,
    organisation: str | None = None,
    principal: Principal = requires(Permission.USER_READ),
) -> list[UserOut]:
    """Users you may see: your organisation's, or every one's for the secretariat."""
    return [
        UserOut.model_validate(u) for u in accounts.list_users(session, principal, organisation)
    ]


@router.post("/users", status_code=201, responses=answers(404, 409))
def create_user(
    data: UserIn, session: DbSession, principal: Principal = requires(Permission.USER_MANAGE)
) -> UserCreated:
    """Create a user; a generated password is returned this once."""
    user, generated = accounts.create_user(session, principal, data)
    return UserCreated(user=UserOut.model_validate(user), password=generated)


@router.get("/users/{username}")
def get_user(
    username: str, session: DbSession, principal: Principal = requires(Permission.USER_READ)
) -> UserOut:
    """One user."""
    return UserOut.model_validate(accounts.get_user(session, principal, username))


@router.post("/users/{username}/disable", responses=answers(409))
def disable_user(
    username: str, session: DbSession, principal: Principal = requires(Permission.USER_MANAGE)
) -> UserOut:
    """Disable a user: their web sessions end at once."""
    return UserOut.model_validate(accounts.set_user_active(session, principal, username, False))


@router.post("/users/{username}/enable", responses=answers(409))
def enable_user(
    username: str, session: DbSession, principal: Principal = requires(Permission.USER_MANAGE)
) -> UserOut:
    """Enable a disabled user."""
    return UserOut.model_validate(accounts.set_user_active(session, principal, username, True))


@router.get("/api-keys")
def list_api_keys(
    session: DbSession, principal: Principal = requires(Permission.KEY_READ)
) -> list[ApiKeyOut]:
    """API keys of your organisation (never the keys themselves)."""
    return [ApiKeyOut.model_validate(k) for k in accounts.list_api_keys(session, principal)]


@router.post("/api-keys", status_code=201, responses=answers(404))
def create_api_key(
    data: ApiKeyIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.KEY_MANAGE),
) -> ApiKeyCreated:
    """Create an API key; the key is in the response this once."""
    key, token = accounts.create_api_key(
        session, principal, data, max_days=app_state(request).settings.api_key_max_days
    )
    return ApiKeyCreated(api_key=ApiKeyOut.model_validate(key), token=token)


@router.post("/api-keys/{prefix}/revoke")
def revoke_api_key(
    prefix: str, session: DbSession, principal: Principal = requires(Permission.KEY_MANAGE)
) -> ApiKeyOut:
    """Revoke an API key; it stops working at once."""
    return ApiKeyOut.model_validate(accounts.revoke_api_key(session, principal, prefix))
