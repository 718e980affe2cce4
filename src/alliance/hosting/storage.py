"""Fetching a file from an organisation's own storage, and from nowhere else.

Two places fetch a URL they are given, and both fetch it here: member mode's
``POST /api/v1/member/match/url`` hashes a file the member's storage serves, so that a
service can pass a URL instead of the bytes, and the review queue's previews
(:mod:`alliance.review.previews`) draw a case's media from the platform's storage. A
server that fetches URLs it is given can be turned against its own network (SSRF), so a
URL is fetched only when:

1. it lies under one of the allow-listed prefixes (``ALLIANCE_MEMBER_STORAGE_URLS``,
   ``ALLIANCE_REVIEW_MEDIA_URL_PREFIXES``): the same scheme, host and port, and a path
   under the prefix's path. A path with dot segments or encoded separators is refused
   rather than interpreted (``/uploads/../admin`` must not count as under ``/uploads/``);
   so are credentials in the URL;
2. its host resolves to loopback, to a network listed for it
   (``ALLIANCE_MEMBER_STORAGE_NETWORKS``, ``ALLIANCE_REVIEW_MEDIA_NETWORKS``), or to a
   public address. Any other private, link-local or reserved address is refused, even
   under an allowed prefix (a name that points at a cloud metadata address, say). The host
   is resolved once, and the connection goes to the address that was checked
   (:class:`~alliance.hosting.connect.PinnedConnector`), so a second DNS answer cannot
   move it.

Redirects are not followed (the storage serves its own files). The body is read into memory
up to a limit and never written anywhere. Refusals and failures name the settings the
operator changes (:class:`SettingNames`).

::

    InvalidInput
    ├── StorageRefused   not a URL of the organisation's storage: nothing was fetched
    └── StorageFailed    the storage did not give the file (status, network, too large)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_network
from urllib.parse import urlsplit

import httpx

from alliance.errors import InvalidInput, NotFound
from alliance.hosting.addresses import IPNetwork, parse_networks
from alliance.hosting.connect import AddressRefused, PinnedConnector
from alliance.hosting.resolver import Resolver
from alliance.hosting.urls import DEFAULT_PORTS, MAX_URL_LENGTH, NormalisedUrl

USER_AGENT = "Alliance-storage/0.1 (own storage)"
LOOPBACK: tuple[IPNetwork, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
#: What a path may not hold: dot segments, backslashes, encoded dots, slashes, backslashes.
_UNSAFE_PATH = re.compile(r"(^|/)\.\.?(/|$)|\\|%2e|%2f|%5c", re.IGNORECASE)


class StorageRefused(InvalidInput):
    """The URL is not one of the organisation's storage: nothing was fetched."""

    code = "storage_url_refused"


class StorageFailed(InvalidInput):
    """The storage did not give the file."""

    code = "storage_failed"


@dataclass(frozen=True)
class SettingNames:
    """The settings a refusal or a failure names, for the operator to change."""

    prefixes: str
    networks: str
    max_bytes: str


@dataclass(frozen=True)
class StoragePrefix:
    scheme: str
    host: str
    port: int
    path: str  # ends with "/"

    def covers(self, url: NormalisedUrl) -> bool:
        return (url.scheme, url.host, url.effective_port) == (
            self.scheme,
            self.host,
            self.port,
        ) and url.path.startswith(self.path)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse_url(raw: str, error: type[InvalidInput] = StorageRefused) -> NormalisedUrl:
    """``raw`` as an http(s) URL with a plain path; ``error`` when it is not one."""
    text = raw.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise error(f"a URL of 1 to {MAX_URL_LENGTH} characters is needed")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in text):
        raise error("the URL contains spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise error(f"{text[:200]!r} is not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise error(f"only http and https URLs are fetched, not {text[:200]!r}")
    if "@" in parts.netloc:
        raise error("a URL with credentials in it is not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise error(f"{text[:200]!r} has no host")
    path = parts.path or "/"
    if _UNSAFE_PATH.search(path):
        raise error("the URL's path has dot segments or encoded separators; give it plainly")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    else:
        port = None
    url = f"{scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")
    return NormalisedUrl(url=url, scheme=scheme, host=host, port=port, path=path)


def parse_prefix(raw: str) -> StoragePrefix:
    """An allow-listed prefix; InvalidInput when it is not a plain http(s) URL."""
    url = parse_url(raw, InvalidInput)
    if "?" in url.url:
        raise InvalidInput(f"a storage prefix has no query: {raw!r}")
    path = url.path if url.path.endswith("/") else url.path + "/"
    return StoragePrefix(url.scheme, url.host, url.effective_port, path)


class StorageFetcher:
    """Fetches files under the allow-listed prefixes; see the module docstring."""

    def __init__(
        self,
        prefixes: Sequence[str],
        resolver: Resolver,
        *,
        networks: Sequence[str] = (),
        max_bytes: int,
        timeout: float,
        names: SettingNames,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.names = names
        self.prefixes = [parse_prefix(p) for p in prefixes]
        self.connector = PinnedConnector(
            resolver,
            allow=[*LOOPBACK, *parse_networks(networks)],
            timeout=timeout,
            transport=transport,
        )
        self.max_bytes = max_bytes

    def close(self) -> None:
        self.connector.close()

    def check(self, raw: str) -> NormalisedUrl:
        """The URL, if it lies under an allowed prefix; StorageRefused otherwise."""
        url = parse_url(raw)
        if not any(prefix.covers(url) for prefix in self.prefixes):
            allowed = ", ".join(str(p) for p in self.prefixes) or "none is configured"
            raise StorageRefused(
                f"{url.url[:200]} is not under an allowed storage prefix "
                f"({self.names.prefixes}: {allowed}); nothing was fetched",
                field="url",
            )
        return url

    def fetch(self, raw: str) -> tuple[NormalisedUrl, bytes]:
        """The URL as checked and the file's bytes, in memory."""
        url = self.check(raw)
        try:
            address = self.connector.checked_address(url)
        except AddressRefused as refused:
            where = (
                refused.detail if url.host in refused.detail else f"{url.host}: {refused.detail}"
            )
            raise StorageRefused(
                f"{where}; only loopback, public addresses and "
                f"{self.names.networks} are fetched; nothing was fetched",
                field="url",
            ) from None
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        try:
            response = self.connector.send("GET", url, address, headers)
        except httpx.HTTPError as exc:
            raise StorageFailed(f"the storage could not be reached: {type(exc).__name__}") from None
        try:
            if response.status_code == 404:
                raise NotFound(f"the storage has no file at {url.url[:200]} (404)")
            if response.status_code != 200:
                raise StorageFailed(
                    f"the storage answered {response.status_code} for {url.url[:200]}"
                    + (" (redirects are not followed)" if 300 <= response.status_code < 400 else "")
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise StorageFailed(
                        f"the file is larger than {self.max_bytes} bytes "
                        f"({self.names.max_bytes}); it was not read"
                    )
        except httpx.HTTPError as exc:
            raise StorageFailed(f"reading from the storage failed: {type(exc).__name__}") from None
        finally:
            response.close()
        return url, bytes(body)
