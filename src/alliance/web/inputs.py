"""No NUL character gets past the front door: one check for every request.

PostgreSQL cannot store NUL (U+0000) in text and answered every such value with a server
error; SQLite stores it. Rather than a check on each of a hundred fields, the app refuses
NUL wherever a request can carry text, before any route runs, with the same 400 on both
back ends:

- the path and the query string (``%00``), and every header value;
- every request body except a media upload (``/api/v1/match/file``): raw NUL bytes, which
  no UTF-8 text holds; in a form body also ``%00``; in a JSON body (and in a hash file,
  whose format may be JSON whatever its content type) also the ``\\u0000`` escape.

Bodies are scanned as they stream in, as the body limit counts them: nothing is buffered
twice. Schemas used outside the web (CLI arguments, import files) refuse NUL through
:data:`alliance.validation.Text`.
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alliance.errors import InvalidInput
from alliance.web.errors import error_response
from alliance.web.security import HASH_FILE_PATHS, UPLOAD_PATHS

MESSAGE = "NUL characters are not allowed in a request"
#: ``\u0000`` that is an escape, i.e. preceded by an even number of backslashes.
JSON_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")
JSON_TYPES = re.compile(r"^application/(?:[\w.+-]*\+)?(?:json|x-ndjson|jsonl|json-lines)$")
FORM_TYPE = "application/x-www-form-urlencoded"


class BodyScanner:
    """Finds a NUL in a body fed chunk by chunk, across chunk boundaries."""

    def __init__(self, *, json_escapes: bool, percent_escapes: bool) -> None:
        self.json_escapes = json_escapes
        self.percent_escapes = percent_escapes
        self.carry = b""

    def found_in(self, chunk: bytes) -> bool:
        if b"\x00" in chunk:
            return True
        if not (self.json_escapes or self.percent_escapes):
            return False
        data = self.carry + chunk
        if self.percent_escapes and b"%00" in data:
            return True
        if self.json_escapes and JSON_NUL.search(data):
            return True
        # Keep enough to see an escape that straddles chunks: the last five bytes and the
        # whole run of backslashes before them (its parity decides what is escaped). The
        # carry starts right after a non-backslash byte, where ``^`` in JSON_NUL stands.
        start = max(len(data) - 5, 0)
        while start > 0 and data[start - 1 : start] == b"\\":
            start -= 1
        self.carry = data[start:]
        return False


def _scanner(scope: Scope) -> BodyScanner | None:
    path = str(scope.get("path", ""))
    if path in UPLOAD_PATHS:
        return None  # media: any byte may appear
    content_type = ""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            content_type = value.decode("latin-1").split(";")[0].strip().lower()
    return BodyScanner(
        json_escapes=bool(JSON_TYPES.match(content_type) or HASH_FILE_PATHS.match(path)),
        percent_escapes=content_type == FORM_TYPE,
    )


def _head_has_nul(scope: Scope) -> bool:
    if "\x00" in str(scope.get("path", "")):
        return True
    query = bytes(scope.get("query_string", b""))
    if b"%00" in query or b"\x00" in query:
        return True
    return any(b"\x00" in value for _, value in scope.get("headers", []))


class NulRefusalMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_http = scope["type"] == "http"
        if is_http and _head_has_nul(scope):
            response = error_response(Request(scope), 400, InvalidInput.code, MESSAGE)
            await response(scope, receive, send)
            return
        scanner = _scanner(scope) if is_http else None
        if scanner is None:
            await self.app(scope, receive, send)
            return

        async def scanning_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and scanner.found_in(message.get("body", b"")):
                # Raised while the route reads its body: the error handlers answer 400.
                raise InvalidInput(MESSAGE)
            return message

        await self.app(scope, scanning_receive, send)
