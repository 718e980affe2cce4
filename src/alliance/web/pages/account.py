"""The logged-in user's own account: who they are, what they may do, their password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation, User
from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal
from alliance.errors import AllianceError, InvalidInput
from alliance.web import forms
from alliance.web.errors import failed_form
from alliance.web.guards import DbSession, page_authenticated
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

PASSWORD_FIELDS = {
    "current_password": "Current password",
    "new_password": "New password",
    "repeat_password": "New password again",
}


def may_do(principal: Principal) -> list[tuple[Permission, bool]]:
    """What ``principal`` may do, in the order of the permissions' areas, and whether each
    reaches every organisation's records (rather than its own organisation's)."""
    return [
        (p, principal.reach(p) is Reach.ALL and principal.organisation_kind is not None)
        for p in Permission
        if principal.can(p)
    ]


def _account_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> Response:
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    organisation = (
        session.get(Organisation, principal.organisation_id)
        if principal.organisation_id is not None
        else None
    )
    return render(
        request,
        "account.html",
        {
            "user": user,
            "organisation": organisation,
            "may_do": may_do(principal),
            "form": form or forms.Form(),
        },
        status_code=status_code,
    )


@router.get("/account")
def account(
    request: Request, session: DbSession, principal: Principal = page_authenticated
) -> Response:
    return _account_page(request, session, principal)


@router.post("/account/password")
def change_password(
    request: Request,
    session: DbSession,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    repeat_password: Annotated[str, Form(max_length=1000)] = "",
    principal: Principal = page_authenticated,
    _csrf: None = csrf,
) -> Response:
    # Passwords are never typed back into the page.
    values = dict.fromkeys(PASSWORD_FIELDS, "")
    try:
        if not current_password:
            raise InvalidInput("give your current password", field="current_password")
        if new_password != repeat_password:
            raise InvalidInput("the two new passwords differ", field="repeat_password")
        with session.begin_nested():
            accounts.change_own_password(session, principal, current_password, new_password)
    except AllianceError as exc:
        form, status = failed_form(
            exc, values, fields={"password": "new_password"}, labels=PASSWORD_FIELDS
        )
        return _account_page(request, session, principal, form, status)
    # Changing the password ends every session, this one included: log in again.
    return redirect(
        request, "/login", notice="Password changed: log in again with your new password"
    )
