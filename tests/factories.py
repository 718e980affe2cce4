"""Factories for test data: one call makes a valid record, keyword arguments vary it."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import ApiKey, Jurisdiction, Organisation, User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn

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
