"""What the web app needs at run time, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.templating import Jinja2Templates

from alliance.accounts.services import LoginLimits
from alliance.banks.signing import Signer
from alliance.settings import Settings


def _no_demo_urls() -> list[str]:
    return []


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secret_key: str
    templates: Jinja2Templates
    signer: Signer
    # The demo's pages that the public report form lists to try. `alliance serve` sets it
    # when it runs the demo's websites; the web app itself knows nothing of the demo.
    demo_urls: Callable[[], list[str]] = _no_demo_urls

    @property
    def login_limits(self) -> LoginLimits:
        s = self.settings
        return LoginLimits(
            window=timedelta(minutes=s.login_window_minutes),
            per_account=s.login_max_failures_per_account,
            per_address=s.login_max_failures_per_address,
        )


def app_state(request: Request) -> AppState:
    state = request.app.state.alliance
    assert isinstance(state, AppState)
    return state


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


AFTER_ROLLBACK = "_alliance_after_rollback"


def audit_after_rollback(error: Exception, write: Callable[[Session], None]) -> None:
    """Have the error handler record ``write`` once the request's transaction is rolled back.

    A refused login or API key changes nothing, but the refusal itself must be audited; it
    gets a transaction of its own after the failed one ends (never nested: SQLite has one
    writer).
    """
    setattr(error, AFTER_ROLLBACK, write)
