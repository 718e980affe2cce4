"""Connecting only to an address that was checked (SSRF, DNS rebinding).

:class:`PinnedConnector` resolves a URL's host itself, refuses addresses that are not
public (unless listed in ``allow``: tests and the demo's loopback stand-ins), and sends the
request to the address it checked, with the real name in the Host header and as TLS SNI
(the certificate is verified for that name). The HTTP client never resolves the name a
second time, so a DNS answer that changes between the check and the connection (public
first, loopback second) cannot move the request inside our network.

It sends one request and never follows a redirect: the re-check fetcher
(:mod:`alliance.hosting.fetch`) checks each hop itself, the webhook sender refuses them.

::

    Exception
    └── AddressRefused   the host does not resolve, or only to addresses we may not reach
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from alliance.errors import ConfigurationError, InvalidInput
from alliance.hosting.addresses import (
    IPNetwork,
    forbidden_reason,
    in_networks,
    is_fetchable,
    parse_address,
)
from alliance.hosting.resolver import HostNotFound, ResolutionFailed, Resolver
from alliance.hosting.urls import NormalisedUrl


class AddressRefused(Exception):
    """No request was made. ``gone`` when the host does not resolve at all (for a re-check:
    the site is removed), otherwise the lookup failed or gave only non-public addresses."""

    def __init__(self, detail: str, *, gone: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.gone = gone


def default_transport() -> httpx.HTTPTransport:
    # No kept-alive connections: the pool is keyed by address, not by name, and a
    # connection verified for one name must not carry a request for another at that address.
    return httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))


class PinnedConnector:
    """Sends single requests to the checked address of a URL's host; see the module
    docstring.

    ``connect_override`` (``"127.0.0.1:8026"``) sends every request, over plain HTTP, to
    that address instead of the checked one: the demo's local web host stands in for every
    demo site. The host is still resolved and checked first.
    """

    def __init__(
        self,
        resolver: Resolver,
        *,
        allow: Sequence[IPNetwork] = (),
        timeout: float,
        connect_override: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.resolver = resolver
        self.allow = list(allow)
        self.timeout = timeout
        self.connect_override = self._check_override(connect_override) if connect_override else None
        # The transport, not a Client: a Client would resolve names, follow redirects and
        # keep cookies by itself.
        self._transport = transport if transport is not None else default_transport()
        self._timeouts = httpx.Timeout(timeout).as_dict()

    def _check_override(self, value: str) -> str:
        host, colon, port = value.strip().rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ConfigurationError(f"connect override {value!r} must be ADDRESS:PORT")
        try:
            ip = parse_address(host)
        except InvalidInput:
            raise ConfigurationError(f"connect override {value!r} must be ADDRESS:PORT") from None
        if not is_fetchable(ip, self.allow):
            raise ConfigurationError(
                f"connect override {value!r} is a {forbidden_reason(ip)} address that is "
                "not in fetch_allow_networks"
            )
        netloc = f"[{ip}]" if ip.version == 6 else str(ip)
        return f"{netloc}:{int(port)}"

    def close(self) -> None:
        self._transport.close()

    def checked_address(self, url: NormalisedUrl) -> str:
        """The first address of the host that may be reached; AddressRefused when none."""
        try:
            addresses = self.resolver.resolve(url.host)
        except HostNotFound:
            raise AddressRefused("host no longer resolves", gone=True) from None
        except ResolutionFailed as exc:
            raise AddressRefused(exc.message) from None
        refused: list[str] = []
        for text in addresses:
            ip = parse_address(text)
            if in_networks(ip, self.allow) or forbidden_reason(ip) is None:
                return str(ip)
            refused.append(f"{forbidden_reason(ip)} {ip}")
        if not refused:
            raise AddressRefused("host no longer resolves", gone=True)
        raise AddressRefused(
            f"{url.host} resolves only to non-public addresses ({', '.join(refused)})"
        )

    def send(
        self,
        method: str,
        url: NormalisedUrl,
        address: str,
        headers: dict[str, str],
        content: bytes | None = None,
    ) -> httpx.Response:
        """One request to ``address`` (from :meth:`checked_address`) for ``url``.

        The response is streamed: the caller reads what it needs and closes it. Network
        trouble raises httpx.HTTPError (httpx.TimeoutException for a timeout).
        """
        extensions: dict[str, Any] = {"timeout": self._timeouts}
        if self.connect_override is not None:
            target = f"http://{self.connect_override}{url.request_target}"
        else:
            netloc = f"[{address}]" if ":" in address else address
            target = f"{url.scheme}://{netloc}:{url.effective_port}{url.request_target}"
            if url.scheme == "https":
                extensions["sni_hostname"] = url.host
        request = httpx.Request(
            method,
            target,
            headers={**headers, "Host": url.netloc},
            content=content,
            extensions=extensions,
        )
        return self._transport.handle_request(request)
