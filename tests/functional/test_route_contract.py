"""The contract every route keeps: exactly one guard, and a CSRF check on every page form.

The permission matrix sends the CSRF token with every page call, so a form that forgot
its check would pass there. Here each state-changing page route is shown, first, to declare
the check (``csrf_protect`` among its dependencies) and, second, to refuse a call without
the token from a user whose role the guard lets through: the refusal is the CSRF check's
(audited as such), not the guard's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import ROLE_GRANTS, Permission, Role
from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent
from alliance.web.app import api_routes
from alliance.web.guards import ANY_PRINCIPAL, PUBLIC, guard_of
from alliance.web.security import csrf_protect
from tests.functional.conftest import World, log_in
from tests.functional.test_permission_matrix import _concrete

READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    """Every dependency of a route, nested ones included, repeats not merged."""
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def guards(route: APIRoute) -> list[tuple[str, bool]]:
    return [g for d in _dependencies(route.dependant) if d.call and (g := guard_of(d.call))]


def checks_csrf(route: APIRoute) -> bool:
    return any(d.call is csrf_protect for d in _dependencies(route.dependant))


def methods(route: APIRoute) -> set[str]:
    return set(route.methods or ())


def changes_state(route: APIRoute) -> bool:
    return bool(methods(route) - READ_ONLY)


def page_forms(app: FastAPI) -> list[APIRoute]:
    """The state-changing routes a browser calls with its session cookie."""
    return [r for r in api_routes(app) if changes_state(r) and any(p for _, p in guards(r))]


def test_every_route_declares_exactly_one_guard(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) >= 100
    wrong = {r.path: guards(r) for r in routes if len(guards(r)) != 1}
    assert not wrong, f"routes without exactly one guard: {wrong}"


def test_state_changing_routes_are_pages_outside_the_api_and_api_routes_inside(
    app: FastAPI,
) -> None:
    # A form outside /api/ behind an API guard would escape the CSRF check (a public one
    # would let another site log a browser in); an /api/ route behind a page guard would
    # take the session cookie without one.
    for route in api_routes(app):
        if changes_state(route):
            for _, is_page in guards(route):
                assert is_page is not route.path.startswith("/api/"), (route.path, methods(route))


def test_every_page_form_declares_the_csrf_check(app: FastAPI) -> None:
    forms = page_forms(app)
    assert len(forms) >= 30
    missing = [(sorted(methods(r)), r.path) for r in forms if not checks_csrf(r)]
    assert not missing, f"page routes that change state without csrf_protect: {missing}"


def test_every_page_form_refuses_a_call_without_the_token(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    callers: dict[Role | None, list[tuple[str, str]]] = defaultdict(list)
    for route in page_forms(app):
        permission = guards(route)[0][0]
        caller = None if permission == PUBLIC else _role_allowed(permission)
        callers[caller] += [(method, _concrete(route.path)) for method in methods(route)]
    for caller, calls in callers.items():
        client.cookies.clear()
        if caller is None:
            client.get("/login")  # a CSRF cookie, as any browser that saw a page has
        else:
            log_in(client, world.usernames[caller])
        for method, path in calls:
            before = _csrf_refusals(sessions, path)
            response = client.request(method, path)
            assert response.status_code == 403, (caller, method, path, response.status_code)
            app.state.alliance.refusals.flush()  # past a burst's first few, refusals wait
            refused = _csrf_refusals(sessions, path) - before
            assert refused == 1, (caller, method, path, "not refused by the CSRF check")


def _csrf_refusals(sessions: sessionmaker[Session], path: str) -> int:
    with sessions() as session:
        return len(
            session.scalars(
                select(AuditEvent.id).where(
                    AuditEvent.event_type == EventType.CSRF_REJECTED,
                    AuditEvent.subject_id == path,
                )
            ).all()
        )


def _role_allowed(permission: str) -> Role:
    if permission == ANY_PRINCIPAL:
        return Role.viewer
    allowed = [role for role in Role if Permission(permission) in ROLE_GRANTS[role]]
    assert allowed, f"no role may use {permission}"
    return allowed[0]
