"""API for the hosting-provider directory: read by every member, kept by the secretariat."""

from __future__ import annotations

from fastapi import APIRouter

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.hosting import services as hosting
from alliance.hosting.schemas import ProviderIn, ProviderOut
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires

router = APIRouter(prefix="/api/v1", tags=["hosting"])


@router.get("/providers")
def list_providers(
    session: DbSession, principal: Principal = requires(Permission.PROVIDER_READ)
) -> list[ProviderOut]:
    """Every hosting provider in the directory, by slug: its AS numbers and abuse contacts."""
    return [ProviderOut.model_validate(p) for p in hosting.list_providers(session, principal)]


@router.get("/providers/{slug}")
def get_provider(
    slug: str, session: DbSession, principal: Principal = requires(Permission.PROVIDER_READ)
) -> ProviderOut:
    """One hosting provider (an unknown slug is 404)."""
    return ProviderOut.model_validate(hosting.get_provider(session, principal, slug))


@router.post("/providers", status_code=201, responses=answers(409))
def create_provider(
    data: ProviderIn,
    session: DbSession,
    principal: Principal = requires(Permission.PROVIDER_MANAGE),
) -> ProviderOut:
    """Add a provider. A slug already taken, or an AS number that already belongs to an
    active provider, is 409: routing by ASN must have one answer."""
    return ProviderOut.model_validate(hosting.create_provider(session, principal, data))


@router.put("/providers/{slug}", responses=answers(409))
def update_provider(
    slug: str,
    data: ProviderIn,
    session: DbSession,
    principal: Principal = requires(Permission.PROVIDER_MANAGE),
) -> ProviderOut:
    """Replace every field of a provider (``slug`` in the body may rename it); each change
    is audited with its old and new value."""
    return ProviderOut.model_validate(hosting.update_provider(session, principal, slug, data))
