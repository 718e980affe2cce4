"""The value types every schema shares, and validating fields from a form or the command
line with the API's own schemas.

One definition each, so that a country code or an e-mail address means the same thing in
every form, file and route:

- ``CountryCode``: ISO 3166-1 alpha-2, two ASCII letters A-Z, upper-cased ("ÉÉ" is refused;
  ``str.isalpha`` alone would take it).
- ``Email``: a shape check only (whether mail arrives is learnt by sending), at most 254
  characters, the domain lower-cased.
- ``Text``: a string without NUL characters. The web app refuses NUL in every request
  before it reaches a route (:mod:`alliance.web.inputs`); schemas used by the CLI and by
  file imports refuse it here (PostgreSQL cannot store NUL in text, SQLite can: the two
  back ends must not differ).
- ``web_address``: an http(s) address with a host and no spaces (libraries and
  assessments hold links, never files).
- ``DbInt`` (a database ``BIGINT``), ``RecordId`` (a positive row id, an ``INTEGER``
  column: 2^31 - 1 at most), ``Offset`` and ``SeqNo`` (non-negative ``BIGINT``): an
  integer past its column's range cannot be bound as a parameter, so an unbounded ``int``
  from a request was a server error. Every integer a request carries
  is one of these (or a narrower ``Field``).
- ``data_file``: a JSON data file shipped with the package (the frameworks, the indicator
  catalogue), read and validated against its schema at start-up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError

from alliance.errors import ConfigurationError, InvalidInput

Model = TypeVar("Model", bound=BaseModel)

#: The largest value of a signed 64-bit integer, PostgreSQL's and SQLite's widest.
DB_INT_MAX = 2**63 - 1
DB_INT_MIN = -(2**63)
#: Row ids and line numbers are INTEGER columns: 32 bits on PostgreSQL.
ID_MAX = 2**31 - 1

NUL = "\x00"
COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
# A shape check only: whether mail arrives is learnt by sending.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_EMAIL = 254


def no_nul(value: Any) -> Any:
    # Before the str schema, so that a Field's max_length stays a string constraint.
    if isinstance(value, str) and NUL in value:
        raise ValueError("must not contain NUL characters")
    return value


def country_code(value: str) -> str:
    """``value`` as an ISO 3166-1 alpha-2 code (``" nl "`` → ``"NL"``), or ValueError."""
    code = value.strip()
    # Checked before upper-casing: "ﬀ".upper() is "FF".
    if not COUNTRY_RE.fullmatch(code):
        raise ValueError(f"{value!r} is not a country code (ISO 3166-1 alpha-2: two letters A-Z)")
    return code.upper()


def email_address(value: str) -> str:
    """``value`` trimmed, its domain lower-cased, or ValueError when it is not shaped like
    an e-mail address."""
    value = value.strip()
    if len(value) > MAX_EMAIL or not EMAIL_RE.match(value):
        raise ValueError(f"{value[:60]!r} is not an e-mail address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def as_country_code(value: str) -> str:
    """:func:`country_code` for services: a bad code is InvalidInput."""
    try:
        return country_code(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def web_address(url: str, *, field: str = "links") -> str:
    """``url`` trimmed when it is a web address (http or https, with a host, no spaces),
    else InvalidInput naming ``field``: a ``javascript:`` or ``file:`` link is refused."""
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"{value[:80]!r} is not a web address starting with http:// or https://",
            field=field,
        )
    if any(c.isspace() for c in value):
        raise InvalidInput(f"{value[:80]!r}: a web address has no spaces", field=field)
    return value


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Text = Annotated[str, BeforeValidator(no_nul)]
CountryCode = Annotated[
    str,
    AfterValidator(country_code),
    Field(description="ISO 3166-1 alpha-2 code (two letters A-Z)", examples=["NL"]),
]
#: An optional country code: blank or absent is None.
OptionalCountryCode = Annotated[CountryCode | None, BeforeValidator(_blank_is_none)]
Email = Annotated[
    str,
    AfterValidator(email_address),
    Field(description="an e-mail address", examples=["abuse@example.test"]),
]
OptionalEmail = Annotated[Email | None, BeforeValidator(_blank_is_none)]

DbInt = Annotated[int, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]
RecordId = Annotated[int, Field(ge=1, le=ID_MAX)]
Offset = Annotated[int, Field(ge=0, le=DB_INT_MAX)]
SeqNo = Annotated[int, Field(ge=0, le=DB_INT_MAX)]
#: A page of a listing, 1 first (pages clamp smaller numbers to 1).
PageNumber = Annotated[int, Field(le=1_000_000_000)]
#: Days of a lifetime (API keys, holds): services hold them to their settings; this bound
#: only keeps a date from overflowing (year 9999) before they can.
Days = Annotated[int, Field(ge=1, le=1_000_000)]


def validated(model: type[Model], **fields: Any) -> Model:
    """``model`` built from ``fields``; problems become one readable InvalidInput."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'input'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(problems) from None


def data_file(
    path: Path, model: type[Model], *, what: str, error: type[ConfigurationError]
) -> Model:
    """The JSON file at ``path`` as ``model``; an unreadable, malformed or invalid file is
    ``error``, its message naming ``what`` and the file, and each field at fault."""
    where = f"{what} {path.name}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{where}: cannot read it: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{where}: not JSON: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'file'}: {err['msg']}" for err in exc.errors()
        )
        raise error(f"{where}: {problems}") from None
