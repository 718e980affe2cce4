"""The member-country register: kept by the secretariat, read by every member, audited;
bad codes, framework ids and contacts refused with the field named."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Jurisdiction
from alliance.accounts.permissions import ROLE_GRANTS, ROLES_BY_KIND, OrgKind, Permission, Role
from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent
from alliance.countries import register
from alliance.countries.schemas import MemberCountryChange, MemberCountryIn
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests import factories

OPERATOR = factories.OPERATOR


def country_in(**overrides: Any) -> MemberCountryIn:
    fields: dict[str, Any] = {"code": "nl", "joined_on": date(2012, 12, 5)}
    fields.update(overrides)
    return MemberCountryIn.model_validate(fields)


def events(session: Session, event_type: EventType) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == str(event_type)).order_by(AuditEvent.seq)
    ).scalars()
    return [{"subject": r.subject_id, **json.loads(r.details)} for r in rows]


def test_add_names_it_from_iso_and_adds_the_jurisdiction(session: Session) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL", slug="nl-contact")
    assert session.get(Jurisdiction, "KR") is None
    korea = register.add_country(session, OPERATOR, country_in(code="kr"))
    assert (korea.code, korea.name, korea.framework_ids) == ("KR", "Korea, Republic of", ["ga2012"])
    assert session.get(Jurisdiction, "KR") is not None
    nl = register.add_country(
        session,
        OPERATOR,
        country_in(
            name="The Netherlands",
            frameworks=["mnr2015", "GA2012", "mnr2015"],
            contacts=["nl-contact"],
            note="founding member",
        ),
    )
    assert nl.name == "The Netherlands"
    assert nl.framework_ids == ["ga2012", "mnr2015"]
    assert nl.contact_slugs == [hotline.slug]
    added = events(session, EventType.MEMBER_COUNTRY_ADDED)
    assert [e["subject"] for e in added] == ["KR", "NL"]
    assert added[1]["frameworks"] == ["ga2012", "mnr2015"]
    assert added[1]["contacts"] == ["nl-contact"] and added[1]["joined_on"] == "2012-12-05"
    assert [c.code for c in register.list_countries(session, OPERATOR)] == ["KR", "NL"]
    assert [c.code for c in register.list_countries(session, OPERATOR, framework="mnr2015")] == [
        "NL"
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"code": "XK"}, "code", "not an ISO 3166-1 alpha-2"),
        ({"code": "NLD"}, "code", "not an ISO 3166-1 alpha-2"),
        ({"frameworks": ["ga2012", "mnr2099"]}, "frameworks", "unknown framework 'mnr2099'"),
        ({"contacts": ["no-such-org"]}, "contacts", "no organisation named 'no-such-org'"),
        ({"contacts": ["gb-hotline-x"]}, "contacts", "an organisation of GB, not of NL"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    session: Session, overrides: dict[str, Any], field: str, words: str
) -> None:
    factories.organisation(session, OrgKind.hotline, "GB", slug="gb-hotline-x")
    with pytest.raises(InvalidInput) as refused:
        register.add_country(session, OPERATOR, country_in(**overrides))
    assert refused.value.field == field and words in refused.value.message
    assert register.list_countries(session, OPERATOR) == []
    assert events(session, EventType.MEMBER_COUNTRY_ADDED) == []


def test_a_country_is_registered_once(session: Session) -> None:
    register.add_country(session, OPERATOR, country_in())
    with pytest.raises(Conflict, match="NL is already a member country") as refused:
        register.add_country(session, OPERATOR, country_in(code="NL"))
    assert refused.value.field == "code"


def test_get_and_unknown_countries(session: Session) -> None:
    register.add_country(session, OPERATOR, country_in())
    assert register.get_country(session, OPERATOR, "nl").code == "NL"
    with pytest.raises(NotFound, match=r"GB \(United Kingdom\) is not a member country"):
        register.get_country(session, OPERATOR, "GB")
    with pytest.raises(InvalidInput) as refused:
        register.get_country(session, OPERATOR, "ZZ")
    assert refused.value.field == "code"
    with pytest.raises(InvalidInput) as bad_filter:
        register.list_countries(session, OPERATOR, framework="nope")
    assert bad_filter.value.field == "framework"


def test_update_changes_what_is_given_and_audits_the_difference(session: Session) -> None:
    police = factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-cops")
    country = register.add_country(session, OPERATOR, country_in())
    created = country.updated_at
    same = register.update_country(session, OPERATOR, "NL", MemberCountryChange(name="Netherlands"))
    assert same.updated_at == created
    assert events(session, EventType.MEMBER_COUNTRY_UPDATED) == []
    register.update_country(
        session,
        OPERATOR,
        "nl",
        MemberCountryChange(
            joined_on=date(2013, 1, 1), frameworks=["mnr2022"], contacts=[police.slug], note="x"
        ),
    )
    assert country.joined_on == date(2013, 1, 1)
    assert country.framework_ids == ["mnr2022"] and country.contact_slugs == ["nl-cops"]
    (changed,) = events(session, EventType.MEMBER_COUNTRY_UPDATED)
    assert changed["changes"] == {
        "joined_on": ["2012-12-05", "2013-01-01"],
        "frameworks": [["ga2012"], ["mnr2022"]],
        "contacts": [[], ["nl-cops"]],
        "note": ["", "x"],
    }
    # Lists that overlap what is registered keep the rows they share.
    register.update_country(
        session, OPERATOR, "NL", MemberCountryChange(frameworks=["mnr2022", "ga2012"])
    )
    session.expire_all()
    country = register.get_country(session, OPERATOR, "NL")
    assert country.framework_ids == ["ga2012", "mnr2022"]
    register.update_country(session, OPERATOR, "NL", MemberCountryChange(contacts=[]))
    assert country.contact_slugs == []
    with pytest.raises(InvalidInput) as refused:
        register.update_country(session, OPERATOR, "NL", MemberCountryChange(frameworks=["x1"]))
    assert refused.value.field == "frameworks"
    assert country.framework_ids == ["ga2012", "mnr2022"]
    with pytest.raises(InvalidInput):  # checked before anything changes
        register.update_country(
            session, OPERATOR, "NL", MemberCountryChange(name="Holland", contacts=["nobody"])
        )
    assert country.name == "Netherlands"
    with pytest.raises(NotFound):
        register.update_country(session, OPERATOR, "GB", MemberCountryChange(note="y"))


def test_the_permission_matrix_of_the_register(session: Session) -> None:
    """Every role reads the register; only the secretariat changes it (deny by default)."""
    register.add_country(session, OPERATOR, country_in())
    kind_of = {role: min(k for k, roles in ROLES_BY_KIND.items() if role in roles) for role in Role}
    for role in Role:
        org = factories.organisation(session, OrgKind(kind_of[role]), "NL")
        actor = factories.principal(factories.user(session, org, role))
        assert Permission.COUNTRY_READ in ROLE_GRANTS[role]
        assert "NL" in [c.code for c in register.list_countries(session, actor)]
        assert register.get_country(session, actor, "NL").code == "NL"
        manages = role is Role.secretariat_admin
        assert (Permission.COUNTRY_MANAGE in ROLE_GRANTS[role]) is manages
        change = MemberCountryChange(note=f"by {role.value}")
        if manages:
            register.update_country(session, actor, "NL", change)
            register.add_country(session, actor, country_in(code="BE"))
        else:
            with pytest.raises(PermissionDenied):
                register.update_country(session, actor, "NL", change)
            with pytest.raises(PermissionDenied):
                register.add_country(session, actor, country_in(code="FR"))
    assert [c.code for c in register.list_countries(session, OPERATOR)] == ["BE", "NL"]
