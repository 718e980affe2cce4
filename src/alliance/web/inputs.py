"""No NUL character gets past the front door: one check for every request.

PostgreSQL cannot store NUL (U+0000) in text and answered every such value with a server
error; SQLite stores it. Rather than a check on each of a hundred fields, the app refuses
NUL wherever a request can carry text, before any route runs, with the same 400 on both
back ends:

- the path and the query string (``%00``), and every header value;
- every request body except a media upload (``/api/v1/match/file``): raw NUL bytes, which
  no UTF-8 text holds; in a form body also ``%00``; in a JSON body (and in a hash file,
  whose format may be JSON whatever its content type) also the ``\\u0000`` escape.

A JSON body's ``\\uD800``–``\\uDFFF`` escapes must come in pairs (high, then low): a lone one
decodes to a string that no database driver can encode, and was a server error wherever a
field did not check for it. It is refused with 400 here too.

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
SURROGATE_MESSAGE = (
    "a JSON string holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF): not a character"
)
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


#: A real ``\\uD800``-``\\uDFFF`` escape: after an even run of backslashes.
_SURROGATE = re.compile(rb"(?:^|(?<=[^\\]))(?:\\\\)*\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
_ESCAPE = 6  # len(b"\\uD83D")


class SurrogateScanner:
    """Finds an unpaired surrogate escape in a JSON body fed chunk by chunk.

    An escape is judged once the six bytes after it are in view (a high one must be
    followed by a low one, a low one must follow a high one), or at the end of the body;
    the carry keeps what the next chunk needs to judge the rest.
    """

    def __init__(self) -> None:
        self.carry = b""
        self.offset = 0  # where ``carry`` starts in the body
        self.judged = 0  # escapes starting before this have been judged
        self.low_due = -1  # where the low escape a judged high one vouched for starts

    def found_in(self, chunk: bytes, *, last: bool) -> bool:
        data = self.carry + chunk
        for match in _SURROGATE.finditer(data):
            start = self.offset + match.end() - _ESCAPE
            end = start + _ESCAPE
            if start < self.judged:
                continue
            if not last and end + _ESCAPE > self.offset + len(data):
                break  # its neighbour is not in view yet
            self.judged = end
            if match.group(1).lower() in b"89ab":
                # The low one must start right here: not after an escaped backslash.
                following = _SURROGATE.match(data, end - self.offset)
                if following is None or following.end() - _ESCAPE != end - self.offset:
                    return True
                if following.group(1).lower() not in b"cdef":
                    return True
                self.low_due = end
            elif start != self.low_due:
                return True
        # Keep three escapes' worth and the run of backslashes before it (for ``^``).
        keep = max(len(data) - 3 * _ESCAPE, 0)
        while keep > 0 and data[keep - 1 : keep] == b"\\":
            keep -= 1
        self.offset += keep
        self.carry = data[keep:]
        return False


def _scanner(scope: Scope) -> BodyScanner | None:
    path = str(scope.get("path", ""))
    if UPLOAD_PATHS.match(path):
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

        surrogates = SurrogateScanner() if scanner.json_escapes else None

        async def scanning_receive() -> Message:
            message = await receive()
            if message["type"] != "http.request":
                return message
            # Raised while the route reads its body: the error handlers answer 400.
            body = message.get("body", b"")
            if scanner.found_in(body):
                raise InvalidInput(MESSAGE)
            last = not message.get("more_body", False)
            if surrogates is not None and surrogates.found_in(body, last=last):
                raise InvalidInput(SURROGATE_MESSAGE)
            return message

        await self.app(scope, scanning_receive, send)
