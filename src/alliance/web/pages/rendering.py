"""Rendering pages: every template gets the principal, its navigation, a CSRF token, the
confirmation of what was just done (once), times in the user's time zone, and ``waiting_counts()``:
what waits for the user, counted when the page shell draws the navigation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from alliance.accounts.permissions import ROLE_LABELS
from alliance.accounts.services import jurisdiction_names
from alliance.web.labels import REGISTERED_COUNTRIES, when, zone
from alliance.web.navigation import DASHBOARD, menus_for, navigation_for
from alliance.web.security import CSRF_COOKIE, csrf_token
from alliance.web.state import app_state
from alliance.web.waiting import counted

#: A confirmation carried across a redirect ("Hold H-… placed"), shown by the next page.
NOTICE_COOKIE = "alliance_notice"
#: The browser's time zone (IANA name), set by static/tz.js; times are shown in it.
TIME_ZONE_COOKIE = "alliance_tz"


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


def _notice_signature(request: Request, text: bytes) -> str:
    key = app_state(request).secret_key.encode()
    return hmac.new(key, b"notice\x00" + text, hashlib.sha256).hexdigest()[:32]


def _take_notice(request: Request) -> str | None:
    """The confirmation a redirect left for this page, if it is ours (signed)."""
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw or "." not in raw:
        return None
    encoded, signature = raw.rsplit(".", 1)
    try:
        text = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _notice_signature(request, text)):
        return None
    return text.decode("utf-8", errors="replace")[:300]


def registered_countries(request: Request) -> dict[str, str]:
    """The registered jurisdictions' names, read once per request in its own transaction
    (none outside it: an error page names countries by their ISO names)."""
    found: dict[str, str] | None = getattr(request.state, "registered_countries", None)
    if found is not None:
        return found
    session: Session | None = getattr(request.state, "db_session", None)
    found = jurisdiction_names(session) if session is not None else {}
    request.state.registered_countries = found
    return found


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    take_notice: bool = True,
) -> Response:
    """``take_notice``: False for a fragment polled in the background, which must leave
    the confirmation for the page it belongs to."""
    state = app_state(request)
    principal = getattr(request.state, "principal", None)
    notice = _take_notice(request) if take_notice else None
    tz = zone(request.cookies.get(TIME_ZONE_COOKIE))
    full = {
        "request": request,
        "principal": principal,
        "role_label": ROLE_LABELS.get(principal.role) if principal else None,
        "navigation": navigation_for(principal, member=state.member is not None),
        "dashboard_link": DASHBOARD if principal and principal.can(DASHBOARD.permission) else None,
        "menus": menus_for(principal, member=state.member is not None),
        "waiting_counts": partial(counted, request, principal),
        "csrf_token": csrf_token(request),
        "mode": state.settings.mode.value,
        "notice": notice,
        "when": partial(when, tz=tz),
        REGISTERED_COUNTRIES: partial(registered_countries, request),
        **(context or {}),
    }
    response = state.templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )
    _apply_csrf_cookie(request, response)
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def here(request: Request) -> str:
    """This page's address on the site, with its query: what ``back`` carries."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def back_to(request: Request, back: str | None, path: str) -> str:
    """Where an action taken on the list at ``path`` returns: the list as it was shown
    (``back``, the address the form was on, with its filters, sort and page), or the bare
    list. Only ``path`` itself on this site, with any query: never another page or site.
    """
    if back:
        parts = urlsplit(back)
        if (
            not parts.scheme
            and not parts.netloc
            and not parts.fragment
            and parts.path == path
            and "\\" not in back
        ):
            return f"{path}?{parts.query}" if parts.query else path
    return path


def redirect(request: Request, url: str, *, notice: str | None = None) -> Response:
    """303 to ``url``; ``notice`` is the confirmation the next page shows once."""
    response = RedirectResponse(url, status_code=303)
    _apply_csrf_cookie(request, response)
    if notice:
        text = notice.encode()[:300]
        value = base64.urlsafe_b64encode(text).decode() + "." + _notice_signature(request, text)
        response.set_cookie(
            NOTICE_COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=app_state(request).settings.secure_cookies,
            path="/",
            max_age=120,
        )
    return response
