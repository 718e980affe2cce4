"""PinnedConnector: the request goes to the address that was checked, never to a second
DNS answer; non-public addresses are refused unless allow-listed."""

from __future__ import annotations

import httpx
import pytest

from alliance.hosting.addresses import parse_networks
from alliance.hosting.connect import AddressRefused, PinnedConnector
from alliance.hosting.fetch import SafeFetcher
from alliance.hosting.resolver import ResolutionFailed, StaticHosts
from alliance.hosting.urls import normalise_url
from tests.support.pinned import (
    PUBLIC,
    RebindingDns,
    ResolvingTransport,
    local_server,
    recording_transport,
)

LOCAL = parse_networks(["127.0.0.1/32"])
NAME = "rebind.example.test"


def test_an_unpinned_client_is_rebound_to_loopback() -> None:
    """The attack itself: a client handed the name resolves it again when it connects."""
    dns = RebindingDns(NAME)
    with local_server({"/ok": (200, {}, b"inside")}) as server:
        assert dns.resolve(NAME) == [PUBLIC]  # what a check before the request would see
        with httpx.Client(transport=ResolvingTransport(dns)) as client:
            response = client.get(f"http://{NAME}:{server.port}/ok")
    assert response.content == b"inside"
    assert [a.path for a in server.arrivals] == ["/ok"]


def test_the_fetcher_connects_to_the_checked_public_address_only() -> None:
    dns = RebindingDns(NAME)
    transport = ResolvingTransport(dns)
    with (
        local_server({"/ok": (200, {}, b"inside")}) as server,
        SafeFetcher(dns, max_bytes=4096, timeout=5, transport=transport) as fetcher,
    ):
        result = fetcher.fetch(f"http://{NAME}:{server.port}/ok")
    assert result.outcome == "unavailable"
    assert result.address == PUBLIC
    assert transport.connected_to == [PUBLIC]
    assert dns.lookups == 1
    assert server.arrivals == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.7", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, not a bind
        ("100.64.0.1", "carrier-grade NAT"),
        ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"),
        ("::ffff:10.0.0.1", "private (IPv4-mapped)"),
        ("64:ff9b::a9fe:a9fe", "link-local (NAT64)"),
        ("2002:7f00:1::", "loopback (6to4)"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    seen: list[httpx.Request] = []
    transport = recording_transport(seen)
    connector = PinnedConnector(
        StaticHosts({"inside.example.test": [address]}), timeout=5, transport=transport
    )
    with pytest.raises(AddressRefused) as refused:
        connector.checked_address(normalise_url("https://inside.example.test/hook"))
    assert f"non-public addresses ({reason} " in refused.value.detail
    assert not refused.value.gone
    assert seen == []


def test_allow_list_admits_loopback_and_the_first_reachable_address_is_taken() -> None:
    hosts = StaticHosts({"mixed.example.test": ["10.0.0.2", "127.0.0.1", "198.51.100.4"]})
    url = normalise_url("http://mixed.example.test/")
    assert PinnedConnector(hosts, allow=LOCAL, timeout=5).checked_address(url) == "127.0.0.1"
    assert PinnedConnector(hosts, timeout=5).checked_address(url) == "198.51.100.4"


def test_lookup_failures() -> None:
    class Failing:
        def resolve(self, host: str) -> list[str]:
            raise ResolutionFailed(f"DNS lookup of {host} timed out")

    url = normalise_url("http://flaky.example.test/")
    with pytest.raises(AddressRefused, match="timed out") as failed:
        PinnedConnector(Failing(), timeout=5).checked_address(url)
    assert not failed.value.gone
    with pytest.raises(AddressRefused, match="no longer resolves") as gone:
        PinnedConnector(StaticHosts({}), timeout=5).checked_address(url)
    assert gone.value.gone
