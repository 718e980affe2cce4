"""Which addresses count as public: documentation ranges do, embedded private ones don't."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from alliance.errors import InvalidInput
from alliance.hosting.addresses import (
    forbidden_reason,
    in_networks,
    is_fetchable,
    parse_address,
    parse_networks,
)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - classified, not bound
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("198.18.0.1", "reserved"),
        ("192.0.0.8", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private (IPv4-mapped)"),
        ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"),
        ("2002:0a00:0001::1", "private (6to4)"),
        ("2002:7f00:0001::", "loopback (6to4)"),
        ("64:ff9b::a9fe:a9fe", "link-local (NAT64)"),
        ("2001::1", "reserved"),  # Teredo
        ("100::1", "reserved"),
        ("::10.0.0.1", "reserved"),  # deprecated IPv4-compatible
        ("4000::1", "reserved"),  # outside global unicast
    ],
)
def test_forbidden(address: str, reason: str) -> None:
    assert forbidden_reason(ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    [
        # Documentation ranges stand for public hosts in tests and the demo.
        "192.0.2.1",
        "198.51.100.200",
        "203.0.113.5",
        "2001:db8::1",
        "2001:db8:ffff::1",
        "::ffff:192.0.2.1",
        "2002:c000:0201::1",  # 6to4 around 192.0.2.1
        "64:ff9b::c000:201",  # NAT64 around 192.0.2.1
        "8.8.8.8",
        "2606:4700::1111",
        "172.32.0.1",
        "100.128.0.1",
    ],
)
def test_public(address: str) -> None:
    assert forbidden_reason(ip_address(address)) is None
    assert is_fetchable(ip_address(address))


def test_allow_list_admits_a_forbidden_address() -> None:
    allow = parse_networks(["127.0.0.1/32"])
    assert is_fetchable(ip_address("127.0.0.1"), allow)
    assert is_fetchable(ip_address("::ffff:127.0.0.1"), allow)
    assert not is_fetchable(ip_address("127.0.0.2"), allow)
    assert not is_fetchable(ip_address("::1"), allow)
    assert not is_fetchable(ip_address("10.0.0.1"), allow)
    assert not is_fetchable(ip_address("127.0.0.1"))


def test_parse_networks() -> None:
    assert parse_networks(["127.0.0.1", " 10.1.2.3/8 ", "::1", "2001:db8::/32"]) == [
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("::1/128"),
        ip_network("2001:db8::/32"),
    ]
    assert parse_networks([]) == []
    for bad in ("localhost", "10.0.0.0/33", "", "300.1.1.1"):
        with pytest.raises(InvalidInput):
            parse_networks([bad])


def test_in_networks_ignores_other_family() -> None:
    assert not in_networks(ip_address("::1"), parse_networks(["0.0.0.0/0"]))
    assert in_networks(ip_address("192.0.2.9"), parse_networks(["::/0", "192.0.2.0/24"]))


def test_parse_address() -> None:
    assert str(parse_address("[2001:db8::1]")) == "2001:db8::1"
    assert str(parse_address(" 192.0.2.1 ")) == "192.0.2.1"
    with pytest.raises(InvalidInput):
        parse_address("example.test")
