"""The alliance's member countries, and the names of every country.

:func:`country_name` (from :mod:`alliance.countries.names`, which needs no database) is the
one lookup of a country's English name by its ISO 3166-1 alpha-2 code, for the whole app;
:mod:`alliance.countries.register` keeps the member-country register (secretariat only).
Importing this package loads neither the database models nor the services.
"""

from alliance.countries.names import (
    IsoCountry,
    check_country_code,
    country_name,
    display_name,
    iso_countries,
)

__all__ = ["IsoCountry", "check_country_code", "country_name", "display_name", "iso_countries"]
