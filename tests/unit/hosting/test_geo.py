"""Our own .mmdb writer and the reader, over documentation ranges."""

from __future__ import annotations

from pathlib import Path

import maxminddb
import pytest

from alliance.errors import ConfigurationError, InvalidInput
from alliance.hosting.geo import (
    DATABASE_TYPE,
    GeoDatabase,
    GeoNetwork,
    GeoRecord,
    write_geo_database,
)
from alliance.settings import load_settings

NETWORKS = [
    GeoNetwork("192.0.2.0/24", "nl", 64500, "Example Hosting NL"),
    GeoNetwork("198.51.100.0/25", "DE", 64501, "Example Hosting DE"),
    GeoNetwork("203.0.113.128/25", "US", 4200000000, "Example 32-bit AS"),
    GeoNetwork("2001:db8:1::/48", "FR", 64502, "Example Hosting FR"),
    GeoNetwork("127.0.0.0/8", "NL", 64500, "Example Hosting NL"),
]


@pytest.fixture
def mmdb(tmp_path: Path) -> Path:
    path = tmp_path / "geo" / "hosting.mmdb"
    write_geo_database(path, NETWORKS)
    return path


def test_roundtrip(mmdb: Path) -> None:
    with GeoDatabase(mmdb) as geo:
        assert geo.lookup("192.0.2.77") == GeoRecord("NL", 64500, "Example Hosting NL")
        assert geo.lookup("198.51.100.1") == GeoRecord("DE", 64501, "Example Hosting DE")
        assert geo.lookup("203.0.113.200") == GeoRecord("US", 4200000000, "Example 32-bit AS")
        assert geo.lookup("2001:db8:1:2::9") == GeoRecord("FR", 64502, "Example Hosting FR")
        assert geo.lookup("[2001:db8:1::1]").country_code == "FR"
        # A reserved network is accepted by the writer (tests fetch from 127.0.0.1).
        assert geo.lookup("127.0.0.1").asn == 64500
        # IPv4-mapped IPv6 finds the IPv4 record.
        assert geo.lookup("::ffff:192.0.2.77").country_code == "NL"


def test_unknown_addresses_give_an_empty_record(mmdb: Path) -> None:
    with GeoDatabase(mmdb) as geo:
        empty = GeoRecord(None, None, None)
        assert geo.lookup("198.51.100.200") == empty  # outside the /25
        assert geo.lookup("203.0.113.1") == empty
        assert geo.lookup("2001:db8:2::1") == empty
        with pytest.raises(InvalidInput):
            geo.lookup("example.test")


def test_file_carries_both_layouts(mmdb: Path) -> None:
    reader = maxminddb.open_database(str(mmdb))
    try:
        assert reader.metadata().database_type == DATABASE_TYPE
        assert reader.metadata().ip_version == 6
        assert reader.get("192.0.2.1") == {
            "country": {"iso_code": "NL"},
            "registered_country": {"iso_code": "NL"},
            "autonomous_system_number": 64500,
            "autonomous_system_organization": "Example Hosting NL",
        }
    finally:
        reader.close()


def test_separate_country_and_asn_files(tmp_path: Path) -> None:
    country = tmp_path / "country.mmdb"
    asn = tmp_path / "asn.mmdb"
    write_geo_database(country, [GeoNetwork("192.0.2.0/24", "BE", 1, "ignored")])
    write_geo_database(asn, [GeoNetwork("192.0.2.0/24", "XX", 64999, "ASN file")])
    with GeoDatabase(country, asn) as geo:
        assert geo.lookup("192.0.2.5") == GeoRecord("BE", 64999, "ASN file")
    with GeoDatabase(None, asn) as geo:
        assert geo.lookup("192.0.2.5") == GeoRecord(None, 64999, "ASN file")


def test_registered_country_is_a_fallback(tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet  # type: ignore[import-untyped]

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["192.0.2.0/24"]), {"registered_country": {"iso_code": "se"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    with GeoDatabase(path) as geo:
        assert geo.lookup("192.0.2.1") == GeoRecord("SE", None, None)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mmdb"
    with pytest.raises(ConfigurationError, match=r"nope\.mmdb"):
        GeoDatabase(missing)
    corrupt = tmp_path / "corrupt.mmdb"
    corrupt.write_bytes(b"not a maxmind database" * 10)
    with pytest.raises(ConfigurationError, match=r"corrupt\.mmdb"):
        GeoDatabase(corrupt)


def test_from_settings(tmp_path: Path, mmdb: Path) -> None:
    assert GeoDatabase.from_settings(load_settings(data_dir=tmp_path)) is None
    geo = GeoDatabase.from_settings(load_settings(data_dir=tmp_path, geo_country_db=mmdb))
    assert geo is not None
    assert geo.lookup("192.0.2.1").asn == 64500
    geo.close()
    # The demo's default file in the data dir is picked up.
    write_geo_database(tmp_path / "hosting.mmdb", NETWORKS[:1])
    geo = GeoDatabase.from_settings(load_settings(data_dir=tmp_path))
    assert geo is not None
    assert geo.lookup("192.0.2.1").country_code == "NL"
    geo.close()


def test_writer_rejects_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "x.mmdb"
    with pytest.raises(InvalidInput):
        write_geo_database(path, [GeoNetwork("not-a-network", "NL", 1, "x")])
    with pytest.raises(InvalidInput):
        write_geo_database(path, [GeoNetwork("192.0.2.0/24", "NLD", 1, "x")])
    with pytest.raises(InvalidInput):
        write_geo_database(path, [GeoNetwork("192.0.2.0/24", "NL", 0, "x")])
    assert not path.exists()
