"""One CountryCode and one Email for every schema; the NUL scanner across chunk borders."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from alliance.accounts.schemas import JurisdictionIn, OrganisationIn
from alliance.banks.formats.base import decode_text
from alliance.banks.schemas import BankIn
from alliance.errors import InvalidInput
from alliance.hosting.schemas import ProviderIn
from alliance.takedown.schemas import PublicReportIn, ReportIn, RouteIn
from alliance.validation import as_country_code
from alliance.victims.schemas import IdentifyIn, ReferralIn, SeriesIn, SeriesUpdate
from alliance.web.inputs import BodyScanner, SurrogateScanner

PROVIDER = {"slug": "p-one", "name": "P", "country_code": "NL"}
PUBLIC = {"url": "https://a.example.test/", "challenge": "c", "nonce": "n"}

#: Every schema that takes a country, and how to give it one.
COUNTRY_FIELDS: list[tuple[type[BaseModel], dict[str, Any], str, bool]] = [
    (JurisdictionIn, {"name": "N"}, "code", False),
    (OrganisationIn, {"slug": "org-one", "name": "O", "kind": "hotline"}, "country_code", False),
    (BankIn, {"name": "bank-one", "scope": "baseline"}, "subscriber_countries", True),
    (ProviderIn, PROVIDER, "country_code", False),
    (ReportIn, {"urls": ["https://a.example.test/"]}, "country_hint", False),
    (PublicReportIn, PUBLIC, "country_hint", False),
    (RouteIn, {}, "country_code", False),
    (SeriesIn, {"name": "Blue"}, "countries", True),
    (SeriesUpdate, {}, "countries", True),
    (IdentifyIn, {}, "country", False),
    (ReferralIn, {}, "country", False),
]


@pytest.mark.parametrize(("model", "base", "field", "many"), COUNTRY_FIELDS)
def test_every_country_field_takes_ascii_alpha_2_only(
    model: type[BaseModel], base: dict[str, Any], field: str, many: bool
) -> None:
    def given(value: str) -> Any:
        built = model.model_validate({**base, field: [value] if many else value})
        return getattr(built, field)

    assert given(" nl ") == (["NL"] if many else "NL")
    for bad in ("ÉÉ", "N1", "NLD", "N", "ﬀ", "\u0130\u0130"):
        with pytest.raises(ValidationError, match="ISO 3166-1 alpha-2"):
            given(bad)


def test_services_use_the_same_rule() -> None:
    assert as_country_code("be") == "BE"
    with pytest.raises(InvalidInput, match="ISO 3166-1 alpha-2"):
        as_country_code("ÉÉ")


@pytest.mark.parametrize(
    ("model", "base", "field"),
    [(ProviderIn, PROVIDER, "abuse_email"), (PublicReportIn, PUBLIC, "contact")],
)
def test_every_email_field_has_one_rule(
    model: type[BaseModel], base: dict[str, Any], field: str
) -> None:
    built = model.model_validate({**base, field: " Abuse@Host.EXAMPLE.test "})
    assert getattr(built, field) == "Abuse@host.example.test"
    assert getattr(model.model_validate({**base, field: "  "}), field) is None
    for bad in ("no-at-sign", "a@b", "a b@c.example", "a@b.c.", "x" * 250 + "@e.example"):
        with pytest.raises(ValidationError, match="not an e-mail address"):
            model.model_validate({**base, field: bad})


def test_nul_is_refused_by_schemas_outside_the_web() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ReportIn.model_validate({"urls": ["https://a.example.test/"], "description": "a\x00"})


def test_uploaded_text_formats_refuse_nul_bytes_outside_the_web_too() -> None:
    with pytest.raises(InvalidInput, match="NUL byte at offset 6"):
        decode_text(b"md5,ab\x00", "CSV file")


def _scan(chunks: list[bytes], *, json: bool = True, form: bool = False) -> bool:
    scanner = BodyScanner(json_escapes=json, percent_escapes=form)
    return any(scanner.found_in(chunk) for chunk in chunks)


def test_scanner_finds_escapes_across_chunks_and_counts_backslashes() -> None:
    assert _scan([b'{"a": "x\\u00', b'00"}'])
    assert _scan([b'{"a": "\\', b'u0000"}'])
    assert _scan([b'{"a": "\\\\', b"\\\\", b'\\u0000"}'])  # five backslashes: an escape
    assert not _scan([b'{"a": "\\\\', b'u0000"}'])  # an escaped backslash, then text
    assert not _scan([b'{"a": "\\\\\\\\', b'u0000"}'])
    assert _scan([b"plain \x00 byte"], json=False)
    assert _scan([b"a=b%0", b"0"], json=False, form=True)
    assert not _scan([b"a=b%20c"], json=False, form=True)


def _lone(chunks: list[bytes]) -> bool:
    scanner = SurrogateScanner()
    return any(scanner.found_in(chunk, last=n == len(chunks) - 1) for n, chunk in enumerate(chunks))


@pytest.mark.parametrize("split", range(1, 30))
def test_surrogate_escapes_must_pair_wherever_the_chunks_break(split: int) -> None:
    def chunks(body: bytes) -> list[bytes]:
        return [body[:split], body[split:]]

    assert not _lone(chunks(b'{"a": ["x\\ud83d\\ude00y", "\\uD83D\\uDE00"]}'))  # pairs: fine
    assert not _lone(chunks(b'{"a": "\\\\ud800 is text after an escaped backslash"}'))
    assert _lone(chunks(b'{"urls": ["http://s.example.test/\\udc80"]}'))  # a lone low
    assert _lone(chunks(b'{"banks": ["\\ud800"]}'))  # a lone high
    assert _lone(chunks(b'{"a": "\\ud800\\\\\\udc00"}'))  # a backslash between them
    assert _lone(chunks(b'{"a": "\\ude00\\ud83d"}'))  # the wrong order
    assert _lone(chunks(b'{"a": "x\\ud83d"}'))  # a high at the very end


def test_json_surrogates_are_checked_in_one_long_stream() -> None:
    body = b'["' + b"\\ud83d\\ude00" * 5000 + b'"]'
    assert not _lone([body[n : n + 7] for n in range(0, len(body), 7)])
    bad = body[:-2] + b'\\udc00"]'
    assert _lone([bad[n : n + 7] for n in range(0, len(bad), 7)])
