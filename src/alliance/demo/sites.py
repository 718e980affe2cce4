"""The demo web host: benign stand-ins for the websites of the demo world.

The demo world's reported URLs (``http://….example.test/…``) resolve, through the demo's
hosts file, to this server on 127.0.0.1. It answers every GET by the ``Host`` header and
path: a generated benign picture (deterministic per URL, see :mod:`alliance.demo.media`)
while the URL is live, 404 once it is removed and for any URL it does not know. So the
worker's re-checks see live pages and then removals.

The state is ``<data_dir>/demo-sites.json`` (versioned JSON, written atomically)::

    {"version": 1, "urls": {"http://photos.example.test/a/1.png":
        {"state": "live", "provider": "demo-hosting-nl", "responds": true}}}

It is re-read when another process changed it. :func:`provider_acts_on_notice` plays the
demo's hosting providers: a responsive provider removes the URLs named in a notice it
receives; a slow one (``responds`` false) never acts, so escalations show in the demo.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from alliance.demo import media
from alliance.demo.loopback import LoopbackServer
from alliance.errors import InvalidInput
from alliance.hosting import urls
from alliance.takedown.notices import URL_PREFIX

log = logging.getLogger(__name__)

DEFAULT_PORT = 8026
STATE_FILE = "demo-sites.json"
STATE_VERSION = 1
PICTURE_SIZE = (320, 240)

SiteState = Literal["live", "removed"]


@dataclass(frozen=True)
class SiteEntry:
    url: str
    state: SiteState
    provider: str
    responds: bool


def normalise_url(url: str) -> str:
    """The URL as the platform stores it (:func:`alliance.hosting.urls.normalise_url`), so
    that the demo's keys are the items' URLs; one the platform refuses stays as given."""
    try:
        return urls.normalise_url(url).url
    except InvalidInput:
        return url.strip()


@lru_cache(maxsize=256)
def page_picture(url: str) -> bytes:
    """The benign PNG shown for a URL: the same picture every time for the same URL."""
    seed = int.from_bytes(hashlib.sha256(normalise_url(url).encode()).digest()[:4], "big")
    buffer = io.BytesIO()
    media.picture(seed, PICTURE_SIZE).save(buffer, "PNG")
    return buffer.getvalue()


class DemoSites(LoopbackServer):
    """The demo's websites: their state on disk and the web server that serves them."""

    description = "the demo web host"
    thread_name = "demo-sites"

    def __init__(self, data_dir: Path, port: int = DEFAULT_PORT) -> None:
        self.path = data_dir / STATE_FILE
        super().__init__(port)
        self._lock = threading.RLock()
        self._urls: dict[str, dict[str, Any]] = {}
        self._loaded_mtime: int | None = None
        self.app = Starlette(
            routes=[Route("/{path:path}", self._serve, methods=["GET"])],
        )

    # State ------------------------------------------------------------------------------

    def add(self, url: str, provider_slug: str, responds: bool = True) -> SiteEntry:
        """Put a URL online (again, if it was removed) on a provider's site."""
        key = normalise_url(url)
        with self._lock:
            self._load()
            self._urls[key] = {"state": "live", "provider": provider_slug, "responds": responds}
            self._save()
            return _entry(key, self._urls[key])

    def remove(self, url: str) -> bool:
        """Take a URL down; False when the URL is unknown or already removed."""
        key = normalise_url(url)
        with self._lock:
            self._load()
            record = self._urls.get(key)
            if record is None or record["state"] == "removed":
                return False
            record["state"] = "removed"
            self._save()
            return True

    def state(self, url: str) -> SiteState | None:
        """'live', 'removed', or None for a URL this host does not serve."""
        entry = self.entry(url)
        return entry.state if entry else None

    def entry(self, url: str) -> SiteEntry | None:
        key = normalise_url(url)
        with self._lock:
            self._load()
            record = self._urls.get(key)
            return _entry(key, record) if record else None

    def entries(self) -> list[SiteEntry]:
        with self._lock:
            self._load()
            return [_entry(key, record) for key, record in sorted(self._urls.items())]

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._urls, self._loaded_mtime = {}, None
            return
        if mtime == self._loaded_mtime:
            return
        try:
            document = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("demo sites: cannot read %s: %s", self.path, exc)
            return
        if document.get("version") != STATE_VERSION:
            log.warning("demo sites: %s has unknown version %r", self.path, document.get("version"))
            return
        self._urls = {
            key: record
            for key, record in document.get("urls", {}).items()
            if isinstance(record, dict) and record.get("state") in ("live", "removed")
        }
        self._loaded_mtime = mtime

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": STATE_VERSION, "urls": self._urls}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(document, indent=1, sort_keys=True), "utf-8")
        os.replace(temporary, self.path)
        self._loaded_mtime = self.path.stat().st_mtime_ns

    # Serving ----------------------------------------------------------------------------

    async def _serve(self, request: Request) -> Response:
        host = request.headers.get("host", "")
        query = request.url.query
        url = f"http://{host}{request.url.path}" + (f"?{query}" if query else "")
        entry = self._lookup(url)
        if entry is None:
            return PlainTextResponse("Not found\n", status_code=404)
        if entry.state == "removed":
            return PlainTextResponse("This content has been removed.\n", status_code=404)
        return Response(
            page_picture(entry.url),
            media_type="image/png",
            headers={"Cache-Control": "no-store"},
        )

    def _lookup(self, url: str) -> SiteEntry | None:
        """The entry for a requested URL, trying it without the demo port and as https.

        The demo's URLs carry no port: a client reaches them on this server's port through
        the hosts file, so its Host header may or may not name the port.
        """
        parts = urlsplit(normalise_url(url))
        bare = parts.hostname or ""
        candidates = [
            parts.geturl(),
            urlunsplit(("http", bare, parts.path, parts.query, "")),
            urlunsplit(("https", bare, parts.path, parts.query, "")),
        ]
        for candidate in candidates:
            entry = self.entry(candidate)
            if entry is not None:
                return entry
        return None


def _entry(key: str, record: dict[str, Any]) -> SiteEntry:
    return SiteEntry(
        url=key,
        state="removed" if record.get("state") == "removed" else "live",
        provider=str(record.get("provider", "")),
        responds=bool(record.get("responds", True)),
    )


def notice_urls(body: str) -> list[str]:
    """The URLs a notice names: every line that starts with ``URL: ``."""
    return [
        line[len(URL_PREFIX) :].strip()
        for line in body.splitlines()
        if line.startswith(URL_PREFIX) and line[len(URL_PREFIX) :].strip()
    ]


def provider_acts_on_notice(message: EmailMessage, sites: DemoSites) -> list[str]:
    """The demo's hosting providers read a notice: responsive ones remove what it names.

    Returns the URLs removed. Escalations (which go to a hotline, not the provider) and
    URLs on a slow provider's sites change nothing.
    """
    if str(message.get("X-Alliance-Kind", "notice")).strip() == "escalation":
        return []
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return []
    body: Any = part.get_content()
    if not isinstance(body, str):
        return []
    removed: list[str] = []
    for url in notice_urls(body):
        entry = sites.entry(url)
        if entry is None or not entry.responds or entry.state == "removed":
            continue
        if sites.remove(url):
            log.info("demo provider %s removed %s after notice", entry.provider, entry.url)
            removed.append(url)
    return removed
