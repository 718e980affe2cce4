"""SafeFetcher against a real HTTP server on 127.0.0.1 (allowed explicitly), and against
httpx.MockTransport where only the request matters."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from alliance.errors import ConfigurationError
from alliance.hosting.addresses import parse_networks
from alliance.hosting.fetch import USER_AGENT, SafeFetcher
from alliance.hosting.resolver import ResolutionFailed, StaticHosts
from alliance.settings import load_settings

BODY = b"benign test content \x00\x01\x02" * 10
BIG = b"x" * 100_000
LOCAL = parse_networks(["127.0.0.1/32"])


@dataclass
class Seen:
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)


ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {"Content-Type": "image/jpeg"}, BODY),
    "/big": (200, {"Content-Type": "application/octet-stream"}, BIG),
    "/gone": (404, {}, b"not found"),
    "/gone-for-good": (410, {}, b"gone"),
    "/legal": (451, {}, b"blocked"),
    "/error": (500, {}, b"oops"),
    "/forbidden": (403, {}, b"no"),
    "/same-host": (302, {"Location": "/ok?utm_source=x"}, b""),
    "/www": (301, {"Location": "http://www.site.example.test:{port}/ok"}, b""),
    "/other-host": (302, {"Location": "https://mirror.example.test/copy.jpg"}, b""),
    "/other-host-gone": (302, {"Location": "http://nowhere.example.test/copy.jpg"}, b""),
    "/to-private": (302, {"Location": "http://10.0.0.1/secret"}, b""),
    "/to-loopback6": (302, {"Location": "http://[::1]/secret"}, b""),
    "/to-private-name": (302, {"Location": "http://internal.example.test/secret"}, b""),
    "/to-javascript": (302, {"Location": "javascript:alert(1)"}, b""),
    "/to-malformed": (302, {"Location": "http://[bad/"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/no-location": (302, {}, b""),
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, Seen]]:
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.paths.append(self.path)
            seen.hosts.append(self.headers.get("Host", ""))
            seen.agents.append(self.headers.get("User-Agent", ""))
            path = self.path.split("?", 1)[0]
            if path == "/slow":
                time.sleep(1.5)
            headers: dict[str, str]
            if path == "/echo-host":
                status, headers, body = 200, {}, self.headers.get("Host", "").encode()
            else:
                status, headers, body = ROUTES.get(path, (404, {}, b"no route"))
            self.send_response(status)
            port = httpd.server_port
            for name, value in headers.items():
                self.send_header(name, value.replace("{port}", str(port)))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The fetcher may stop reading (size limit, timeout).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port, seen
    httpd.shutdown()
    httpd.server_close()


HOSTS = StaticHosts(
    {
        "site.example.test": ["127.0.0.1"],
        "www.site.example.test": ["127.0.0.1"],
        "mirror.example.test": ["198.51.100.20"],
        "internal.example.test": ["10.0.0.1"],
        "demo.example.test": ["192.0.2.10"],
        "mixed.example.test": ["10.0.0.2", "127.0.0.1"],
    }
)


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    with SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=5) as f:
        yield f


def url(port: int, path: str, host: str = "site.example.test") -> str:
    return f"http://{host}:{port}{path}"


def test_live(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    port, seen = server
    result = fetcher.fetch(url(port, "/ok#frag"))
    assert result.outcome == "live"
    assert result.status == 200
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert result.size == len(BODY)
    assert result.content_type == "image/jpeg"
    assert result.address == "127.0.0.1"
    assert result.final_url == f"http://site.example.test:{port}/ok"
    assert seen.hosts[-1] == f"site.example.test:{port}"
    assert seen.agents[-1] == USER_AGENT


@pytest.mark.parametrize(
    ("path", "outcome", "status", "detail"),
    [
        ("/gone", "removed", 404, "HTTP 404"),
        ("/gone-for-good", "removed", 410, "HTTP 410"),
        ("/legal", "removed", 451, "unavailable for legal reasons"),
        ("/error", "unavailable", 500, "HTTP 500"),
        ("/forbidden", "unavailable", 403, "HTTP 403"),
        ("/no-location", "unavailable", 302, "Location"),
    ],
)
def test_statuses(
    server: tuple[int, Seen],
    fetcher: SafeFetcher,
    path: str,
    outcome: str,
    status: int,
    detail: str,
) -> None:
    result = fetcher.fetch(url(server[0], path))
    assert (result.outcome, result.status) == (outcome, status)
    assert detail in result.detail
    assert result.sha256 is None


def test_size_limit(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    result = fetcher.fetch(url(server[0], "/big"))
    assert result.outcome == "live"
    assert result.status == 200
    assert result.size == 4096
    assert result.sha256 is None
    assert "larger than 4096 bytes" in result.detail


def test_same_host_redirect_is_followed(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    port, seen = server
    result = fetcher.fetch(url(port, "/same-host"))
    assert result.outcome == "live"
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert result.final_url == f"http://site.example.test:{port}/ok"
    assert seen.paths[-2:] == ["/same-host", "/ok"]  # tracking parameter dropped


def test_www_redirect_counts_as_same_host(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    port, _ = server
    result = fetcher.fetch(url(port, "/www"))
    assert result.outcome == "live"
    assert result.final_url == f"http://www.site.example.test:{port}/ok"


def test_redirect_to_another_host_is_moved(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    port, seen = server
    before = len(seen.paths)
    result = fetcher.fetch(url(port, "/other-host"))
    assert result.outcome == "moved"
    assert result.final_url == "https://mirror.example.test/copy.jpg"
    assert result.status == 302
    assert "mirror.example.test" in result.detail
    assert seen.paths[before:] == ["/other-host"]


def test_redirect_to_a_host_that_does_not_resolve(
    server: tuple[int, Seen], fetcher: SafeFetcher
) -> None:
    result = fetcher.fetch(url(server[0], "/other-host-gone"))
    assert result.outcome == "moved"
    assert result.final_url == "http://nowhere.example.test/copy.jpg"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/to-private", "private address (10.0.0.1)"),
        ("/to-loopback6", "loopback address (::1)"),
        ("/to-private-name", "non-public addresses (private 10.0.0.1)"),
        ("/to-javascript", "only http and https"),
        ("/to-malformed", "malformed Location"),
    ],
)
def test_redirect_to_a_forbidden_address_is_not_followed(
    server: tuple[int, Seen], fetcher: SafeFetcher, path: str, detail: str
) -> None:
    port, seen = server
    before = len(seen.paths)
    result = fetcher.fetch(url(port, path))
    assert result.outcome == "unavailable"
    assert result.status == 302
    assert detail in result.detail
    assert "redirect" in result.detail
    assert seen.paths[before:] == [path]  # only the first hop was requested


def test_redirect_loop(server: tuple[int, Seen]) -> None:
    port, seen = server
    before = len(seen.paths)
    with SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=5, max_redirects=3) as f:
        result = f.fetch(url(port, "/loop"))
    assert result.outcome == "unavailable"
    assert "more than 3 redirects" in result.detail
    assert len(seen.paths) - before == 4


def test_refused_without_allow_list(server: tuple[int, Seen]) -> None:
    port, seen = server
    before = len(seen.paths)
    with SafeFetcher(HOSTS, max_bytes=4096, timeout=5) as f:
        result = f.fetch(url(port, "/ok"))
    assert result.outcome == "unavailable"
    assert result.status is None
    assert "loopback 127.0.0.1" in result.detail
    assert len(seen.paths) == before


def test_first_fetchable_address_is_used(server: tuple[int, Seen], fetcher: SafeFetcher) -> None:
    result = fetcher.fetch(url(server[0], "/ok", host="mixed.example.test"))
    assert result.outcome == "live"
    assert result.address == "127.0.0.1"


def test_ip_literal_urls_of_private_addresses_are_refused(fetcher: SafeFetcher) -> None:
    for bad in ("http://127.0.0.1/ok", "http://10.0.0.1/", "http://[::1]/", "ftp://x.test/"):
        result = fetcher.fetch(bad)
        assert result.outcome == "unavailable"
        assert result.detail.startswith("not fetched")


def test_host_that_no_longer_resolves_is_removed(fetcher: SafeFetcher) -> None:
    result = fetcher.fetch("http://gone.example.test/a.jpg")
    assert result.outcome == "removed"
    assert result.detail == "host no longer resolves"
    assert result.address is None


def test_dns_failure_is_unavailable() -> None:
    class Failing:
        def resolve(self, host: str) -> list[str]:
            raise ResolutionFailed(f"DNS lookup of {host} timed out")

    with SafeFetcher(Failing(), max_bytes=4096, timeout=5) as f:
        result = f.fetch("http://flaky.example.test/")
    assert result.outcome == "unavailable"
    assert "timed out" in result.detail


def test_connection_refused_is_unavailable() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=5) as f:
        result = f.fetch(url(port, "/ok"))
    assert result.outcome == "unavailable"
    assert "ConnectError" in result.detail


def test_timeout_is_unavailable(server: tuple[int, Seen]) -> None:
    with SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=0.3) as f:
        result = f.fetch(url(server[0], "/slow"))
    assert result.outcome == "unavailable"
    assert result.detail == "timed out"


def test_connect_override(server: tuple[int, Seen]) -> None:
    port, seen = server
    override = f"127.0.0.1:{port}"
    with SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=5, connect_override=override) as f:
        live = f.fetch("https://demo.example.test/echo-host?b=1&a=2")
        gone = f.fetch("http://demo.example.test/gone")
        missing = f.fetch("http://unknown.example.test/ok")
    assert live.outcome == "live"
    assert live.address == "192.0.2.10"  # what the host resolves to, for the record
    assert seen.hosts[-2] == "demo.example.test"
    assert seen.paths[-2] == "/echo-host?a=2&b=1"
    assert live.sha256 == hashlib.sha256(b"demo.example.test").hexdigest()
    assert gone.outcome == "removed"
    assert missing.outcome == "removed"  # still resolved first


def test_connect_override_must_be_fetchable() -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        SafeFetcher(HOSTS, max_bytes=4096, timeout=5, connect_override="127.0.0.1:8026")
    with pytest.raises(ConfigurationError, match="ADDRESS:PORT"):
        SafeFetcher(HOSTS, allow=LOCAL, max_bytes=4096, timeout=5, connect_override="127.0.0.1")
    with pytest.raises(ConfigurationError, match="ADDRESS:PORT"):
        SafeFetcher(HOSTS, max_bytes=4096, timeout=5, connect_override="demo.example.test:80")


def test_connects_to_the_checked_address_with_host_and_sni() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=b"abc")

    hosts = StaticHosts({"tls.example.test": ["2001:db8::7"], "v4.example.test": ["203.0.113.9"]})
    with SafeFetcher(hosts, max_bytes=4096, timeout=5, transport=httpx.MockTransport(handler)) as f:
        tls = f.fetch("https://tls.example.test/a?x=1")
        plain = f.fetch("http://v4.example.test:8080/b")
    assert tls.outcome == "live" and tls.address == "2001:db8::7"
    assert str(requests[0].url) == "https://[2001:db8::7]/a?x=1"
    assert requests[0].headers["Host"] == "tls.example.test"
    assert requests[0].extensions["sni_hostname"] == "tls.example.test"
    assert plain.outcome == "live"
    assert str(requests[1].url) == "http://203.0.113.9:8080/b"
    assert requests[1].headers["Host"] == "v4.example.test:8080"
    assert "sni_hostname" not in requests[1].extensions


def test_from_settings(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        fetch_allow_networks=["127.0.0.1/32"],
        fetch_max_bytes=2048,
        fetch_timeout_seconds=3,
    )
    with SafeFetcher.from_settings(settings, HOSTS) as f:
        assert f.allow == LOCAL
        assert f.max_bytes == 2048
        assert f.timeout == 3
    bad = load_settings(data_dir=tmp_path, fetch_allow_networks=["not a network"])
    with pytest.raises(ConfigurationError, match="fetch_allow_networks"):
        SafeFetcher.from_settings(bad, HOSTS)
