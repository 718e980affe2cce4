"""The demo register: the 48 founding countries, marked as demo."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind
from alliance.countries import country_name, register
from alliance.demo import countries as demo
from tests import factories


def test_the_founding_list() -> None:
    assert len(demo.EU_2012) == 27 and len(demo.OTHERS_2012) == 21
    assert len(set(demo.FOUNDING)) == 48
    assert "GB" in demo.EU_2012 and "HR" in demo.OTHERS_2012  # as in December 2012
    assert {"US", "TR"} <= set(demo.OTHERS_2012)
    assert all(country_name(code) for code in demo.FOUNDING)


def test_build_registers_them_as_demo(session: Session) -> None:
    factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline")
    factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
    assert demo.build(session, factories.OPERATOR, ["NL"]) == 48
    countries = register.list_countries(session, factories.OPERATOR)
    assert [c.code for c in countries] == demo.FOUNDING
    assert all(c.demo and "Demo register" in c.note for c in countries)
    assert {c.joined_on.isoformat() for c in countries} == {"2012-12-05"}
    nl = register.get_country(session, factories.OPERATOR, "NL")
    assert nl.contact_slugs == ["nl-hotline", "nl-police"]
    assert nl.framework_ids == ["ga2012", "mnr2015"]
    assert register.get_country(session, factories.OPERATOR, "KR").name == "South Korea"
