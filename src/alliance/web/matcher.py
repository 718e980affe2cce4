"""The HTTP face of a matcher replica (``alliance matcher serve``): ``POST /api/v1/match``
against the member's synced banks, its status, and a health check for a load balancer.

No database and no accounts: callers present a key whose SHA-256 the replica was started
with (``alliance matcher new-key`` makes one), compared in constant time. A key is 32
random bytes, so a fast hash is enough to keep it unreadable at rest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

import alliance
from alliance.banks.replica import Replica
from alliance.banks.schemas import SignalIn
from alliance.errors import NotAuthenticated
from alliance.web.errors import install_error_handlers


class ReplicaMatchRequest(BaseModel):
    signals: list[SignalIn] = Field(min_length=1, max_length=1000)
    banks: list[str] | None = Field(None, description="only these banks; default all synced")


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_matcher_app(replica: Replica, key_digests: list[str]) -> FastAPI:
    """The app of one replica; ``key_digests``: SHA-256 (hex) of the keys it accepts."""
    accepted = [bytes.fromhex(d) for d in key_digests]
    if not accepted:
        raise ValueError("a matcher needs at least one key digest")

    def caller(request: Request) -> None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        given = hashlib.sha256(key.strip().encode()).digest()
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(given, a) for a in accepted):
            raise NotAuthenticated("a matcher key is needed (Authorization: Bearer <key>)")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        replica.start()
        try:
            yield
        finally:
            replica.stop()

    app = FastAPI(
        title="Alliance matcher",
        version=alliance.__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    authorised = [Depends(caller)]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Up and answering (for a load balancer's health check)."""
        return {"status": "ok"}

    @app.get("/api/v1/status", dependencies=authorised)
    def status() -> dict[str, Any]:
        """The banks this replica answers from, at which sequence, and its syncs."""
        health = replica.health
        return {
            "banks": replica.checkpoints(),
            "syncs": health.syncs,
            "failed_syncs": health.failures,
            "last_sync_at": health.last_sync_at,
            "last_error": health.last_error,
            "swapped_at": health.swapped_at,
            "interval_seconds": replica.interval,
            "jitter": replica.jitter,
        }

    @app.post("/api/v1/match", dependencies=authorised)
    def match(data: ReplicaMatchRequest) -> dict[str, Any]:
        """Match signals against the synced banks; each answer says the banks' sequences
        it was answered at."""
        return replica.match(((s.signal_type, s.signal, s.forms) for s in data.signals), data.banks)

    return app
