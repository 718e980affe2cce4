"""A stand-in for the EU's DSA Transparency Database API, on 127.0.0.1, for tests and the
demo: statements of reasons never go to the Commission from here.

It answers as the real API does (its public source: ``StatementAPIController``,
``StatementMultipleAPIController``, ``PlatformUniqueIdService``):

- ``POST /api/v1/statement`` — one statement: 201 with it and its ``uuid``; 422
  ``{"message", "errors": {field: [..]}}`` when invalid; 422 with ``existing`` when its
  puid is already stored;
- ``POST /api/v1/statements`` — ``{"statements": [..]}``, 1-100: 201 with every one; 422
  ``{"errors": {"statement_<i>": {field: [..]}}}`` when any is invalid, 422
  ``{"errors": {"puid": [..], "existing_puids": [..]}}`` when a puid is stored already or
  repeated in the call; either way nothing of the batch is stored;
- ``GET /api/v1/statement/existing-puid/{puid}`` — 302 when stored, 404 when not;
- 401 ``{"message": "Unauthenticated."}`` without the Bearer token.

Statements are checked with :mod:`alliance.platforms.dsa.schemas`, the database's rules as
Alliance knows them. A test can make it misbehave once at a given request (counted from 1
over the POSTs): :meth:`fail` with ``"error"`` (503, nothing stored), ``"stall"`` (no
answer within the client's timeout, nothing stored), ``"lost"`` (stored, then 500, as when
an answer is lost on the way) or ``"late"`` (stored, then the stall); :meth:`refuse` makes
its validation refuse a puid's field, as the real database would refuse what changed
rules no longer take.

To try ``alliance dsa submit`` by hand: ``python -m alliance.demo.dsa_database --token-file
FILE`` serves it on http://127.0.0.1:8027 until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alliance.demo.loopback import HOST, LoopbackServer
from alliance.platforms.dsa.schemas import BATCH_MAX, StatementInvalid, parse_statement

DEFAULT_PORT = 8027
PLATFORM_NAME = "Alliance demo platform"
Failure = Literal["error", "stall", "lost", "late"]
_DUPLICATE_IN_CALL = "The platform identifier(s) are not all unique within this call."
_DUPLICATE_ONE = "The identifier given is not unique within this platform."


class StandInTransparencyDatabase(LoopbackServer):
    """The stand-in's state and its server. ``stored`` maps each stored puid to the
    statement as stored; ``calls`` lists the puids each POST carried, in order."""

    description = "the stand-in Transparency Database"
    thread_name = "demo-dsa-database"

    def __init__(self, token: str, *, port: int = 0, stall_seconds: float = 2.0) -> None:
        self.token = token
        self.stall_seconds = stall_seconds
        self.stored: dict[str, dict[str, Any]] = {}
        self.calls: list[list[str]] = []
        self._failures: dict[int, Failure] = {}
        self._refusals: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        super().__init__(port)
        self.app = Starlette(
            routes=[
                Route("/api/v1/statement", self._store_one, methods=["POST"]),
                Route("/api/v1/statements", self._store_many, methods=["POST"]),
                Route("/api/v1/statement/existing-puid/{puid}", self._existing, methods=["GET"]),
            ]
        )

    # What a test arranges -----------------------------------------------------------------

    def fail(self, call: int, how: Failure = "error") -> None:
        """Misbehave at the ``call``-th POST (1 is the first)."""
        self._failures[call] = how

    def refuse(self, puid: str, field: str, message: str) -> None:
        """Refuse the statement with this puid, naming ``field``, whenever it is sent."""
        self._refusals[puid] = (field, message)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._port}"

    # The API ------------------------------------------------------------------------------

    async def _store_one(self, request: Request) -> Response:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        body = await _body(request)
        puids = [str(body.get("puid"))] if isinstance(body, dict) else []
        failure = self._count(puids)
        if failure in ("error", "stall"):  # as a proxy in front would: nothing reaches it
            return await self._misbehave(failure)
        problems = self._problems(body)
        if problems:
            first = next(iter(problems.values()))[0]
            return JSONResponse({"message": first, "errors": problems}, status_code=422)
        assert isinstance(body, dict)
        puid = body["puid"]
        with self._lock:
            if puid in self.stored:
                return JSONResponse(
                    {
                        "message": _DUPLICATE_ONE,
                        "errors": {"puid": [_DUPLICATE_ONE]},
                        "existing": {"puid": puid},
                    },
                    status_code=422,
                )
            stored = self._stored_form(body)
            self.stored[puid] = stored
        if failure is not None:  # stored, but the answer does not arrive
            return await self._misbehave(failure)
        return JSONResponse(stored, status_code=201)

    async def _store_many(self, request: Request) -> Response:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        body = await _body(request)
        statements = body.get("statements") if isinstance(body, dict) else None
        if not isinstance(statements, list) or not 1 <= len(statements) <= BATCH_MAX:
            message = f"The statements field must have between 1 and {BATCH_MAX} items."
            self._count([])
            return JSONResponse(
                {"message": message, "errors": {"statements": [message]}}, status_code=422
            )
        puids = [str(s.get("puid")) if isinstance(s, dict) else "" for s in statements]
        failure = self._count(puids)
        if failure in ("error", "stall"):
            return await self._misbehave(failure)
        errors = {
            f"statement_{i}": problems
            for i, statement in enumerate(statements)
            if (problems := self._problems(statement))
        }
        if errors:
            return JSONResponse({"errors": errors}, status_code=422)
        with self._lock:
            repeated = sorted({p for p in puids if puids.count(p) > 1})
            existing = repeated or [p for p in puids if p in self.stored]
            if existing:
                return JSONResponse(
                    {
                        "message": _DUPLICATE_IN_CALL,
                        "errors": {"puid": [_DUPLICATE_IN_CALL], "existing_puids": existing},
                    },
                    status_code=422,
                )
            out = [self._stored_form(s) for s in statements]
            for stored in out:
                self.stored[stored["puid"]] = stored
        if failure is not None:  # stored, but the answer does not arrive
            return await self._misbehave(failure)
        return JSONResponse({"statements": out}, status_code=201)

    async def _existing(self, request: Request) -> Response:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        puid = request.path_params["puid"]
        found = puid in self.stored
        return JSONResponse(
            {"message": f"statement of reason {'found' if found else 'not found'}", "puid": puid},
            status_code=302 if found else 404,
        )

    # Helpers --------------------------------------------------------------------------

    def _unauthenticated(self, request: Request) -> Response | None:
        if request.headers.get("authorization") == f"Bearer {self.token}":
            return None
        return JSONResponse({"message": "Unauthenticated."}, status_code=401)

    def _count(self, puids: list[str]) -> Failure | None:
        with self._lock:
            self.calls.append(puids)
            return self._failures.pop(len(self.calls), None)

    def _problems(self, statement: Any) -> dict[str, list[str]]:
        try:
            parsed = parse_statement(statement)
        except StatementInvalid as exc:
            return {exc.field or "statement": [exc.message]}
        refusal = self._refusals.get(parsed.puid)
        if refusal is not None:
            return {refusal[0]: [refusal[1]]}
        return {}

    def _stored_form(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        made = str(uuid.uuid4())
        return {
            **parse_statement(statement).to_api(),
            "uuid": made,
            "platform_name": PLATFORM_NAME,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "self": f"{self.url}/api/v1/statement/{made}",
            "permalink": f"{self.url}/statement/{made}",
        }

    async def _misbehave(self, how: Failure) -> Response:
        if how in ("stall", "late"):
            await asyncio.sleep(self.stall_seconds)
        return JSONResponse({"message": "Server Error"}, status_code=503 if how == "error" else 500)

    # Life cycle ---------------------------------------------------------------------------


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alliance.demo.dsa_database",
        description="A stand-in DSA Transparency Database on 127.0.0.1, until Ctrl-C.",
    )
    parser.add_argument("--token-file", type=Path, required=True, help="the Bearer token")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    token = args.token_file.read_text(encoding="utf-8").strip()
    with StandInTransparencyDatabase(token, port=args.port) as database:
        print(f"stand-in Transparency Database at {database.url} (Ctrl-C stops it)")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        print(f"{len(database.stored)} statements stored")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
