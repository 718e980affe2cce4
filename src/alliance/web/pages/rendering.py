"""Rendering pages: every template gets the principal, its navigation and a CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from alliance.accounts.permissions import ROLE_LABELS
from alliance.web.navigation import navigation_for
from alliance.web.security import CSRF_COOKIE, csrf_token
from alliance.web.state import app_state


def _apply_csrf_cookie(request: Request, response: Response) -> None:
    cookie = getattr(request.state, "new_csrf_cookie", None)
    if cookie:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=app_state(request).settings.secure_cookies,
            path="/",
        )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    state = app_state(request)
    principal = getattr(request.state, "principal", None)
    full = {
        "request": request,
        "principal": principal,
        "role_label": ROLE_LABELS.get(principal.role) if principal else None,
        "navigation": navigation_for(principal),
        "csrf_token": csrf_token(request),
        "mode": state.settings.mode.value,
        **(context or {}),
    }
    response = state.templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )
    _apply_csrf_cookie(request, response)
    return response


def redirect(request: Request, url: str) -> Response:
    response = RedirectResponse(url, status_code=303)
    _apply_csrf_cookie(request, response)
    return response
