"""``POST /api/v1/match`` run without the route's machinery when it can be.

A match request through the route costs a session opened and closed by a dependency, the
guard, the endpoint and the response each on a worker thread (four hops), and a walk past
every route before it: most of its time on a busy server when the search itself takes a
fraction of a millisecond (docs/scale.md). With the caller's key accepted within the last
second (:mod:`alliance.web.recent_keys`) and the banks' rows read within the last half
second (:mod:`alliance.web.recent_banks`), this middleware runs it itself:

- a request answered from memory is answered on the event loop
  (:func:`alliance.banks.services.answer_from_memory`): no session, no thread. That is a
  miss against indexes already mapped and current, and a hit whose entries' cards are at
  hand (:mod:`alliance.banks.entry_cards`), on hashes no agency watches
  (:mod:`alliance.web.recent_watches`), with ids for its events in the process's block
  (their rows are queued at once, written after the answer as the route's are); at most
  :data:`INLINE_HASHES` hashes, so that a large batch never holds the loop;
- any other (a hit on entries not met lately or on a watched hash, whose alert is
  written; a large batch; an index to open or catch up) runs
  :func:`alliance.banks.services.match` in one worker thread, in a transaction committed
  as the route commits it; it is handed what the loop's search found (the entries met
  are read, not searched for again), keeps the cards of the entries it read and reads
  the watched hashes if due.

The key, the banks' rows and the watched hashes are read again in the background from
half their time on, by a request that finds them due (:mod:`alliance.web.renewals`): on a
busy server the lane's requests never find them lapsed, and none waits on their reads.

The answers are the route's. Everything else goes to the route untouched, its body
replayed: a key or the banks' rows due a read, a key whose use is due to be noted, a
cookie instead of a key, a body that does not parse, a request the route refuses (which
it then refuses, audited, as always), and a run that failed (it wrote nothing: the route
runs it again and answers its error). It sits inside the app's other middlewares
(security headers, body limit, admission, NUL refusal), which apply to its answers too,
and a run that must write on SQLite is run again as a writer by admission, as the
route's is (alliance.web.capacity).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.banks import indexes
from alliance.banks import services as banks
from alliance.banks.models import Bank
from alliance.banks.schemas import MatchRequest
from alliance.db.session import lends_connections, reading
from alliance.errors import AllianceError
from alliance.web.capacity import replaying
from alliance.web.state import AppState

log = logging.getLogger(__name__)

_Prepared = tuple[Principal, MatchRequest, list[Bank], frozenset[str] | None]

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
        prepared = None
        if received and received[-1]["type"] == "http.request":
            prepared = self._prepare(scope, b"".join(m.get("body", b"") for m in received))
        answer: bytes | None = None
        if prepared is not None:
            try:
                found = self._from_memory(*prepared)
                answer = (
                    found
                    if isinstance(found, bytes)
                    else await anyio.to_thread.run_sync(self._match, *prepared[:3], found)
                )
            except (AllianceError, SQLAlchemyError):
                # Refused, or failed and rolled back: the route runs it again and answers
                # its error as it answers every error (a refusal audited).
                answer = None
        if answer is None:
            await self.app(scope, replaying(received, receive), send)
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

    def _prepare(self, scope: Scope, body: bytes) -> _Prepared | None:
        """Who asks what of which banks, if all is at hand; None: the route answers."""
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        principal = self.state.recent_keys.get(token)
        if principal is not None:
            self._read_ahead(token)
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
        return principal, request, every_bank, self.state.recent_watches.fresh()

    def _read_ahead(self, token: str) -> None:
        """Have the caller's key, the banks' rows and the watched hashes read again on a
        worker thread, those of them that are past half their time and not being read.
        None with sessions bound to one connection (tests): the route reads what lapses."""
        state = self.state
        if not lends_connections(state.sessions):
            return
        reads: list[Callable[[Session], None]] = []
        if (key_claim := state.recent_keys.renewal_due(token)) is not None:
            reads.append(
                lambda session: state.recent_keys.renew(
                    token, key_claim, lambda: accounts.authenticate_api_key(session, token)
                )
            )
        if (banks_claim := state.recent_banks.renewal_due()) is not None:
            reads.append(lambda session: state.recent_banks.renew(session, banks_claim))
        if (watches_claim := state.recent_watches.renewal_due()) is not None:
            reads.append(lambda session: state.recent_watches.renew(session, watches_claim))
        if reads:
            asyncio.get_running_loop().run_in_executor(None, self._read, reads)

    def _read(self, reads: list[Callable[[Session], None]]) -> None:
        """The reads :meth:`_read_ahead` claimed, each in a read-only transaction. One
        that fails leaves its rows as they were (they lapse in their time, and the route
        then reads them); the others are still made."""
        for read in reads:
            try:
                with reading(self.state.sessions) as session:
                    read(session)
            except Exception:  # a background read: logged, never raised into the loop
                log.warning("reading ahead for the match lane failed", exc_info=True)

    def _from_memory(
        self,
        principal: Principal,
        request: MatchRequest,
        every_bank: list[Bank],
        watched: frozenset[str] | None,
    ) -> bytes | banks.Searched | None:
        """The answer found on the loop; else what the loop's search found (or None: not
        searched) for :meth:`_match`."""
        if sum(1 + len(query.forms or {}) for query in request.signals) > INLINE_HASHES:
            return None
        state = self.state
        searched = banks.search_in_memory(
            principal, request, every_bank, lambda bank: indexes.loaded_index(state.engine, bank)
        )
        if searched is None:
            return None
        response = banks.answer_from_memory(
            principal,
            request,
            searched,
            cards=state.entry_cards,
            watched=watched,
            record=state.match_events.record_now,
        )
        return searched if response is None else response.model_dump_json().encode()

    def _match(
        self,
        principal: Principal,
        request: MatchRequest,
        every_bank: list[Bank],
        searched: banks.Searched | None,
    ) -> bytes:
        """The route's work, on a worker thread: the match in a transaction, committed
        (the entries that the loop's search met read, not searched for again)."""
        state = self.state
        with state.sessions() as session:
            watched = state.recent_watches.all(session)
            response = banks.match(
                session,
                principal,
                request,
                every_bank,
                state.entry_cards,
                watched,
                searched=searched,
            )
            session.commit()
        return response.model_dump_json().encode()


def _raising(refused: Exception, receive: Receive) -> Receive:
    raised = False

    async def raise_once() -> Message:
        nonlocal raised
        if not raised:
            raised = True
            raise refused
        return await receive()

    return raise_once
