"""What the SSRF tests of the re-check fetcher and the webhook sender share: a local HTTP
server on 127.0.0.1 that records what reaches it, a DNS that rebinds, and a transport that
resolves names when it connects, as an HTTP client left to itself would."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import httpx

from alliance.hosting.resolver import HostNotFound, Resolver

PUBLIC = "203.0.113.7"  # documentation range: stands for a public host, never reached


@dataclass
class Arrival:
    method: str
    path: str
    host: str
    body: bytes


@dataclass
class LocalServer:
    """Answers each path from ``routes`` (status, headers, body); 404 otherwise."""

    routes: Mapping[str, tuple[int, dict[str, str], bytes]]
    arrivals: list[Arrival] = field(default_factory=list)
    port: int = 0


@contextlib.contextmanager
def local_server(routes: Mapping[str, tuple[int, dict[str, str], bytes]]) -> Iterator[LocalServer]:
    server = LocalServer(routes)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.arrivals.append(
                Arrival(self.command, self.path, self.headers.get("Host", ""), body)
            )
            status, headers, content = server.routes.get(self.path, (404, {}, b"no route"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(content)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


class RebindingDns:
    """A name that answers a public address to the first lookup and loopback after."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lookups = 0

    def resolve(self, host: str) -> list[str]:
        if host != self.name:
            raise HostNotFound(f"{host} does not resolve")
        self.lookups += 1
        return [PUBLIC] if self.lookups == 1 else ["127.0.0.1"]


class ResolvingTransport(httpx.BaseTransport):
    """Resolves the request's host with ``dns`` when it connects, like an HTTP client
    that is handed a name; connects only to 127.0.0.1 (anything else is "unreachable":
    tests never leave the machine) and records each address it was asked for."""

    def __init__(self, dns: Resolver) -> None:
        self.dns = dns
        self.connected_to: list[str] = []
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        try:
            address = str(ip_address(host))
        except ValueError:
            address = self.dns.resolve(host)[0]
        self.connected_to.append(address)
        if address != "127.0.0.1":
            raise httpx.ConnectError(f"{address} is unreachable in tests", request=request)
        request.url = request.url.copy_with(host=address)
        return self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


def recording_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    """A transport that answers 200 and keeps every request it was handed."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return httpx.MockTransport(answer)
