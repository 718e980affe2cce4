"""Liveness, readiness, who-am-I and the effective settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import PrincipalOut
from alliance.db.migrate import current_revision, ensure_ready
from alliance.web.guards import authenticated, public, requires
from alliance.web.state import app_state

router = APIRouter()


@router.get("/healthz", dependencies=[public], tags=["system"])
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[public], tags=["system"])
def readyz(request: Request) -> dict[str, str | None]:
    """Readiness: the database answers and its schema is at the code's migration head."""
    engine = app_state(request).engine
    ensure_ready(engine)
    return {"status": "ready", "revision": current_revision(engine)}


@router.get("/api/v1/me", tags=["system"])
def me(principal: Principal = authenticated) -> PrincipalOut:
    """The principal your credentials stand for, with its permissions."""
    return PrincipalOut(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        organisation_id=principal.organisation_id,
        organisation_kind=principal.organisation_kind,
        country_code=principal.country_code,
        permissions=sorted(p.value for p in Permission if principal.can(p)),
    )


@router.get("/api/v1/settings", dependencies=[requires(Permission.SETTINGS_READ)], tags=["system"])
def settings(request: Request) -> dict[str, Any]:
    """The effective deployment settings, secrets masked."""
    return app_state(request).settings.masked()
