"""The demo register of member countries: the alliance's 48 founding countries.

A **demo register**, not the alliance's official list. Launched on 5 December 2012 with
48 countries, the 27 EU member states of the day and 21 others (research note
``frameworks.md`` §1). The research gives no list of names; the 21 below are those news
reports of the launch name (Times of Malta and voiceofgreyhat.com, December 2012). The 27
EU states are those of December 2012: the United Kingdom is one of them and Croatia, not
yet in the EU, is among the 21 others. Every country joins on the launch date, reports
against the declaration (``ga2012``); the countries where the demo has members report
against the Model National Response too and name their hotline and police as national
contacts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.countries import country_name
from alliance.countries import register as countries
from alliance.countries.schemas import MemberCountryIn

LAUNCH = date(2012, 12, 5)
NOTE = "Demo register: a founding member as reported at the launch, not an official record."

#: The EU's 27 member states on 5 December 2012.
EU_2012 = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GB",
    "GR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
#: The 21 other founding countries, as launch news reports name them.
OTHERS_2012 = [
    "AL",
    "AU",
    "GE",
    "GH",
    "HR",
    "JP",
    "KH",
    "KR",
    "MD",
    "ME",
    "NG",
    "NO",
    "NZ",
    "PH",
    "RS",
    "CH",
    "TH",
    "TR",
    "UA",
    "US",
    "VN",
]
FOUNDING = sorted([*EU_2012, *OTHERS_2012])


def build(session: Session, actor: Principal, member_countries: list[str]) -> int:
    """Register the 48 founding countries; ``member_countries`` (where the demo has a
    hotline and a police force, slugs ``<cc>-hotline`` and ``<cc>-police``) get those as
    national contacts. Returns how many countries were registered."""
    for code in FOUNDING:
        full = code in member_countries
        low = code.lower()
        countries.add_country(
            session,
            actor,
            MemberCountryIn(
                code=code,
                name=country_name(code, common=True),
                joined_on=LAUNCH,
                # Each reports against the declaration and assesses its capabilities
                # against the 2015 Model National Response.
                frameworks=["ga2012", "mnr2015"],
                contacts=[f"{low}-hotline", f"{low}-police"] if full else [],
                note=NOTE,
                demo=True,
            ),
        )
    return len(FOUNDING)
