"""Countries' commitments pages: a country's cycle (the four policy targets), the edit
form per target, its history with the differences between versions, the secretariat's
list of submitted texts, and the public pages of what is published (no login).

Decisions are :mod:`alliance.countries.commitments`': who reads which version, who writes,
who publishes; the pages only ask it and draw.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries import commitments, display_name
from alliance.countries.commitments import SECTIONS
from alliance.countries.models import Commitment
from alliance.countries.schemas import CommitmentIn
from alliance.errors import AllianceError, Conflict, InvalidInput, PermissionDenied
from alliance.web import forms
from alliance.web.errors import failed_form
from alliance.web.guards import DbSession, page_public, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

FIELDS = {**SECTIONS, "version": "Version"}
SECTION_HINTS = {
    "baseline": "what your country already does",
    "committed": "the new concrete actions it commits to",
    "progress": "what was done in the cycle",
}


def current_cycle() -> int:
    return datetime.now(UTC).year


def _base(country: str, cycle: int) -> str:
    return f"/commitments/{country.upper()}/{cycle}"


def _cycle_page(
    request: Request,
    session: Session,
    principal: Principal,
    country: str,
    cycle: int,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> Response:
    views = commitments.cycle_view(session, principal, country, cycle)
    code = country.strip().upper()
    return render(
        request,
        "commitments_cycle.html",
        {
            "country": code,
            "country_label": display_name(code),
            "cycle": cycle,
            "views": views,
            "sections": SECTIONS,
            "may_edit": commitments.may_edit(principal, code),
            "may_publish": commitments.may_publish(principal),
            "working": commitments.may_see_working(principal, code),
            "cycles": commitments.cycles_of(session, principal, code),
            "public_url": f"/countries/{code}/commitments/{cycle}",
            "form": form,
        },
        status_code=status_code,
    )


@router.get("/commitments")
def commitments_index(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.COMMITMENT_READ),
) -> Response:
    """Every country and cycle this reader may see, with where each target stands."""
    found = commitments.list_commitments(session, principal)
    grouped: dict[tuple[str, int], list[Commitment]] = defaultdict(list)
    for c in found:
        grouped[(c.country_code, c.cycle)].append(c)
    rows = [
        {
            "country": code,
            "cycle": cycle,
            "statuses": [
                commitments.commitment_out(principal, c).status
                for c in sorted(items, key=lambda c: c.target_id)
            ],
            "href": _base(code, cycle),
        }
        for (code, cycle), items in sorted(grouped.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    ]
    own = (
        principal.country_code
        if commitments.may_edit(principal, principal.country_code or "")
        else None
    )
    return render(
        request,
        "commitments.html",
        {
            "rows": rows,
            "own_country": own,
            "own_href": _base(own, current_cycle()) if own else None,
            "current_cycle": current_cycle(),
            "may_publish": commitments.may_publish(principal),
        },
    )


@router.get("/commitments/submitted")
def commitments_submitted(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.COMMITMENT_PUBLISH),
) -> Response:
    """What waits for the secretariat to publish."""
    found = commitments.list_submitted(session, principal)
    rows = [
        {
            "commitment": c,
            "target": commitments.target_item(c.target_id),
            "number": commitments.target_number(c.target_id),
            "href": _base(c.country_code, c.cycle)
            + f"#target-{commitments.target_number(c.target_id)}",
        }
        for c in found
    ]
    return render(request, "commitments_submitted.html", {"rows": rows})


@router.get("/commitments/{country}/{cycle}")
def commitments_cycle(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    principal: Principal = page_requires(Permission.COMMITMENT_READ),
) -> Response:
    return _cycle_page(request, session, principal, country, cycle)


def _edit_page(
    request: Request,
    session: Session,
    principal: Principal,
    country: str,
    cycle: int,
    target: int,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> Response:
    views = commitments.cycle_view(session, principal, country, cycle)
    tid = commitments.target_id(target)
    view = next(v for v in views if v.target == tid)
    current = view.commitment.current if view.commitment else None
    if form is None:
        form = forms.Form(
            values={
                **{s: getattr(current, s) if current else "" for s in SECTIONS},
                "version": str(current.number if current else 0),
            },
            labels=FIELDS,
        )
    stale = None
    if form.values.get("conflict") and current is not None:
        stale = commitments.diff_against(form.values, current)
    return render(
        request,
        "commitment_edit.html",
        {
            "country": view.commitment.country_code if view.commitment else country.upper(),
            "country_label": display_name(country.strip().upper()),
            "cycle": cycle,
            "view": view,
            "current": current,
            "sections": SECTIONS,
            "hints": SECTION_HINTS,
            "form": form,
            "stale": stale,
            "submitted": view.commitment is not None
            and view.commitment.status.value == "submitted",
        },
        status_code=status_code,
    )


@router.get("/commitments/{country}/{cycle}/{target}/edit")
def commitment_edit(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    principal: Principal = page_requires(Permission.COMMITMENT_EDIT),
) -> Response:
    code = commitments.member_country(session, country).code
    if not commitments.may_edit(principal, code):
        raise PermissionDenied(
            f"only the editors of {display_name(code)}'s government write its commitments"
        )
    return _edit_page(request, session, principal, code, cycle, target)


@router.post("/commitments/{country}/{cycle}/{target}/edit", dependencies=[csrf])
def commitment_save(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    baseline: Annotated[str, Form(max_length=40_000)] = "",
    committed: Annotated[str, Form(max_length=40_000)] = "",
    progress: Annotated[str, Form(max_length=40_000)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
    principal: Principal = page_requires(Permission.COMMITMENT_EDIT),
) -> Response:
    """Save a new version; a stale one is 409 with the text typed kept and the current
    version beside it, to compare."""
    values = {
        "baseline": baseline,
        "committed": committed,
        "progress": progress,
        "version": version,
    }
    code = country.strip().upper()
    try:
        data = CommitmentIn.model_validate(values)
        with session.begin_nested():
            saved = commitments.save(session, principal, code, cycle, target, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, AllianceError) and not isinstance(exc, (InvalidInput, Conflict)):
            raise
        form, status = failed_form(exc, values, labels=FIELDS)
        if isinstance(exc, Conflict) and exc.field == "version":
            form.values["conflict"] = "1"
            form.errors.pop("version", None)
            form.message = exc.message
        return _edit_page(request, session, principal, code, cycle, target, form, status)
    number = commitments.target_number(saved.target_id)
    return redirect(
        request,
        f"{_base(code, cycle)}#target-{number}",
        notice=f"Target {number} saved as version {saved.version} (a draft).",
    )


def _step(
    request: Request,
    session: Session,
    principal: Principal,
    country: str,
    cycle: int,
    target: int,
    action: str,
    values: dict[str, str],
    run: Any,
) -> Response:
    code = country.strip().upper()
    try:
        with session.begin_nested():
            done = run()
    except AllianceError as exc:
        if not isinstance(exc, (InvalidInput, Conflict)):
            raise
        form, status = failed_form(
            exc, values, labels={"reason": "Reason"}, name=f"{action}-{target}"
        )
        return _cycle_page(request, session, principal, code, cycle, form, status)
    number = commitments.target_number(done.target_id)
    words = {
        "submit": "submitted to the secretariat",
        "publish": "published",
        "return": "returned to the country as a draft",
    }[action]
    return redirect(
        request,
        f"{_base(code, cycle)}#target-{number}",
        notice=f"Target {number}, version {done.version}, {words}.",
    )


def _version(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 7:
        raise InvalidInput("not a version number", field="version")
    return int(value)


@router.post("/commitments/{country}/{cycle}/{target}/submit", dependencies=[csrf])
def commitment_submit(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    version: Annotated[str, Form(max_length=20)] = "",
    principal: Principal = page_requires(Permission.COMMITMENT_EDIT),
) -> Response:
    return _step(
        request,
        session,
        principal,
        country,
        cycle,
        target,
        "submit",
        {"version": version},
        lambda: commitments.submit(
            session, principal, country, cycle, target, version=_version(version)
        ),
    )


@router.post("/commitments/{country}/{cycle}/{target}/publish", dependencies=[csrf])
def commitment_publish(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    version: Annotated[str, Form(max_length=20)] = "",
    principal: Principal = page_requires(Permission.COMMITMENT_PUBLISH),
) -> Response:
    return _step(
        request,
        session,
        principal,
        country,
        cycle,
        target,
        "publish",
        {"version": version},
        lambda: commitments.publish(
            session, principal, country, cycle, target, version=_version(version)
        ),
    )


@router.post("/commitments/{country}/{cycle}/{target}/return", dependencies=[csrf])
def commitment_return(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
    principal: Principal = page_requires(Permission.COMMITMENT_PUBLISH),
) -> Response:
    return _step(
        request,
        session,
        principal,
        country,
        cycle,
        target,
        "return",
        {"reason": reason, "version": version},
        lambda: commitments.return_to_draft(
            session, principal, country, cycle, target, reason, version=_version(version)
        ),
    )


@router.get("/commitments/{country}/{cycle}/{target}/history")
def commitment_history(
    request: Request,
    session: DbSession,
    country: str,
    cycle: int,
    target: int,
    old: int | None = None,
    new: int | None = None,
    principal: Principal = page_requires(Permission.COMMITMENT_READ),
) -> Response:
    """Every version, and what changed between two (by default the last two)."""
    found = commitments.history(session, principal, country, cycle, target)
    newer = found.version_numbered(new) if new is not None else found.current
    if newer is None:
        raise InvalidInput(f"there is no version {new}", field="new")
    older = (
        found.version_numbered(old) if old is not None else found.version_numbered(newer.number - 1)
    )
    if old is not None and older is None:
        raise InvalidInput(f"there is no version {old}", field="old")
    return render(
        request,
        "commitment_history.html",
        {
            "commitment": found,
            "country_label": display_name(found.country_code),
            "target": commitments.target_item(found.target_id),
            "number": commitments.target_number(found.target_id),
            "base": _base(found.country_code, found.cycle),
            "versions": list(reversed(found.versions)),
            "older": older,
            "newer": newer,
            "diff": commitments.diff_versions(older, newer),
        },
    )


# --- the public pages: published texts, no login ---------------------------------------


@router.get("/countries/{country}/commitments", dependencies=[page_public])
def public_commitments(request: Request, session: DbSession, country: str) -> Response:
    """The cycles of a country with a published text."""
    code = commitments.member_country(session, country).code
    return render(
        request,
        "commitments_public.html",
        {
            "country": code,
            "country_label": display_name(code),
            "cycles": commitments.cycles_of(session, None, code),
            "cycle": None,
            "views": None,
            "sections": SECTIONS,
        },
    )


@router.get("/countries/{country}/commitments/{cycle}", dependencies=[page_public])
def public_commitments_cycle(
    request: Request, session: DbSession, country: str, cycle: int
) -> Response:
    """A country's published commitments and reports for a cycle, for anyone."""
    views = commitments.cycle_view(session, None, country, cycle)
    code = country.strip().upper()
    return render(
        request,
        "commitments_public.html",
        {
            "country": code,
            "country_label": display_name(code),
            "cycles": commitments.cycles_of(session, None, code),
            "cycle": cycle,
            "views": views,
            "sections": SECTIONS,
        },
    )
