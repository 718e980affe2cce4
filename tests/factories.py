"""Factories for test data: one call makes a valid record, keyword arguments vary it."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import ApiKey, Jurisdiction, Organisation, User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.banks.models import Bank
from alliance.takedown.models import ContentItem

OPERATOR = Principal.operator("test-operator")
PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def jurisdiction(session: Session, code: str = "NL", name: str | None = None) -> Jurisdiction:
    existing = session.get(Jurisdiction, code)
    if existing is not None:
        return existing
    return accounts.add_jurisdiction(
        session, OPERATOR, JurisdictionIn(code=code, name=name or f"Land {code}")
    )


def organisation(
    session: Session,
    kind: OrgKind = OrgKind.hotline,
    country: str = "NL",
    slug: str | None = None,
) -> Organisation:
    jurisdiction(session, country)
    slug = slug or f"{country.lower()}-{kind.value.replace('_', '-')}-{next(_counter)}"
    return accounts.create_organisation(
        session,
        OPERATOR,
        OrganisationIn(slug=slug, name=f"Test {slug}", kind=kind, country_code=country),
    )


def user(
    session: Session,
    org: Organisation | None = None,
    role: Role = Role.analyst,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    org = org or organisation(session)
    username = username or f"user-{next(_counter)}"
    created, _ = accounts.create_user(
        session,
        OPERATOR,
        UserIn(
            username=username,
            display_name=username,
            role=role,
            organisation=org.slug,
            password=password,
        ),
    )
    return created


def api_key(
    session: Session,
    org: Organisation | None = None,
    role: Role = Role.viewer,
    days: int = 30,
) -> tuple[ApiKey, str]:
    org = org or organisation(session)
    return accounts.create_api_key(
        session,
        OPERATOR,
        ApiKeyIn(name=f"key {next(_counter)}", role=role, days=days, organisation=org.slug),
        max_days=365,
    )


def principal(user_: User) -> Principal:
    return accounts.principal_for_user(user_)


def bank(
    session: Session,
    owner: Organisation | None = None,
    name: str | None = None,
    scope: str = "baseline",
    subscriber_kinds: tuple[OrgKind, ...] = (OrgKind.industry,),
    subscriber_countries: tuple[str, ...] = (),
    suppression: bool = False,
) -> Bank:
    from alliance.banks import services as banks
    from alliance.banks.schemas import BankIn

    owner = owner or organisation(session)
    return banks.create_bank(
        session,
        OPERATOR,
        BankIn(
            name=name or f"bank-{next(_counter)}",
            scope=scope,
            owner=owner.slug,
            subscriber_kinds=list(subscriber_kinds),
            subscriber_countries=list(subscriber_countries),
            suppression=suppression,
        ),
    )


def pdq_hex(seed: int) -> str:
    """A deterministic, well-spread 256-bit value in PDQ's text form."""
    import hashlib

    return hashlib.sha256(f"pdq-{seed}".encode()).hexdigest()


def flip_bits(hex_value: str, bits: int) -> str:
    """``hex_value`` with its lowest ``bits`` bits flipped: a near-duplicate at that distance."""
    return f"{int(hex_value, 16) ^ ((1 << bits) - 1):064x}"


def content_item(
    session: Session,
    url: str,
    *,
    stage: str = "notified",
    classification: str | None = "baseline",
    assigned: Organisation | None = None,
) -> ContentItem:
    """A takedown item at ``stage`` as if the workflow had brought it there (the URL
    normalised as intake does; open stages hold it as ``open_url``)."""
    from alliance import references
    from alliance.hosting.urls import normalise_url
    from alliance.takedown.models import OPEN_STAGES, Classification, ItemStage

    normal = normalise_url(url)
    item = ContentItem(
        reference=references.new("I"),
        url=normal.url,
        open_url=normal.url if ItemStage(stage) in OPEN_STAGES else None,
        host=normal.host,
        stage=ItemStage(stage),
        classification=None if classification is None else Classification(classification),
        assigned_organisation_id=None if assigned is None else assigned.id,
    )
    session.add(item)
    session.flush()
    return item
