"""The hosting-provider directory: kept by the secretariat, readable by every member.

An AS number belongs to at most one active provider, so that routing by ASN has one
answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.db import like
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound
from alliance.hosting.models import HostingProvider
from alliance.hosting.schemas import ProviderIn

#: The columns a list of providers may be sorted by.
PROVIDER_SORTS: dict[str, Any] = {
    "name": HostingProvider.name,
    "slug": HostingProvider.slug,
    "country": HostingProvider.country_code,
    "active": HostingProvider.active,
    "updated": HostingProvider.updated_at,
}


def list_providers(
    session: Session,
    principal: Principal,
    *,
    country: str | None = None,
    search: str | None = None,
    listing: Listing | None = None,
) -> list[HostingProvider]:
    """The directory, by slug unless ``listing`` says otherwise; ``country`` is a seat's
    code, ``search`` a part of the name or slug."""
    authorize(principal, Permission.PROVIDER_READ)
    query = select(HostingProvider)
    if country:
        query = query.where(HostingProvider.country_code == country.strip().upper())
    if search and search.strip():
        term = search.strip().lower()  # either case, on both databases
        query = query.where(
            or_(
                like.contains(func.lower(HostingProvider.name), term),
                like.contains(HostingProvider.slug, term),
            )
        )
    listing = listing or Listing(sort="slug", limit=None)
    tiebreak = HostingProvider.id.desc() if listing.descending else HostingProvider.id.asc()
    return list(session.execute(ordered(query, listing, PROVIDER_SORTS, [tiebreak])).scalars())


def provider_countries(session: Session, principal: Principal) -> list[str]:
    """The codes of the countries the directory's providers are seated in."""
    authorize(principal, Permission.PROVIDER_READ)
    found = select(HostingProvider.country_code).distinct()
    return sorted(c for c in session.execute(found).scalars() if c)


def get_provider(session: Session, principal: Principal, slug: str) -> HostingProvider:
    authorize(principal, Permission.PROVIDER_READ)
    provider = _by_slug(session, slug)
    if provider is None:
        raise NotFound(f"no hosting provider named {slug!r}")
    return provider


def provider_for_asn(session: Session, asn: int) -> HostingProvider | None:
    """The active provider that lists ``asn`` (the directory is small: filtered here,
    which works the same on SQLite and PostgreSQL JSON)."""
    active = session.execute(
        select(HostingProvider).where(HostingProvider.active).order_by(HostingProvider.id)
    ).scalars()
    return next((p for p in active if asn in (p.asns or [])), None)


def create_provider(session: Session, principal: Principal, data: ProviderIn) -> HostingProvider:
    authorize(principal, Permission.PROVIDER_MANAGE)
    if _by_slug(session, data.slug) is not None:
        raise Conflict(f"a hosting provider named {data.slug!r} already exists")
    if data.active:
        _check_asns_free(session, data.asns, None)
    provider = HostingProvider(**data.model_dump(exclude={"member"}))
    provider.organisation = _member(session, data.member)
    session.add(provider)
    session.flush()
    record(
        session,
        principal,
        EventType.PROVIDER_CREATED,
        "provider",
        provider.slug,
        data.model_dump(mode="json"),
    )
    return provider


def update_provider(
    session: Session, principal: Principal, slug: str, data: ProviderIn
) -> HostingProvider:
    """Replace every field of provider ``slug`` (which ``data.slug`` may rename)."""
    authorize(principal, Permission.PROVIDER_MANAGE)
    provider = _by_slug(session, slug)
    if provider is None:
        raise NotFound(f"no hosting provider named {slug!r}")
    if data.slug != slug and _by_slug(session, data.slug) is not None:
        raise Conflict(f"a hosting provider named {data.slug!r} already exists")
    if data.active:
        _check_asns_free(session, data.asns, provider.id)
    before = ProviderIn.model_validate(provider, from_attributes=True).model_dump(mode="json")
    after = data.model_dump(mode="json")
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changes:
        return provider
    member = _member(session, data.member)
    for field, value in data.model_dump(exclude={"member"}).items():
        setattr(provider, field, value)
    provider.organisation = member
    provider.updated_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        EventType.PROVIDER_UPDATED,
        "provider",
        slug,
        {"changes": changes},
    )
    return provider


def _member(session: Session, slug: str | None) -> Organisation | None:
    """The industry member organisation ``slug`` names (None: no member)."""
    if slug is None:
        return None
    found = session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()
    if found is None:
        raise InvalidInput(f"no member organisation {slug!r}", field="member")
    if found.kind is not OrgKind.industry:
        raise InvalidInput(
            f"{found.name} is a {found.kind.value.replace('_', ' ')} member, not a company: "
            "only an industry member can be a hosting provider",
            field="member",
        )
    return found


def _by_slug(session: Session, slug: str) -> HostingProvider | None:
    return session.execute(
        select(HostingProvider).where(HostingProvider.slug == slug)
    ).scalar_one_or_none()


def _check_asns_free(session: Session, asns: list[int], own_id: int | None) -> None:
    for asn in asns:
        holder = provider_for_asn(session, asn)
        if holder is not None and holder.id != own_id:
            raise Conflict(f"AS{asn} already belongs to active provider {holder.slug!r}")
