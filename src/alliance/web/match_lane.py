"""``POST /api/v1/match`` answered on the event loop when nothing matches.

Most queries a platform sends are misses, and a miss needs no database: the caller's key
was accepted within the last second (:mod:`alliance.web.recent_keys`), the banks' rows
were read within the last half second (:mod:`alliance.web.recent_banks`) and each bank's
index is mapped and current. Through the route, such a request still costs a session, a
dependency or two and a hop to a worker thread each, which is most of its time on a busy
server (docs/scale.md). This middleware answers it itself, with the answer the route would
give (:func:`alliance.banks.services.answer_if_nothing_matches`), and hands every other
request to the route untouched, its body replayed: a hit (its entries are read and its
event recorded), a key or the banks' rows due a read, an index to open or catch up, a
request the route would refuse (which it then refuses, audited, as always), a cookie
instead of a key, a body that is not JSON, and large batches (searched on a worker thread
so that the loop keeps serving others while they run).

It sits inside the app's other middlewares (security headers, body limit, admission, NUL
refusal), which apply to its answers as to the route's.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alliance.banks import indexes
from alliance.banks import services as banks
from alliance.banks.schemas import MatchRequest
from alliance.errors import AllianceError
from alliance.web.state import AppState

PATH = "/api/v1/match"
#: Hashes (signals and their forms) searched on the loop at most; more go to a thread.
#: One hash costs about 0.3 ms against ten million (docs/benchmarks.md).
INLINE_HASHES = 32


class MatchLane:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        try:
            while True:
                message = await receive()
                received.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        except Exception as refused:  # the NUL check, raised as the body is read
            await self.app(scope, _raising(refused, receive), send)
            return
        answer = None
        if received and received[-1]["type"] == "http.request":
            answer = self._answer(scope, b"".join(m.get("body", b"") for m in received))
        if answer is None:
            await self.app(scope, _replaying(received, receive), send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(answer)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    def _answer(self, scope: Scope, body: bytes) -> bytes | None:
        """The response body for a miss, or None: the route answers."""
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        principal = self.state.recent_keys.get(token.strip())
        if principal is None or (
            principal.api_key_id is not None and self.state.key_use.pending(principal.api_key_id)
        ):
            return None  # the route reads the key, or notes its use
        every_bank = self.state.recent_banks.fresh()
        if every_bank is None:
            return None
        try:
            request = MatchRequest.model_validate_json(body)
        except ValueError:
            return None
        if sum(1 + len(query.forms or {}) for query in request.signals) > INLINE_HASHES:
            return None
        engine = self.state.engine
        try:
            response = banks.answer_if_nothing_matches(
                principal, request, every_bank, lambda bank: indexes.loaded_index(engine, bank)
            )
        except AllianceError:
            return None  # refused: the route refuses it again, and audits the refusal
        return None if response is None else response.model_dump_json().encode()


def _replaying(received: list[Message], receive: Receive) -> Receive:
    pending = list(received)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _raising(refused: Exception, receive: Receive) -> Receive:
    raised = False

    async def raise_once() -> Message:
        nonlocal raised
        if not raised:
            raised = True
            raise refused
        return await receive()

    return raise_once
