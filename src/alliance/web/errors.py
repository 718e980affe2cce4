"""The one place where errors become HTTP responses.

API paths get ``{"error": {"code", "message"}}`` JSON; pages get the error page. An
unexpected exception is logged with an incident id and the client sees only that id.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.errors import (
    AllianceError,
    Conflict,
    DatabaseNotReady,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
)
from alliance.web.guards import LoginRequired
from alliance.web.pages.rendering import render

log = logging.getLogger("alliance.web")

STATUS_BY_ERROR: list[tuple[type[AllianceError], int]] = [
    (PayloadTooLarge, 413),
    (InvalidInput, 400),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (DatabaseNotReady, 503),
]

API_PREFIXES = ("/api/", "/m/", "/healthz", "/readyz")


def status_for(error: AllianceError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


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
    return error_response(request, status, exc.code, exc.message, headers=headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(request, 400, "malformed_json", "the request body is not valid JSON")
    details = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
        for err in errors
    ]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AllianceError, alliance_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
