"""Security headers, request-size limit and CSRF protection for forms."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alliance.audit import SYSTEM, EventType, record
from alliance.errors import PayloadTooLarge, PermissionDenied
from alliance.web.state import app_state, client_address
from alliance.web.uploads import MalformedUpload, read_upload

CSRF_COOKIE = "alliance_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

SECURITY_HEADERS = {
    # No inline script or style anywhere: htmx and our CSS are served from /static.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


_ENCODED_HEADERS = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in _ENCODED_HEADERS if n not in present]
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Routes that take media uploads get the (larger) upload limit.
UPLOAD_PATHS = re.compile(
    r"^(/api/v1/match/file|/match/file|/banks/[^/]+/entries/files|/api/v1/member/match/file"
    r"|/m/lookup|/h/hash)/?$"
)
#: Routes that take hash-set files (seizures, record and bank imports) get theirs.
HASH_FILE_PATHS = re.compile(
    r"^(/api/v1/seizures|/seizures|/api/v1/media/import|/api/v1/banks/[^/]+/import)/?$"
)


class BodyLimitMiddleware:
    """Refuse bodies over the limit: by Content-Length up front, by counting otherwise."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_upload_bytes: int, max_hash_file_bytes: int
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.max_hash_file_bytes = max_hash_file_bytes

    def limit(self, path: str) -> int:
        if UPLOAD_PATHS.match(path):
            return self.max_upload_bytes
        if HASH_FILE_PATHS.match(path):
            return self.max_hash_file_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(str(scope.get("path", "")))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                if not str(scope.get("path", "")).startswith(("/api/", "/m/", "/h/")):
                    # A page says it in words (a too-large file on Match), not as JSON.
                    from alliance.web.errors import error_response  # noqa: PLC0415 (a cycle)

                    page = error_response(
                        Request(scope),
                        413,
                        PayloadTooLarge.code,
                        f"what you sent is larger than the limit of {_size(limit)}",
                    )
                    await page(scope, receive, send)
                    return
                response = JSONResponse(
                    {
                        "error": {
                            "code": PayloadTooLarge.code,
                            "message": f"request body over {limit} bytes",
                        }
                    },
                    status_code=413,
                )
                await response(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"request body over {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)


def _size(n: int) -> str:
    """A byte count in words: "50 MB", "64 KB"."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def _sign(secret_key: str, value: str) -> str:
    return hmac.new(secret_key.encode(), b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms must echo; set as a cookie on the response by ``ensure_csrf_cookie``."""
    cookie = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if cookie is None:
        cookie = secrets.token_urlsafe(24)
        request.state.new_csrf_cookie = cookie
    return _sign(app_state(request).secret_key, cookie)


def rotate_csrf(request: Request) -> None:
    """A new CSRF secret, e.g. on login, so a token seen before login is useless after."""
    request.state.new_csrf_cookie = secrets.token_urlsafe(24)
    request.state.csrf_rotated = True


async def csrf_protect(request: Request) -> None:
    """Dependency for every state-changing page route (double-submit, HMAC-signed)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and UPLOAD_PATHS.match(request.url.path):
        # Media is read in memory (never spooled to a temporary file as form() does).
        try:
            supplied = (await read_upload(request)).fields.get(CSRF_FIELD)
        except MalformedUpload:
            supplied = None
    elif supplied is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    state = app_state(request)
    if cookie and supplied and hmac.compare_digest(_sign(state.secret_key, cookie), supplied):
        return
    address, path = client_address(request), request.url.path

    def write(session: Session, count: int) -> None:
        details: dict[str, str | int] = {"address": address}
        if count > 1:
            details["count"] = count
        record(session, SYSTEM, EventType.CSRF_REJECTED, "request", path, details)

    # Audited in a thread: this dependency runs on the event loop, which must never wait
    # for the database.
    await run_in_threadpool(state.refusals.note, ("csrf", path, address), write)
    raise PermissionDenied("the form expired or came from another site; reload and try again")
