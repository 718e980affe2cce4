"""Host names to IP addresses: a hosts file first (the demo's .example.test sites), then DNS.

Resolvers return addresses as text, IPv4 before IPv6, without duplicates. An IP-literal
host resolves to itself. A name that does not exist raises :class:`HostNotFound`; a
lookup that could not be completed (timeout, server failure) raises
:class:`ResolutionFailed`, because only the first means the site is gone.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alliance.errors import AllianceError, ConfigurationError, NotFound

if TYPE_CHECKING:
    from alliance.settings import Settings

DEFAULT_DNS_TIMEOUT = 5.0


class HostNotFound(NotFound):
    """The name does not exist (NXDOMAIN, or no address records)."""


class ResolutionFailed(AllianceError):
    """The lookup could not be completed; the name may still exist."""

    code = "resolution_failed"


class Resolver(Protocol):
    def resolve(self, host: str) -> list[str]: ...


def _bare(host: str) -> str:
    return host.strip().removeprefix("[").removesuffix("]").lower().removesuffix(".")


def _literal(host: str) -> str | None:
    """The host as an address when it is one (IPv6 zone identifiers dropped)."""
    try:
        return str(ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


def _ordered(addresses: Iterable[str]) -> list[str]:
    """Distinct addresses, IPv4 first, otherwise in the order given."""
    unique = list(dict.fromkeys(addresses))
    return [a for a in unique if ":" not in a] + [a for a in unique if ":" in a]


class StaticHosts:
    """Names pinned to addresses, from a hosts-format file or a mapping."""

    def __init__(self, entries: Mapping[str, Sequence[str]] | None = None) -> None:
        self._entries: dict[str, list[str]] = {}
        for name, addresses in (entries or {}).items():
            for address in addresses:
                self.add(name, address)

    def add(self, name: str, address: str) -> None:
        literal = _literal(address.strip())
        if literal is None:
            raise ConfigurationError(f"{address!r} (for {name}) is not an IP address")
        self._entries.setdefault(_bare(name), []).append(literal)

    @classmethod
    def from_file(cls, path: Path) -> StaticHosts:
        """Read ``IP name [name...]`` lines; ``#`` starts a comment."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"hosts file {path} cannot be read: {exc}") from None
        hosts = cls()
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) < 2 or _literal(fields[0]) is None:
                raise ConfigurationError(
                    f"{path}:{number}: expected 'IP NAME [NAME...]', got {line.strip()!r}"
                )
            for name in fields[1:]:
                hosts.add(name, fields[0])
        return hosts

    def __contains__(self, host: str) -> bool:
        return _bare(host) in self._entries

    def resolve(self, host: str) -> list[str]:
        bare = _bare(host)
        literal = _literal(bare)
        if literal is not None:
            return [literal]
        if bare not in self._entries:
            raise HostNotFound(f"{bare} is not in the hosts file")
        return _ordered(self._entries[bare])


class SystemResolver:
    """The operating system's resolver (getaddrinfo), with a time limit.

    getaddrinfo cannot be interrupted, so it runs in a daemon thread that is abandoned
    when the deadline passes.
    """

    def __init__(self, timeout: float = DEFAULT_DNS_TIMEOUT) -> None:
        self.timeout = timeout

    def resolve(self, host: str) -> list[str]:
        bare = _bare(host)
        literal = _literal(bare)
        if literal is not None:
            return [literal]
        if not bare:
            raise HostNotFound("empty host name")
        future: Future[list[str]] = Future()

        def run() -> None:
            try:
                infos = socket.getaddrinfo(bare, None, proto=socket.IPPROTO_TCP)
                future.set_result([str(info[4][0]).split("%", 1)[0] for info in infos])
            except BaseException as exc:  # handed to the waiting thread
                future.set_exception(exc)

        threading.Thread(target=run, name=f"dns {bare}", daemon=True).start()
        try:
            addresses = future.result(timeout=self.timeout)
        except TimeoutError:
            raise ResolutionFailed(f"DNS lookup of {bare} timed out") from None
        except socket.gaierror as exc:
            if exc.errno in _NOT_FOUND:
                raise HostNotFound(f"{bare} does not resolve") from None
            raise ResolutionFailed(f"DNS lookup of {bare} failed: {exc.strerror}") from None
        except (OSError, UnicodeError) as exc:
            raise ResolutionFailed(f"DNS lookup of {bare} failed: {exc}") from None
        if not addresses:
            raise HostNotFound(f"{bare} has no addresses")
        return _ordered(addresses)


_NOT_FOUND = {
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
}


class ChainResolver:
    """Each resolver in turn; the first that knows the name answers."""

    def __init__(self, *resolvers: Resolver) -> None:
        if not resolvers:
            raise ValueError("ChainResolver needs at least one resolver")
        self.resolvers = resolvers

    def resolve(self, host: str) -> list[str]:
        last: HostNotFound | None = None
        for resolver in self.resolvers:
            try:
                return resolver.resolve(host)
            except HostNotFound as exc:
                last = exc
        assert last is not None
        raise last


def resolver_from_settings(settings: Settings) -> Resolver:
    """The configured hosts file (if any) in front of the system resolver."""
    system = SystemResolver(timeout=min(DEFAULT_DNS_TIMEOUT, settings.fetch_timeout_seconds))
    hosts_file = settings.resolved_static_hosts_file()
    if hosts_file is None:
        return system
    return ChainResolver(StaticHosts.from_file(hosts_file), system)
