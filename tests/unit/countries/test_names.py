"""ISO 3166-1 names, shipped as data: every alpha-2 code, looked up in either case."""

from __future__ import annotations

import pytest

from alliance.countries import check_country_code, country_name, iso_countries
from alliance.errors import InvalidInput


def test_the_list_is_complete_and_well_formed() -> None:
    countries = iso_countries()
    assert len(countries) == 249  # every officially assigned alpha-2 code
    for code, country in countries.items():
        assert code == country.code and len(code) == 2 and code.isascii() and code.isupper()
        assert country.name.strip() == country.name != ""
    assert list(countries) == sorted(countries)


def test_names_by_code() -> None:
    assert country_name("NL") == "Netherlands"
    assert country_name(" gb ") == "United Kingdom"
    assert country_name("KR") == "Korea, Republic of"
    assert country_name("KR", common=True) == "South Korea"
    assert country_name("US", common=True) == "United States"
    for unknown in ("XK", "ZZ", "", "NLD", "ÉÉ"):
        assert country_name(unknown) is None


def test_check_refuses_what_is_not_iso_and_names_the_field() -> None:
    assert check_country_code(" nl") == "NL"
    for bad in ("XK", "N1", "NLD", "", "ﬀ"):
        with pytest.raises(InvalidInput) as refused:
            check_country_code(bad, field="country")
        assert refused.value.field == "country"
        assert "not an ISO 3166-1 alpha-2 country code" in refused.value.message
