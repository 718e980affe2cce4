"""Who is calling, and may they: the dependencies every route declares.

Every route states exactly one guard: ``requires(P)`` / ``page_requires(P)`` for a
permission, ``authenticated`` / ``page_authenticated`` for "any logged-in principal", or
``public``. The permission-matrix test walks the routes and fails on a route without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.db.session import reading, writing
from alliance.errors import NotAuthenticated
from alliance.web.state import AppState, app_state, client_address

SESSION_COOKIE = "alliance_session"
ANY_PRINCIPAL = "authenticated"
PUBLIC = "public"


class LoginRequired(NotAuthenticated):
    """A page needs a login: the error handler redirects to /login."""


def db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work, committed before the response is sent.

    Nothing is begun here: the transaction starts at the endpoint's first statement, so no
    connection (nor SQLite's writer turn) is held while the request waits for a thread.
    GET requests begin as readers (see alliance.web.capacity). While the endpoint runs, the
    session is ``request.state.db_session``: the page shell counts what waits for the user
    in it (alliance.web.waiting), not in a transaction of its own.
    """
    with app_state(request).sessions() as session:
        request.state.db_session = session
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            request.state.db_session = None
        if session.in_transaction():
            session.commit()


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def _bearer_principal(request: Request, state: AppState) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("use 'Authorization: Bearer <API key>'")
    token = token.strip()
    # A key accepted within the last second is not read again (alliance.web.recent_keys);
    # a hit does not extend that second, so a revocation reaches a busy client too.
    outcome: Principal | accounts.KeyRejection | None = state.recent_keys.get(token)
    if outcome is None:
        with reading(state.sessions) as session:
            outcome = accounts.authenticate_api_key(session, token)
        if isinstance(outcome, Principal):
            state.recent_keys.put(token, outcome)
    if isinstance(outcome, Principal):
        if outcome.api_key_id is not None and state.key_use.due(outcome.api_key_id):
            with writing(state.sessions) as session:
                accounts.note_api_key_use(session, outcome.api_key_id)
        return outcome
    if outcome.reason != "malformed":
        address = client_address(request)
        rejection = outcome
        state.refusals.note(
            ("api_key", outcome.prefix, outcome.reason, address),
            lambda s, count: accounts.record_api_key_rejection(s, rejection, address, count=count),
        )
    raise NotAuthenticated(f"API key {outcome.reason}")


def _cookie_principal(request: Request, state: AppState) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    hours = state.settings.session_hours
    with reading(state.sessions) as session:
        principal = accounts.resolve_web_session(session, token, hours)
    if principal is not None and state.session_use.due(token):
        with writing(state.sessions) as session:
            accounts.extend_web_session(session, token, hours)
    return principal


def _guard(permission: str, *, page: bool) -> Callable[..., Any]:
    if permission == PUBLIC:
        # No database session: public routes such as the login open their own transactions.
        def public_dependency() -> None:
            return None

        public_dependency.permission = permission  # type: ignore[attr-defined]
        public_dependency.page = page  # type: ignore[attr-defined]
        return public_dependency

    def dependency(request: Request) -> Principal:
        # Authentication reads in a short transaction of its own, closed before the
        # endpoint's thread is even asked for.
        state = app_state(request)
        principal = (_cookie_principal if page else _bearer_principal)(request, state)
        if principal is None:
            if page:
                raise LoginRequired("please log in")
            raise NotAuthenticated("an API key is required: 'Authorization: Bearer <key>'")
        # Known before the verdict: a refusal page shows who is refused, and their menu.
        request.state.principal = principal
        if permission != ANY_PRINCIPAL:
            authorize(principal, Permission(permission))
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.page = page  # type: ignore[attr-defined]
    return dependency


def page_viewer(request: Request) -> Principal | None:
    """On a public page, who is logged in (None: nobody), for what the page adds for
    them (their menus, their actions); the page's guard stays ``page_public``."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    try:
        principal = _cookie_principal(request, app_state(request))
    except NotAuthenticated:
        principal = None
    request.state.principal = principal
    return principal


def requires(permission: Permission) -> Any:
    """API guard: a bearer API key whose role grants ``permission``."""
    return Depends(_guard(permission, page=False))


def page_requires(permission: Permission) -> Any:
    """Page guard: a logged-in browser session whose role grants ``permission``."""
    return Depends(_guard(permission, page=True))


authenticated = Depends(_guard(ANY_PRINCIPAL, page=False))
page_authenticated = Depends(_guard(ANY_PRINCIPAL, page=True))
public = Depends(_guard(PUBLIC, page=False))
page_public = Depends(_guard(PUBLIC, page=True))


def guard_of(dependency_call: Callable[..., Any]) -> tuple[str, bool] | None:
    """(permission, is_page) when ``dependency_call`` is one of the guards above."""
    permission = getattr(dependency_call, "permission", None)
    if permission is None:
        return None
    return str(permission), bool(getattr(dependency_call, "page", False))
