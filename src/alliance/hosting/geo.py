"""Country and ASN of an IP address, from MaxMind-format (.mmdb) files.

Reads the GeoLite2-Country layout (``country.iso_code``, else ``registered_country``) and
the GeoLite2-ASN layout (``autonomous_system_number``/``_organization``); one file may
carry both. :func:`write_geo_database` writes such a file over chosen networks, so tests
and the demo need no downloaded database: its records carry both layouts' keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_address, ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Any

import maxminddb
from maxminddb.reader import Reader
from mmdb_writer import MmdbU32, MMDBWriter
from netaddr import IPSet  # type: ignore[import-untyped]

from alliance.errors import ConfigurationError, InvalidInput
from alliance.validation import as_country_code

if TYPE_CHECKING:
    from alliance.settings import Settings

DATABASE_TYPE = "Alliance-Hosting"


@dataclass(frozen=True)
class GeoRecord:
    country_code: str | None
    asn: int | None
    as_org: str | None


EMPTY = GeoRecord(country_code=None, asn=None, as_org=None)


def _open(path: Path) -> Reader:
    try:
        return maxminddb.open_database(str(path))
    except FileNotFoundError:
        raise ConfigurationError(f"geo database {path} does not exist") from None
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigurationError(f"geo database {path} cannot be read: {exc}") from None


class GeoDatabase:
    """One country file and one ASN file (possibly the same file, opened once)."""

    def __init__(self, country_path: Path | None, asn_path: Path | None = None) -> None:
        if country_path is None and asn_path is None:
            raise ConfigurationError("a geo database needs a country or an ASN file")
        self.country_path = country_path
        self.asn_path = asn_path
        self._country = _open(country_path) if country_path is not None else None
        if asn_path is None or asn_path == country_path:
            self._asn = self._country
        else:
            try:
                self._asn = _open(asn_path)
            except ConfigurationError:
                self.close()
                raise

    @classmethod
    def from_settings(cls, settings: Settings) -> GeoDatabase | None:
        """The configured database; None when no file is configured (or the demo default
        <data_dir>/hosting.mmdb does not exist)."""
        country = settings.resolved_geo_country_db()
        asn = settings.resolved_geo_asn_db()
        if country is None and asn is None:
            return None
        return cls(country, asn)

    def lookup(self, ip: str) -> GeoRecord:
        """What the files say of ``ip``; fields are None where they say nothing."""
        try:
            address = ip_address(ip.strip().removeprefix("[").removesuffix("]"))
        except ValueError:
            raise InvalidInput(f"{ip!r} is not an IP address") from None
        # IPv4 lives at ::a.b.c.d in an IPv6 tree; ::ffff:a.b.c.d would miss it.
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        country = _get(self._country, address)
        asn_record = country if self._asn is self._country else _get(self._asn, address)
        return GeoRecord(
            country_code=_country_code(country),
            asn=_int(asn_record.get("autonomous_system_number")),
            as_org=_str(asn_record.get("autonomous_system_organization")),
        )

    def close(self) -> None:
        for reader in {id(r): r for r in (self._country, self._asn) if r is not None}.values():
            reader.close()

    def __enter__(self) -> GeoDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _get(reader: Reader | None, address: Any) -> dict[str, Any]:
    if reader is None:
        return {}
    try:
        record = reader.get(address)
    except ValueError:  # an IPv6 address in an IPv4-only file
        return {}
    return record if isinstance(record, dict) else {}


def _country_code(record: dict[str, Any]) -> str | None:
    for key in ("country", "registered_country"):
        section = record.get(key)
        if isinstance(section, dict):
            code = section.get("iso_code")
            if isinstance(code, str) and code:
                return code.upper()
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# --- writing -------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoNetwork:
    network: str  # "192.0.2.0/24", "2001:db8:1::/48"
    country_code: str
    asn: int
    as_org: str


def write_geo_database(path: Path, networks: Sequence[GeoNetwork]) -> None:
    """Write an .mmdb over ``networks`` that :class:`GeoDatabase` (and any MaxMind reader)
    can use as both country and ASN file.

    The tree is IPv6 with IPv4 at ::/96, so both families are found. Any network is
    accepted, reserved ones included (tests map 127.0.0.0/8).
    """
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=DATABASE_TYPE,
        languages=["en"],
        description="Alliance hosting lookup: country and ASN by network",
    )
    for entry in networks:
        try:
            network = ip_network(entry.network, strict=False)
        except ValueError:
            raise InvalidInput(f"{entry.network!r} is not an IP network") from None
        code = as_country_code(entry.country_code)
        if not 0 < entry.asn <= 0xFFFFFFFF:
            raise InvalidInput(f"AS number {entry.asn} is out of range")
        writer.insert_network(
            IPSet([str(network)]),
            {
                "country": {"iso_code": code},
                "registered_country": {"iso_code": code},
                "autonomous_system_number": MmdbU32(entry.asn),
                "autonomous_system_organization": entry.as_org,
            },
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.to_db_file(str(path))
