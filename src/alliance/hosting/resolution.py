"""Where a host is hosted: its address, that address's country and ASN, and the provider.

Used when a report is routed. Every expected failure (no such host, a private address, no
geo database, an address the database does not know) is a result with ``error`` set, so a
report is still accepted and an analyst can route it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from alliance.hosting.addresses import forbidden_reason, parse_address
from alliance.hosting.geo import GeoDatabase, GeoRecord
from alliance.hosting.resolver import HostNotFound, ResolutionFailed, Resolver
from alliance.hosting.services import provider_for_asn


@dataclass(frozen=True)
class HostingResult:
    addresses: list[str]
    ip_address: str | None
    country_code: str | None
    asn: int | None
    as_org: str | None
    provider_id: int | None
    error: str | None


def resolve_hosting(
    session: Session, host: str, resolver: Resolver, geo: GeoDatabase | None
) -> HostingResult:
    """DNS, then the first public address the geo database places in a country, then the
    active provider that lists the address's ASN."""
    try:
        addresses = resolver.resolve(host)
    except HostNotFound:
        return _failed([], None, "host not found")
    except ResolutionFailed as exc:
        return _failed([], None, exc.message)
    public: list[str] = []
    refused: list[str] = []
    for text in addresses:
        ip = parse_address(text)
        reason = forbidden_reason(ip)
        if reason is None:
            public.append(str(ip))
        else:
            refused.append(f"{reason} {ip}")
    if not public:
        detail = f" ({', '.join(refused)})" if refused else ""
        return _failed(addresses, None, f"resolves to a private address{detail}")
    if geo is None:
        return _failed(addresses, public[0], "no geo database configured")
    records = [(address, geo.lookup(address)) for address in public]
    placed = [(a, r) for a, r in records if r.country_code is not None]
    if not placed:
        known = next(((a, r) for a, r in records if r.asn is not None), records[0])
        return _result(session, addresses, *known, error="address not in the geo database")
    return _result(session, addresses, *placed[0], error=None)


def _result(
    session: Session, addresses: list[str], address: str, record: GeoRecord, error: str | None
) -> HostingResult:
    provider = provider_for_asn(session, record.asn) if record.asn is not None else None
    return HostingResult(
        addresses=addresses,
        ip_address=address,
        country_code=record.country_code,
        asn=record.asn,
        as_org=record.as_org,
        provider_id=provider.id if provider is not None else None,
        error=error,
    )


def _failed(addresses: list[str], address: str | None, error: str) -> HostingResult:
    return HostingResult(
        addresses=addresses,
        ip_address=address,
        country_code=None,
        asn=None,
        as_org=None,
        provider_id=None,
        error=error,
    )
