"""ISO 3166-1: every alpha-2 code and its English short name, shipped as data.

``data/iso3166-1.json`` is taken from Debian's ``iso-codes`` (its source is named in the
file). It is read once, on first use. :func:`country_name` answers ``None`` for a code
that is not in ISO 3166-1, so that a page can fall back to the code;
:func:`check_country_code` refuses it with an error naming the field, for services.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alliance.errors import ConfigurationError, InvalidInput

DATA_FILE = Path(__file__).parent / "data" / "iso3166-1.json"


@dataclass(frozen=True)
class IsoCountry:
    code: str
    #: ISO's English short name ("Korea, Republic of").
    name: str
    #: A shorter everyday name where ISO's reads oddly ("South Korea"), else None.
    common_name: str | None = None

    @property
    def display_name(self) -> str:
        return self.common_name or self.name


@cache
def iso_countries() -> dict[str, IsoCountry]:
    """Every ISO 3166-1 country, by alpha-2 code, in code order."""
    try:
        doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
        rows = doc["countries"]
        countries = {
            row["code"]: IsoCountry(row["code"], row["name"], row.get("common_name"))
            for row in rows
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"the ISO 3166-1 list {DATA_FILE.name} is unreadable: {exc}"
        ) from None
    if len(countries) != len(rows):
        raise ConfigurationError(f"the ISO 3166-1 list {DATA_FILE.name} repeats a code")
    return countries


def _key(code: str) -> str:
    return code.strip().upper() if code.strip().isascii() else ""


def country_name(code: str, *, common: bool = False) -> str | None:
    """The English short name of ``code`` (either case), or None if ISO 3166-1 has no such
    code. ``common=True`` prefers the everyday name ("South Korea", "Vietnam")."""
    country = iso_countries().get(_key(code))
    if country is None:
        return None
    return country.display_name if common else country.name


#: User-assigned codes in common use that ISO 3166-1 does not hold (said, never checked).
USER_ASSIGNED = {"XK": "Kosovo"}


def display_name(code: str | None, registered: Mapping[str, str] | None = None) -> str:
    """What a page shows for ``code``: the registered jurisdiction's name, the everyday ISO
    name, a user-assigned code's name, or the code itself; "—" for no code."""
    if not code:
        return "—"
    key = _key(code)
    if registered and key in registered:
        return registered[key]
    return country_name(code, common=True) or USER_ASSIGNED.get(key) or code


def check_country_code(value: str, *, field: str = "code") -> str:
    """``value`` as an upper-case ISO 3166-1 alpha-2 code; anything else is InvalidInput
    naming ``field``."""
    code = _key(value)
    if code not in iso_countries():
        raise InvalidInput(
            f"{value.strip()[:20]!r} is not an ISO 3166-1 alpha-2 country code", field=field
        )
    return code
