"""The logged-in user's own account: change the password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.errors import InvalidInput
from alliance.web.guards import DbSession, page_authenticated
from alliance.web.pages.rendering import render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)


@router.get("/account")
def account(
    request: Request,
    session: DbSession,  # the page shell counts what waits for the user in it
    principal: Principal = page_authenticated,
) -> Response:
    return render(request, "account.html")


@router.post("/account/password")
def change_password(
    request: Request,
    session: DbSession,
    current_password: Annotated[str, Form(max_length=1000)],
    new_password: Annotated[str, Form(max_length=1000)],
    repeat_password: Annotated[str, Form(max_length=1000)],
    principal: Principal = page_authenticated,
    _csrf: None = csrf,
) -> Response:
    if new_password != repeat_password:
        raise InvalidInput("the two new passwords differ")
    accounts.change_own_password(session, principal, current_password, new_password)
    # Changing the password ends every session, this one included: log in again.
    return render(request, "account.html", {"changed": True})
