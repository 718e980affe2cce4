"""Which IP addresses the re-check client and the hosting lookup may treat as public.

The lists are explicit rather than Python's ``is_private``/``is_global``: those count the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) as
private, and here those ranges stand for public hosts in tests and the demo. An address
is checked with any IPv4 address it embeds (IPv4-mapped, 6to4, NAT64), because a connection
to ``::ffff:10.0.0.1`` reaches 10.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from alliance.errors import InvalidInput

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_V4: list[tuple[IPv4Network, str]] = [
    (IPv4Network("0.0.0.0/8"), "unspecified"),
    (IPv4Network("10.0.0.0/8"), "private"),
    (IPv4Network("100.64.0.0/10"), "carrier-grade NAT"),
    (IPv4Network("127.0.0.0/8"), "loopback"),
    (IPv4Network("169.254.0.0/16"), "link-local"),
    (IPv4Network("172.16.0.0/12"), "private"),
    (IPv4Network("192.0.0.0/24"), "reserved"),  # IETF protocol assignments
    (IPv4Network("192.88.99.0/24"), "reserved"),  # former 6to4 relay anycast
    (IPv4Network("192.168.0.0/16"), "private"),
    (IPv4Network("198.18.0.0/15"), "reserved"),  # benchmarking
    (IPv4Network("224.0.0.0/4"), "multicast"),
    (IPv4Network("240.0.0.0/4"), "reserved"),  # includes the broadcast address
]

_V6: list[tuple[IPv6Network, str]] = [
    (IPv6Network("::/128"), "unspecified"),
    (IPv6Network("::1/128"), "loopback"),
    (IPv6Network("64:ff9b:1::/48"), "private"),  # local-use NAT64
    (IPv6Network("100::/64"), "reserved"),  # discard-only
    (IPv6Network("2001::/23"), "reserved"),  # IETF protocol assignments, Teredo
    (IPv6Network("fc00::/7"), "private"),  # unique local
    (IPv6Network("fe80::/10"), "link-local"),
    (IPv6Network("fec0::/10"), "private"),  # deprecated site-local
    (IPv6Network("ff00::/8"), "multicast"),
]
_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_V6_DOCUMENTATION = IPv6Network("2001:db8::/32")
_NAT64 = IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address a connection to ``ip`` would end up at, and how it is embedded."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (``"loopback"``, ``"private"``...), or None.

    For an IPv4 address embedded in IPv6 the reason names the embedding too, e.g.
    ``"private (IPv4-mapped)"``.
    """
    if isinstance(ip, IPv4Address):
        for network, reason in _V4:
            if ip in network:
                return reason
        return None
    if ip.scope_id:
        return "link-local"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner, how = embedded
        inner_reason = forbidden_reason(inner)
        return None if inner_reason is None else f"{inner_reason} ({how})"
    if ip in _V6_DOCUMENTATION:
        return None
    for network6, reason in _V6:
        if ip in network6:
            return reason
    if ip not in _V6_GLOBAL_UNICAST:
        return "reserved"
    return None


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """Networks from text such as ``"127.0.0.1/32"`` or ``"10.0.0.0/8"``; a bare address is a /32
    (/128). Host bits are tolerated (``127.0.0.1/8`` means 127.0.0.0/8)."""
    networks: list[IPNetwork] = []
    for value in values:
        text = value.strip()
        try:
            networks.append(ip_network(text, strict=False))
        except ValueError:
            raise InvalidInput(f"{value!r} is not an IP network (e.g. 127.0.0.1/32)") from None
    return networks


def in_networks(ip: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """Whether ``ip`` (or the IPv4 address it maps to) lies in one of ``networks``."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(
        candidate in network
        for candidate in candidates
        for network in networks
        if candidate.version == network.version
    )


def is_fetchable(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> bool:
    """Whether the re-check client may connect to ``ip``: listed in ``allow``, or public."""
    return in_networks(ip, allow) or forbidden_reason(ip) is None


def parse_address(text: str) -> IPAddress:
    """``text`` as an IP address (IPv6 brackets tolerated); InvalidInput when it is none."""
    try:
        return ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not an IP address") from None
