"""Where a host is hosted: DNS, geo database, provider directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from alliance.hosting import services
from alliance.hosting.geo import GeoDatabase, GeoNetwork, write_geo_database
from alliance.hosting.resolution import HostingResult, resolve_hosting
from alliance.hosting.resolver import ResolutionFailed, StaticHosts
from alliance.hosting.schemas import ProviderIn
from tests import factories

HOSTS = StaticHosts(
    {
        "shop.example.test": ["192.0.2.10"],
        "v6.example.test": ["2001:db8:1::10"],
        "mixed.example.test": ["10.0.0.5", "203.0.113.200", "198.51.100.10"],
        "internal.example.test": ["10.0.0.1", "::1"],
        "unmapped.example.test": ["203.0.113.50"],
        "asn-only.example.test": ["203.0.113.9"],
        "nobody.example.test": ["198.51.100.200"],
    }
)


@pytest.fixture
def geo(tmp_path: Path) -> Iterator[GeoDatabase]:
    path = tmp_path / "hosting.mmdb"
    write_geo_database(
        path,
        [
            GeoNetwork("192.0.2.0/24", "NL", 64500, "Example Hosting NL"),
            GeoNetwork("198.51.100.0/25", "DE", 64501, "Example Hosting DE"),
            GeoNetwork("198.51.100.128/25", "US", 64999, "Nobody's AS"),
            GeoNetwork("2001:db8:1::/48", "FR", 64502, "Example Hosting FR"),
        ],
    )
    asn_only = tmp_path / "asn.mmdb"
    write_geo_database(
        asn_only,
        [
            GeoNetwork("192.0.2.0/24", "NL", 64500, "Example Hosting NL"),
            GeoNetwork("198.51.100.0/25", "DE", 64501, "Example Hosting DE"),
            GeoNetwork("198.51.100.128/25", "US", 64999, "Nobody's AS"),
            GeoNetwork("2001:db8:1::/48", "FR", 64502, "Example Hosting FR"),
            GeoNetwork("203.0.113.0/28", "ZZ", 64503, "ASN only"),
        ],
    )
    with GeoDatabase(path, asn_only) as database:
        yield database


@pytest.fixture
def providers(session: Session) -> dict[str, int]:
    ids = {}
    for slug, country, asns in (
        ("nl-host", "NL", [64500]),
        ("de-host", "DE", [64501]),
        ("fr-host", "FR", [64502, 64503]),
    ):
        provider = services.create_provider(
            session,
            factories.OPERATOR,
            ProviderIn(slug=slug, name=slug, country_code=country, asns=asns),
        )
        ids[slug] = provider.id
    return ids


def test_found(session: Session, geo: GeoDatabase, providers: dict[str, int]) -> None:
    result = resolve_hosting(session, "shop.example.test", HOSTS, geo)
    assert result == HostingResult(
        addresses=["192.0.2.10"],
        ip_address="192.0.2.10",
        country_code="NL",
        asn=64500,
        as_org="Example Hosting NL",
        provider_id=providers["nl-host"],
        error=None,
    )


def test_ipv6(session: Session, geo: GeoDatabase, providers: dict[str, int]) -> None:
    result = resolve_hosting(session, "v6.example.test", HOSTS, geo)
    assert (result.ip_address, result.country_code, result.provider_id) == (
        "2001:db8:1::10",
        "FR",
        providers["fr-host"],
    )


def test_ip_literal_host(session: Session, geo: GeoDatabase, providers: dict[str, int]) -> None:
    result = resolve_hosting(session, "198.51.100.7", HOSTS, geo)
    assert result.country_code == "DE"
    assert result.provider_id == providers["de-host"]


def test_first_public_address_with_a_country(
    session: Session, geo: GeoDatabase, providers: dict[str, int]
) -> None:
    result = resolve_hosting(session, "mixed.example.test", HOSTS, geo)
    assert result.addresses == ["10.0.0.5", "203.0.113.200", "198.51.100.10"]
    assert result.ip_address == "198.51.100.10"
    assert result.country_code == "DE"
    assert result.provider_id == providers["de-host"]
    assert result.error is None


def test_no_provider_for_the_asn(session: Session, geo: GeoDatabase) -> None:
    result = resolve_hosting(session, "nobody.example.test", HOSTS, geo)
    assert (result.country_code, result.asn, result.provider_id) == ("US", 64999, None)
    assert result.error is None


def test_inactive_provider_is_not_chosen(
    session: Session, geo: GeoDatabase, providers: dict[str, int]
) -> None:
    services.update_provider(
        session,
        factories.OPERATOR,
        "nl-host",
        ProviderIn(slug="nl-host", name="nl-host", country_code="NL", asns=[64500], active=False),
    )
    result = resolve_hosting(session, "shop.example.test", HOSTS, geo)
    assert result.asn == 64500
    assert result.provider_id is None


def test_host_not_found(session: Session, geo: GeoDatabase) -> None:
    result = resolve_hosting(session, "gone.example.test", HOSTS, geo)
    assert result.error == "host not found"
    assert result.addresses == []
    assert result.ip_address is None


def test_dns_failure(session: Session, geo: GeoDatabase) -> None:
    class Failing:
        def resolve(self, host: str) -> list[str]:
            raise ResolutionFailed(f"DNS lookup of {host} timed out")

    result = resolve_hosting(session, "slow.example.test", Failing(), geo)
    assert result.error is not None and "timed out" in result.error


def test_private_addresses(session: Session, geo: GeoDatabase) -> None:
    result = resolve_hosting(session, "internal.example.test", HOSTS, geo)
    assert result.error is not None
    assert result.error.startswith("resolves to a private address")
    assert "10.0.0.1" in result.error and "::1" in result.error
    assert result.addresses == ["10.0.0.1", "::1"]
    assert result.ip_address is None
    assert result.country_code is None


def test_no_geo_database(session: Session) -> None:
    result = resolve_hosting(session, "shop.example.test", HOSTS, None)
    assert result.error == "no geo database configured"
    assert result.ip_address == "192.0.2.10"
    assert result.country_code is None


def test_address_not_in_geo_database(session: Session, geo: GeoDatabase) -> None:
    result = resolve_hosting(session, "unmapped.example.test", HOSTS, geo)
    assert result.error == "address not in the geo database"
    assert result.ip_address == "203.0.113.50"
    assert result.country_code is None
    assert result.asn is None


def test_asn_without_country_still_finds_the_provider(
    session: Session, geo: GeoDatabase, providers: dict[str, int]
) -> None:
    result = resolve_hosting(session, "asn-only.example.test", HOSTS, geo)
    assert result.error == "address not in the geo database"
    assert result.asn == 64503
    assert result.provider_id == providers["fr-host"]
