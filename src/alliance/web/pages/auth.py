"""Log in and out of the web interface."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from alliance.accounts import services as accounts
from alliance.errors import RateLimited
from alliance.web import forms
from alliance.web.guards import SESSION_COOKIE, DbSession, page_authenticated, page_public
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect, rotate_csrf
from alliance.web.state import app_state, client_address

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a fresh login to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/dashboard"


@router.get("/", dependencies=[page_public])
def home(request: Request) -> Response:
    return redirect(request, "/dashboard" if request.cookies.get(SESSION_COOKIE) else "/login")


LOGIN_FIELDS = {"username": "Username", "password": "Password"}


@router.get("/login", dependencies=[page_public])
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": next, "form": forms.Form()})


@router.post("/login", dependencies=[page_public, csrf])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    state = app_state(request)
    address = client_address(request)
    name = username.strip().lower()
    # The password is never typed back into the page.
    values = {"username": name, "password": ""}
    missing = [f for f, v in (("username", name), ("password", password)) if not v]
    if missing:
        form = forms.Form(
            values=values,
            errors=dict.fromkeys(missing, "this is required"),
            message="Please give your username and password.",
            labels=LOGIN_FIELDS,
        )
        return render(request, "login.html", {"form": form, "next": next}, status_code=400)
    try:
        with state.sessions.begin() as session:
            _principal, token = accounts.login(
                session,
                name,
                password,
                address,
                state.login_limits,
                state.settings.session_hours,
            )
    except (accounts.LoginRejected, RateLimited) as error:
        limited = isinstance(error, RateLimited)
        reason = "rate limited" if limited else getattr(error, "reason", "rejected")
        with state.sessions.begin() as session:
            accounts.record_login_failure(session, name, address, reason, rate_limited=limited)
        status = 429 if limited else 401
        headers = (
            {"retry-after": str(error.retry_after_seconds)}
            if isinstance(error, RateLimited)
            else None
        )
        message = error.message[:1].upper() + error.message[1:] + "."
        form = forms.Form(values=values, message=message, labels=LOGIN_FIELDS)
        return render(
            request,
            "login.html",
            {"form": form, "next": next},
            status_code=status,
            headers=headers,
        )
    rotate_csrf(request)
    response = redirect(request, _safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=state.settings.secure_cookies,
        max_age=state.settings.session_hours * 3600,
    )
    return response


@router.post("/logout", dependencies=[page_authenticated, csrf])
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.logout(session, token)
    rotate_csrf(request)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
