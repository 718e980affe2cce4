"""Re-checking a reported URL without letting it reach inside our network (SSRF).

The fetcher connects through :class:`~alliance.hosting.connect.PinnedConnector`: the host is
resolved once, refused unless its address is public (or listed in ``allow``), and the
request goes to the address that was checked, so a second DNS answer cannot swap in another
(DNS rebinding). Redirects are followed by hand, each hop checked the same way. The body is
read up to a limit and hashed in memory; only the SHA-256 is kept.

Network trouble never raises: it is an outcome (``unavailable``) with a detail, because
the caller's question is only "is it still there?".
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin

import httpx

from alliance.errors import ConfigurationError, InvalidInput
from alliance.hosting.addresses import IPNetwork, parse_networks
from alliance.hosting.connect import AddressRefused, PinnedConnector
from alliance.hosting.resolver import Resolver
from alliance.hosting.urls import NormalisedUrl, normalise_url

if TYPE_CHECKING:
    from alliance.settings import Settings

USER_AGENT = "Alliance-recheck/0.1 (+notice-and-takedown)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

Outcome = Literal["live", "removed", "unavailable", "moved"]


@dataclass
class FetchResult:
    outcome: Outcome
    status: int | None
    final_url: str
    address: str | None
    sha256: str | None
    size: int
    content_type: str | None
    detail: str


def same_site(a: str, b: str) -> bool:
    """Hosts a redirect may move between and still be "the same page": equal, or equal
    but for a leading ``www.``."""
    return a.removeprefix("www.") == b.removeprefix("www.")


class SafeFetcher:
    """GET a reported URL, refusing private addresses; see the module docstring.

    ``connect_override`` is the connector's (the demo's stand-in web host); the host is
    still resolved and checked, so a name that no longer resolves still counts as removed.
    """

    def __init__(
        self,
        resolver: Resolver,
        *,
        allow: Sequence[IPNetwork] = (),
        max_bytes: int,
        timeout: float,
        max_redirects: int = 5,
        connect_override: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connector = PinnedConnector(
            resolver,
            allow=allow,
            timeout=timeout,
            connect_override=connect_override,
            transport=transport,
        )
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects

    @property
    def allow(self) -> list[IPNetwork]:
        return self.connector.allow

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        resolver: Resolver,
        *,
        connect_override: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> SafeFetcher:
        try:
            allow = parse_networks(settings.fetch_allow_networks)
        except InvalidInput as exc:
            raise ConfigurationError(f"fetch_allow_networks: {exc.message}") from None
        return cls(
            resolver,
            allow=allow,
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout_seconds,
            connect_override=connect_override,
            transport=transport,
        )

    def close(self) -> None:
        self.connector.close()

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- fetching ----------------------------------------------------------------------

    def fetch(self, url: str) -> FetchResult:
        """Request ``url`` and say whether its content is still there."""
        try:
            current = normalise_url(url)
        except InvalidInput as exc:
            return _result("unavailable", url, detail=f"not fetched: {exc.message}")
        deadline = time.monotonic() + self.timeout * (self.max_redirects + 1)
        origin = current.host
        for _hop in range(self.max_redirects + 1):
            try:
                address = self.connector.checked_address(current)
            except AddressRefused as refused:
                if refused.gone:
                    return _result("removed", current.url, detail=refused.detail)
                return _result("unavailable", current.url, detail=f"not fetched: {refused.detail}")
            try:
                result, location = self._request(current, address, deadline)
            except httpx.TimeoutException:
                return _result("unavailable", current.url, address, detail="timed out")
            except httpx.HTTPError as exc:
                detail = f"request failed: {type(exc).__name__}: {exc}".rstrip(": ")
                return _result("unavailable", current.url, address, detail=detail)
            if location is None:
                return result
            try:
                target = normalise_url(_join(current.url, location))
            except InvalidInput as exc:
                result.detail = f"redirect not followed: {exc.message}"
                result.outcome = "unavailable"
                return result
            if not same_site(target.host, origin):
                try:
                    self.connector.checked_address(target)
                except AddressRefused as refused:
                    if refused.gone:  # the new host does not resolve
                        return _result("moved", target.url, detail=refused.detail)
                    result.outcome = "unavailable"
                    result.detail = f"redirect to {target.url} not followed: {refused.detail}"
                    return result
                return _result(
                    "moved",
                    target.url,
                    None,
                    status=result.status,
                    detail=f"HTTP {result.status} redirect to another host: {target.host}",
                )
            current = target
        return _result(
            "unavailable", current.url, detail=f"more than {self.max_redirects} redirects"
        )

    def _request(
        self, url: NormalisedUrl, address: str, deadline: float
    ) -> tuple[FetchResult, str | None]:
        """One GET. Returns the result and, for a redirect, its Location."""
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
        response = self.connector.send("GET", url, address, headers)
        try:
            status = response.status_code
            content_type = response.headers.get("content-type")
            location = response.headers.get("location")
            if status in REDIRECT_STATUSES and location:
                result = _result(
                    "unavailable",
                    url.url,
                    address,
                    status=status,
                    content_type=content_type,
                    detail=f"HTTP {status} redirect",
                )
                return result, location
            if not 200 <= status < 300:
                outcome, detail = _judge(status)
                result = _result(
                    outcome,
                    url.url,
                    address,
                    status=status,
                    content_type=content_type,
                    detail=detail,
                )
                return result, None
            return self._read_body(response, url, address, deadline), None
        finally:
            response.close()

    def _read_body(
        self, response: httpx.Response, url: NormalisedUrl, address: str, deadline: float
    ) -> FetchResult:
        digest = hashlib.sha256()
        size = 0
        truncated = False
        for chunk in response.iter_bytes():
            room = self.max_bytes - size
            if len(chunk) > room:
                digest.update(chunk[:room])
                size += room
                truncated = True
                break
            digest.update(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                return _result(
                    "unavailable",
                    url.url,
                    address,
                    status=response.status_code,
                    size=size,
                    detail="timed out while reading the body",
                )
        status = response.status_code
        detail = f"HTTP {status}"
        if truncated:
            # A hash of the first bytes only would look like a different file; keep none.
            detail += f"; body larger than {self.max_bytes} bytes, not hashed"
        return _result(
            "live",
            url.url,
            address,
            status=status,
            sha256=None if truncated else digest.hexdigest(),
            size=size,
            content_type=response.headers.get("content-type"),
            detail=detail,
        )


def _join(base: str, location: str) -> str:
    """``location`` resolved against ``base``; InvalidInput when it cannot be."""
    try:
        return urljoin(base, location)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise InvalidInput(f"malformed Location {location[:200]!r}: {exc}") from None


def _judge(status: int) -> tuple[Outcome, str]:
    """Outcome of a non-2xx, non-redirect status."""
    if status in (404, 410):
        return "removed", f"HTTP {status}"
    if status == 451:
        return "removed", "HTTP 451: unavailable for legal reasons"
    if 300 <= status < 400:
        return "unavailable", f"HTTP {status} without a usable Location"
    return "unavailable", f"HTTP {status}"


def _result(
    outcome: Outcome,
    final_url: str,
    address: str | None = None,
    *,
    status: int | None = None,
    sha256: str | None = None,
    size: int = 0,
    content_type: str | None = None,
    detail: str = "",
) -> FetchResult:
    return FetchResult(
        outcome=outcome,
        status=status,
        final_url=final_url,
        address=address,
        sha256=sha256,
        size=size,
        content_type=content_type,
        detail=detail,
    )
