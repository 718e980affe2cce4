"""Fetching from an organisation's own storage only (member mode's URL route, the review
queue's previews): the allow-list, the addresses, the body."""

from __future__ import annotations

import httpx
import pytest

from alliance.errors import InvalidInput, NotFound
from alliance.hosting.resolver import StaticHosts
from alliance.hosting.storage import (
    SettingNames,
    StorageFailed,
    StorageFetcher,
    StorageRefused,
    parse_prefix,
    parse_url,
)
from tests.support.pinned import PUBLIC, RebindingDns, local_server, recording_transport

NAMES = SettingNames("ALLIANCE_X_URLS", "ALLIANCE_X_NETWORKS", "ALLIANCE_X_MAX_BYTES")
HOSTS = StaticHosts(
    {
        "media.example.test": ["127.0.0.1"],
        "metadata.example.test": ["169.254.169.254"],
        "bucket.example.test": ["10.20.0.7"],
        "cdn.example.test": ["203.0.113.10"],
    }
)


def fetcher(
    prefixes: list[str], *, networks: tuple[str, ...] = (), max_bytes: int = 1000
) -> tuple[StorageFetcher, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/missing"):
            return httpx.Response(404)
        if request.url.path.endswith("/big"):
            return httpx.Response(200, content=b"x" * (max_bytes + 1))
        if request.url.path.endswith("/error"):
            return httpx.Response(503)
        return httpx.Response(200, content=b"file bytes")

    return (
        StorageFetcher(
            prefixes,
            HOSTS,
            networks=networks,
            max_bytes=max_bytes,
            timeout=5,
            names=NAMES,
            transport=httpx.MockTransport(answer),
        ),
        seen,
    )


def test_a_prefix_covers_its_host_port_and_path() -> None:
    prefix = parse_prefix("HTTP://Media.Example.Test:80/uploads")
    assert str(prefix) == "http://media.example.test:80/uploads/"
    assert prefix.covers(parse_url("http://media.example.test/uploads/a/b.png?v=2"))
    for other in (
        "http://media.example.test/uploadsX/a.png",
        "http://media.example.test:8080/uploads/a.png",
        "https://media.example.test/uploads/a.png",
        "http://media.example.test.evil.example.test/uploads/a.png",
        "http://media.example.test/other/a.png",
    ):
        assert not prefix.covers(parse_url(other)), other
    with pytest.raises(InvalidInput, match="no query"):
        parse_prefix("http://media.example.test/uploads/?x=1")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://media.example.test/uploads/../admin", "dot segments"),
        ("http://media.example.test/uploads/%2e%2e/admin", "encoded separators"),
        ("http://media.example.test/uploads/a%2Fb", "encoded separators"),
        ("http://media.example.test/uploads\\a", "dot segments"),
        ("http://u:p@media.example.test/uploads/a", "credentials"),
        ("gopher://media.example.test/uploads/a", "only http and https"),
        ("http://media.example.test/uploads/a b", "spaces"),
        ("http:///uploads/a", "no host"),
        ("http://media.example.test:99999/uploads/a", "not a URL"),
        ("", "1 to 2000"),
    ],
)
def test_urls_that_are_not_plain_are_refused(url: str, words: str) -> None:
    with pytest.raises(StorageRefused, match=words):
        parse_url(url)


def test_only_urls_under_a_prefix_are_fetched() -> None:
    storage, seen = fetcher(["http://media.example.test/uploads/"])
    url, data = storage.fetch("http://media.example.test/uploads/a.png")
    assert data == b"file bytes" and url.url == "http://media.example.test/uploads/a.png"
    [request] = seen
    assert request.url.host == "127.0.0.1" and request.headers["host"] == "media.example.test"
    with pytest.raises(
        StorageRefused, match=r"not under an allowed storage prefix \(ALLIANCE_X_URLS"
    ):
        storage.fetch("http://203.0.113.10/uploads/a.png")
    assert len(seen) == 1  # nothing else was fetched


def test_no_prefix_configured_refuses_every_url() -> None:
    storage, seen = fetcher([])
    with pytest.raises(StorageRefused, match="none is configured"):
        storage.fetch("http://media.example.test/uploads/a.png")
    assert seen == []


def test_private_addresses_need_their_network_listed() -> None:
    storage, seen = fetcher(["http://metadata.example.test/", "http://bucket.example.test/media/"])
    with pytest.raises(StorageRefused, match=r"link-local 169\.254\.169\.254.*ALLIANCE_X_NETWORKS"):
        storage.fetch("http://metadata.example.test/latest/meta-data")
    with pytest.raises(StorageRefused, match=r"private 10\.20\.0\.7"):
        storage.fetch("http://bucket.example.test/media/a.png")
    assert seen == []
    allowed, seen = fetcher(["http://bucket.example.test/media/"], networks=("10.20.0.0/16",))
    assert allowed.fetch("http://bucket.example.test/media/a.png")[1] == b"file bytes"
    assert seen[0].url.host == "10.20.0.7"


def test_a_public_host_under_a_prefix_is_fetched() -> None:
    storage, seen = fetcher(["https://cdn.example.test/u/"])
    assert storage.fetch("https://cdn.example.test/u/a.png")[1] == b"file bytes"
    assert seen[0].extensions["sni_hostname"] == "cdn.example.test"


def test_what_the_storage_answers_becomes_a_clear_error() -> None:
    storage, _ = fetcher(["http://media.example.test/"], max_bytes=100)
    with pytest.raises(NotFound, match="404"):
        storage.fetch("http://media.example.test/missing")
    with pytest.raises(StorageFailed, match=r"larger than 100 bytes \(ALLIANCE_X_MAX_BYTES\)"):
        storage.fetch("http://media.example.test/big")
    with pytest.raises(StorageFailed, match="answered 503"):
        storage.fetch("http://media.example.test/error")


def test_the_host_is_resolved_once_and_the_request_goes_to_the_address_checked() -> None:
    """A name that answers a public address first and loopback after (DNS rebinding) is
    fetched from the public address it was checked at: nothing resolves it again."""
    dns = RebindingDns("media.example.test")
    seen: list[httpx.Request] = []
    storage = StorageFetcher(
        ["http://media.example.test/uploads/"],
        dns,
        max_bytes=1000,
        timeout=5,
        names=NAMES,
        transport=recording_transport(seen),
    )
    storage.fetch("http://media.example.test/uploads/a.png")
    assert dns.lookups == 1
    [request] = seen
    assert request.url.host == PUBLIC and request.headers["host"] == "media.example.test"


def test_a_redirect_is_not_followed() -> None:
    with local_server(
        {"/uploads/moved": (302, {"Location": "http://203.0.113.9/elsewhere"}, b"")}
    ) as server:
        storage = StorageFetcher(
            [f"http://127.0.0.1:{server.port}/uploads/"],
            HOSTS,
            max_bytes=1000,
            timeout=5,
            names=NAMES,
        )
        try:
            with pytest.raises(StorageFailed, match=r"answered 302 .*redirects are not followed"):
                storage.fetch(f"http://127.0.0.1:{server.port}/uploads/moved")
        finally:
            storage.close()
    assert [a.path for a in server.arrivals] == ["/uploads/moved"]
