"""The app factory: one FastAPI app serving the JSON API, the pages and the static files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import alliance
from alliance.banks import indexes
from alliance.banks.signing import Signer
from alliance.db import make_session_factory
from alliance.hashing import parallel
from alliance.member.deployment import MemberDeployment
from alliance.settings import Mode, Settings, get_settings
from alliance.web.api import accounts as accounts_api
from alliance.web.api import audit as audit_api
from alliance.web.api import banks as banks_api
from alliance.web.api import blocklists as blocklists_api
from alliance.web.api import capabilities as capabilities_api
from alliance.web.api import cooperation as cooperation_api
from alliance.web.api import countries as countries_api
from alliance.web.api import hosting as hosting_api
from alliance.web.api import industry as industry_api
from alliance.web.api import legal as legal_api
from alliance.web.api import library as library_api
from alliance.web.api import member as member_api
from alliance.web.api import reports as reports_api
from alliance.web.api import review as review_api
from alliance.web.api import system as system_api
from alliance.web.api import takedown as takedown_api
from alliance.web.api import victims as victims_api
from alliance.web.capacity import (
    AdmissionMiddleware,
    Capacity,
    create_serving_engine,
    database_busy,
    lifespan,
)
from alliance.web.errors import document_errors, install_error_handlers
from alliance.web.guards import guard_of
from alliance.web.inputs import NulRefusalMiddleware
from alliance.web.match_lane import MatchLane
from alliance.web.pages import account, api_docs, auth, dashboard
from alliance.web.pages import accounts as accounts_pages
from alliance.web.pages import audit as audit_pages
from alliance.web.pages import banks as banks_pages
from alliance.web.pages import blocklists as blocklists_pages
from alliance.web.pages import capabilities as capabilities_pages
from alliance.web.pages import cooperation as cooperation_pages
from alliance.web.pages import countries as countries_pages
from alliance.web.pages import industry as industry_pages
from alliance.web.pages import legal as legal_pages
from alliance.web.pages import library as library_pages
from alliance.web.pages import member_countries as member_countries_pages
from alliance.web.pages import reports as reports_pages
from alliance.web.pages import review as review_pages
from alliance.web.pages import takedown as takedown_pages
from alliance.web.pages import victims as victims_pages
from alliance.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from alliance.web.state import AppState
from alliance.web.templating import make_templates

HERE = Path(__file__).parent

API_ROUTERS = [
    system_api.router,
    accounts_api.router,
    audit_api.router,
    banks_api.router,
    banks_api.hma_router,  # a member server answers /m/ from its own banks instead
    # before takedown's /api/v1/reports/{reference}: a report reference is never "progress"
    reports_api.router,
    takedown_api.router,
    hosting_api.router,
    cooperation_api.router,
    victims_api.router,
    countries_api.router,
    capabilities_api.router,
    legal_api.router,
    library_api.router,
    blocklists_api.router,
    review_api.router,
    industry_api.router,
]
PAGE_ROUTERS = [
    account.router,
    banks_pages.router,
    auth.router,
    dashboard.router,
    accounts_pages.router,
    audit_pages.router,
    api_docs.router,
    # before takedown's /reports/{reference}: a report reference is never "progress"
    reports_pages.router,
    takedown_pages.router,
    cooperation_pages.router,
    victims_pages.router,
    countries_pages.router,
    capabilities_pages.router,
    member_countries_pages.router,
    legal_pages.router,
    library_pages.router,
    blocklists_pages.router,
    review_pages.router,
    industry_pages.router,
]


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route the app serves, through included routers (FastAPI nests them)."""
    found: list[APIRoute] = []
    stack: list[Any] = list(app.routes)
    while stack:
        route = stack.pop(0)
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)
    return found


def route_guard(route: APIRoute) -> tuple[str, bool] | None:
    """The guard a route declares (see alliance.web.guards), or None."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is not None and (guard := guard_of(dependant.call)):
            return guard
        stack.extend(dependant.dependencies)
    return None


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    sessions: sessionmaker[Session] | None = None,
    member: MemberDeployment | None = None,
) -> FastAPI:
    """The app; ``member``: member mode (`alliance serve --member`), which serves the
    member's API and answers HMA's ``/m/`` routes from the member's own banks."""
    settings = settings or get_settings()
    parallel.limit_blas_threads()  # requests hash uploads on worker threads; see cli.main
    engine = engine or create_serving_engine(settings)
    sessions = sessions or make_session_factory(engine)
    # Banks' PDQ indexes on disk: every server process maps the same file per bank.
    indexes.keep_indexes_in(sessions, settings.data_dir / "indexes")
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        secret_key=settings.resolved_secret_key(),
        templates=make_templates(),
        signer=Signer.from_file(
            settings.resolved_signing_key_file(), create=settings.mode is not Mode.production
        ),
        member=member,
    )
    app = FastAPI(
        title="Alliance",
        version=alliance.__version__,
        description="Hash matching, notice and takedown, victim identification and "
        "cooperation for the Global Alliance Against Child Sexual Abuse Online.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan(state),
        telemetry=_telemetry(),
    )
    app.state.alliance = state
    routers = API_ROUTERS
    if member is not None:
        routers = [r for r in API_ROUTERS if r is not banks_api.hma_router]
        routers += [member_api.router, member_api.hma_router, member_api.hma_hash_router]
    for router in routers + PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_handlers(app)
    app.add_exception_handler(PoolTimeout, database_busy)
    # Innermost: a match that finds nothing is answered on the event loop, after every
    # check the middlewares below make (alliance.web.match_lane).
    app.add_middleware(MatchLane, state=state)
    app.add_middleware(NulRefusalMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_hash_file_bytes=settings.max_hash_file_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # A request waits for its turn before the rest of the app runs.
    app.add_middleware(AdmissionMiddleware, capacity=Capacity.from_settings(settings))
    if settings.trusted_proxies:
        # X-Forwarded-For / -Proto count only from these peers; uvicorn's own handling
        # (which trusts 127.0.0.1 by default) is off in `alliance serve`.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    _document_permissions(app)
    document_errors(app, api_routes, lambda route: (route_guard(route) or (None,))[0])
    return app


def _telemetry() -> TelemetryConfig | None:
    """FastAPI's own OpenTelemetry hooks: on (FastAPI's defaults) where the environment
    configures OpenTelemetry (an ``OTEL_`` variable, as ``opentelemetry-instrument`` and
    the exporters read, or FastAPI's ``FASTAPI_OTEL_AUTO_CONFIGURE``); off otherwise,
    where they would only look for providers on every request (docs/scale.md)."""
    if os.environ.get("FASTAPI_OTEL_AUTO_CONFIGURE") or any(
        name.startswith("OTEL_") for name in os.environ
    ):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def _document_permissions(app: FastAPI) -> None:
    """Put each operation's required permission into the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        for route in api_routes(app):
            if not route.include_in_schema:
                continue
            guard = route_guard(route)
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None and guard is not None:
                    operation["x-permission"] = guard[0]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
