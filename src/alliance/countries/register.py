"""The member-country register: kept by the secretariat, readable by every member.

A registered country is an ISO 3166-1 code (anything else is refused, naming the field),
a name (ISO's English short name unless given), the date it joined, the framework
versions it reports against (ids of :mod:`alliance.frameworks`) and its national contact
organisations (organisations of that country). Registering a country the platform does
not know as a jurisdiction adds the jurisdiction too. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import Jurisdiction, Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.accounts.schemas import JurisdictionIn
from alliance.audit import EventType, record
from alliance.countries.models import MemberCountry, MemberCountryContact, MemberCountryFramework
from alliance.countries.names import check_country_code, country_name
from alliance.countries.schemas import MemberCountryChange, MemberCountryIn
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound
from alliance.frameworks import check_framework_ids

#: The columns a list of member countries may be sorted by.
COUNTRY_SORTS: dict[str, Any] = {
    "code": MemberCountry.code,
    "name": MemberCountry.name,
    "joined": MemberCountry.joined_on,
}


def list_countries(
    session: Session,
    principal: Principal,
    *,
    framework: str | None = None,
    listing: Listing | None = None,
) -> list[MemberCountry]:
    """The register, by code unless ``listing`` says otherwise; ``framework`` keeps the
    countries that report against that framework version."""
    authorize(principal, Permission.COUNTRY_READ)
    query = select(MemberCountry)
    if framework:
        (framework_id,) = check_framework_ids([framework], field="framework")
        query = query.where(
            MemberCountry.code.in_(
                select(MemberCountryFramework.country_code).where(
                    MemberCountryFramework.framework_id == framework_id
                )
            )
        )
    listing = listing or Listing(sort="code", limit=None)
    return list(
        session.execute(
            ordered(query, listing, COUNTRY_SORTS, [MemberCountry.code.asc()])
        ).scalars()
    )


def public_register(session: Session) -> list[MemberCountry]:
    """Every member country, by name: who is in the alliance is public (its national
    contacts are for members: :func:`get_country`)."""
    return list(session.execute(select(MemberCountry).order_by(MemberCountry.name)).scalars())


def registered(session: Session, code: str) -> MemberCountry:
    """A member country by code, for anyone; NotFound when it is not one."""
    return _registered(session, check_country_code(code, field="country"))


def get_country(session: Session, principal: Principal, code: str) -> MemberCountry:
    authorize(principal, Permission.COUNTRY_READ)
    return _registered(session, check_country_code(code, field="code"))


def add_country(session: Session, principal: Principal, data: MemberCountryIn) -> MemberCountry:
    """Register a country; a code already registered is a Conflict."""
    authorize(principal, Permission.COUNTRY_MANAGE)
    code = check_country_code(data.code, field="code")
    if session.get(MemberCountry, code) is not None:
        raise Conflict(f"{code} is already a member country", field="code")
    name = (data.name or "").strip() or country_name(code) or code
    frameworks = sorted(check_framework_ids(data.frameworks, field="frameworks"))
    contacts = _contacts(session, code, data.contacts)
    if session.get(Jurisdiction, code) is None:
        accounts.add_jurisdiction(session, principal, JurisdictionIn(code=code, name=name))
    country = MemberCountry(
        code=code, name=name, joined_on=data.joined_on, note=data.note, demo=data.demo
    )
    country.frameworks = [MemberCountryFramework(framework_id=f) for f in frameworks]
    country.contacts = [MemberCountryContact(organisation_id=org.id) for org in contacts]
    session.add(country)
    session.flush()
    record(
        session,
        principal,
        EventType.MEMBER_COUNTRY_ADDED,
        "member_country",
        code,
        _state(country),
    )
    return country


def update_country(
    session: Session, principal: Principal, code: str, change: MemberCountryChange
) -> MemberCountry:
    """Change the fields ``change`` gives; nothing given, or nothing different, changes
    nothing and writes no event."""
    authorize(principal, Permission.COUNTRY_MANAGE)
    country = _registered(session, check_country_code(code, field="code"))
    # Everything is checked before anything changes.
    name = change.name.strip() if change.name is not None else None
    if name == "":
        raise InvalidInput("a country's name cannot be empty", field="name")
    frameworks = (
        sorted(check_framework_ids(change.frameworks, field="frameworks"))
        if change.frameworks is not None
        else None
    )
    contacts = (
        _contacts(session, country.code, change.contacts) if change.contacts is not None else None
    )
    before = _state(country)
    if name is not None:
        country.name = name
    if change.joined_on is not None:
        country.joined_on = change.joined_on
    if change.note is not None:
        country.note = change.note
    if frameworks is not None:
        kept = [f for f in country.frameworks if f.framework_id in frameworks]
        have = {f.framework_id for f in kept}
        country.frameworks = kept + [
            MemberCountryFramework(framework_id=f) for f in frameworks if f not in have
        ]
    if contacts is not None:
        wanted = {o.id for o in contacts}
        kept_contacts = [c for c in country.contacts if c.organisation_id in wanted]
        present = {c.organisation_id for c in kept_contacts}
        country.contacts = kept_contacts + [
            MemberCountryContact(organisation_id=o.id) for o in contacts if o.id not in present
        ]
    session.flush()
    after = _state(country)
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changes:
        return country
    country.updated_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        EventType.MEMBER_COUNTRY_UPDATED,
        "member_country",
        country.code,
        {"changes": changes},
    )
    return country


def _registered(session: Session, code: str) -> MemberCountry:
    country = session.get(MemberCountry, code)
    if country is None:
        raise NotFound(f"{code} ({country_name(code)}) is not a member country")
    return country


def _contacts(session: Session, code: str, slugs: Sequence[str]) -> list[Organisation]:
    """The organisations named by ``slugs``, each of country ``code``."""
    orgs: list[Organisation] = []
    for raw in slugs:
        slug = raw.strip()
        org = session.execute(
            select(Organisation).where(Organisation.slug == slug)
        ).scalar_one_or_none()
        if org is None:
            raise InvalidInput(f"no organisation named {slug!r}", field="contacts")
        if org.country_code != code:
            raise InvalidInput(
                f"{slug} is an organisation of {org.country_code}, not of {code}: "
                "a national contact must be of the country",
                field="contacts",
            )
        if org not in orgs:
            orgs.append(org)
    return orgs


def _state(country: MemberCountry) -> dict[str, Any]:
    return {
        "name": country.name,
        "joined_on": country.joined_on.isoformat(),
        "frameworks": country.framework_ids,
        "contacts": country.contact_slugs,
        "note": country.note,
        "demo": country.demo,
    }
