"""The one place where errors become HTTP responses.

API paths get ``{"error": {"code", "message"}}`` JSON; pages get the error page. An
unexpected exception is logged with an incident id and the client sees only that id.

:func:`document_errors` writes the same statuses into the OpenAPI document, derived from
what each route is: its guard (401, 403), its path (404 for a record it names), its body
(413), its parameters (422), plus what the route declares in ``responses`` (409, 429...).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.errors import (
    AllianceError,
    Conflict,
    DatabaseNotReady,
    InvalidInput,
    NotAuthenticated,
    NotConfigured,
    NotFound,
    OutsideServiceFailed,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
)
from alliance.web.api.objects import hidden_object
from alliance.web.forms import Form, failed, field_errors
from alliance.web.guards import ANY_PRINCIPAL, PUBLIC, LoginRequired
from alliance.web.pages.rendering import render
from alliance.web.state import app_state

log = logging.getLogger("alliance.web")

STATUS_BY_ERROR: list[tuple[type[AllianceError], int]] = [
    (PayloadTooLarge, 413),
    (RequestTimeout, 408),
    (InvalidInput, 400),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (OutsideServiceFailed, 502),
    (DatabaseNotReady, 503),
    (NotConfigured, 503),
]

API_PREFIXES = ("/api/", "/m/", "/h/", "/healthz", "/readyz")


def status_for(error: AllianceError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def form_status(error: Exception) -> int:
    """The status of a form that failed: 400 for a value pydantic refused, else the error's."""
    return status_for(error) if isinstance(error, AllianceError) else 400


def failed_form(
    error: ValidationError | AllianceError,
    values: Mapping[str, str],
    *,
    fields: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    name: str = "",
    prefix: str = "",
) -> tuple[Form, int]:
    """What a handler renders its page again with after ``error``: the form
    (:func:`alliance.web.forms.failed`, with what the user typed) and its status."""
    form = failed(error, values, fields=fields, labels=labels, name=name, prefix=prefix)
    return form, form_status(error)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body["details"] = details
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        status_code=status,
        headers=headers,
    )


async def alliance_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AllianceError)
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["www-authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["retry-after"] = str(exc.retry_after_seconds)
    if status == 500:
        return await unexpected_error(request, exc)
    return error_response(
        request, status, exc.code, exc.message, details=exc.details, headers=headers
    )


def _hidden_object(request: Request) -> NotFound | None:
    principal = getattr(request.state, "principal", None)
    if principal is None or not request.path_params:
        return None
    with app_state(request).sessions() as session:
        try:
            return hidden_object(session, principal, request.path_params)
        finally:
            session.rollback()  # a lookup may audit a read: this one never happened


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # The guard has run (dependencies come before the validation verdict): a record the
    # caller may not see is 404, not a 422 that tells it exists.
    if wants_json(request) and (hidden := await run_in_threadpool(_hidden_object, request)):
        return error_response(request, 404, hidden.code, hidden.message)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(request, 400, "malformed_json", "the request body is not valid JSON")
    details = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
        for err in errors
    ]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    if not wants_json(request):
        # A page's reader gets words, not pydantic's locations and types.
        by_field, loose = field_errors(errors)
        summary = "; ".join(
            [f"{name.replace('_', ' ').capitalize()}: {text}" for name, text in by_field.items()]
            + ([loose] if loose else [])
        )
    return error_response(
        request, 422, "invalid_request", summary or "invalid request", details=details
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, AllianceError):  # e.g. the body limit, hit while parsing
        return await alliance_error(request, exc.__cause__)
    messages = {404: "no such page or endpoint", 405: "method not allowed here"}
    message = messages.get(exc.status_code) or str(exc.detail)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, message, headers=dict(exc.headers or {}))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    incident = secrets.token_hex(6)
    log.error(
        "incident %s on %s %s",
        incident,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        request, 500, "internal_error", f"something went wrong on our side (incident {incident})"
    )


async def unencodable_text(request: Request, exc: Exception) -> Response:
    """Text the database driver cannot encode: an unpaired surrogate that reached a field
    some other way than a JSON body (which web/inputs.py refuses at the door). The
    request's transaction has rolled back; this is bad input, not a server error."""
    assert isinstance(exc, UnicodeEncodeError)
    if exc.reason != "surrogates not allowed":
        return await unexpected_error(request, exc)
    message = "the request holds text with an unpaired UTF-16 surrogate: not a character"
    return error_response(request, 400, InvalidInput.code, message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AllianceError, alliance_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(UnicodeEncodeError, unencodable_text)
    app.add_exception_handler(Exception, unexpected_error)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorOut(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


ERROR_DESCRIPTIONS = {
    400: "bad input (a malformed value or file, a NUL character, ...)",
    401: "no API key, or one that is unknown, expired or revoked",
    403: "the key's role lacks the permission this operation needs",
    404: "no such record, or none you may see",
    409: "conflicts with the record's state or with an existing one",
    413: "the request body is over the size limit",
    422: "a parameter or the body does not match the schema",
    429: "too many requests: retry after the Retry-After header's seconds",
    502: "a service outside this server (NCMEC, the DSA Transparency Database, the hub) "
    "failed or refused a step: `details` says where the work stopped; it is kept, and the "
    "same call resumes it",
    503: "the database is not ready, the server is overloaded, or what the operation needs "
    "is not configured here: retry later, or see the message",
}
BODY_METHODS = {"post", "put", "patch"}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: the errors it answers beyond those :func:`route_errors`
    derives (a conflict, a record named in the body or query...)."""
    return {status: {"description": ERROR_DESCRIPTIONS[status]} for status in statuses}


def route_errors(route: APIRoute, method: str, permission: str | None) -> set[int]:
    """The error statuses ``route`` may answer to ``method``."""
    statuses = {400, 503} | {int(s) for s in route.responses if str(s)[:1] in ("4", "5")}
    if permission != PUBLIC:
        statuses.add(401)
        if permission != ANY_PRINCIPAL:
            statuses.add(403)
    dependant = route.dependant
    if dependant.path_params:
        statuses.add(404)
    if method in BODY_METHODS:
        statuses.add(413)
    if _takes_parameters(dependant):
        statuses.add(422)
    return statuses


def _takes_parameters(dependant: Any) -> bool:
    """Whether the route or one of its dependencies reads a path, query, header or body."""
    stack = [dependant]
    while stack:
        sub = stack.pop()
        if sub.query_params or sub.header_params or sub.body_params or sub.path_params:
            return True
        stack.extend(sub.dependencies)
    return False


def document_errors(
    app: FastAPI,
    routes: Callable[[FastAPI], list[APIRoute]],
    permission_of: Callable[[APIRoute], str | None],
) -> None:
    """Add every error status each operation can answer, with the error model, to the
    OpenAPI document (built once, on first request for it)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, sub in components["ErrorOut"].pop("$defs", {}).items():
            components[name] = sub
        reference = {"$ref": "#/components/schemas/ErrorOut"}
        for route in routes(app):
            if not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in sorted(route_errors(route, method.lower(), permission_of(route))):
                    entry = responses.setdefault(str(status), {})
                    entry.setdefault("description", ERROR_DESCRIPTIONS.get(status, "error"))
                    entry["content"] = {"application/json": {"schema": reference}}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
