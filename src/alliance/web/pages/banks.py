"""Pages for hash banks: the list, one bank in detail, and a match lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.banks import services as banks
from alliance.banks.schemas import MatchRequest, SignalIn
from alliance.errors import InvalidInput
from alliance.hashing import signals
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
MAX_LOOKUP_LINES = 200


@router.get("/banks")
def bank_list(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    rows = [banks.bank_out(session, b) for b in banks.visible_banks(session, principal)]
    return render(request, "banks.html", {"banks": rows})


@router.get("/banks/{name}")
def bank_detail(
    request: Request,
    session: DbSession,
    name: str,
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    bank = banks.get_bank(session, principal, name)
    return render(
        request,
        "bank.html",
        {
            "bank": banks.bank_out(session, bank),
            "statistics": banks.bank_statistics(session, bank),
            "changes": [banks.entry_out(e) for e in banks.recent_changes(session, bank)],
            "syncs": banks.sync_status(session, principal, bank),
        },
    )


@router.get("/match")
def match_form(
    request: Request, principal: Principal = page_requires(Permission.MATCH_QUERY)
) -> Response:
    return render(
        request,
        "match.html",
        {"signal_types": sorted(signals.REGISTRY), "selected": "pdq", "text": ""},
    )


@router.post("/match")
def match_lookup(
    request: Request,
    session: DbSession,
    signal_type: Annotated[str, Form()],
    hashes: Annotated[str, Form(max_length=200_000)],
    principal: Principal = page_requires(Permission.MATCH_QUERY),
    _csrf: None = csrf,
) -> Response:
    lines = [line.strip() for line in hashes.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("paste at least one hash")
    if len(lines) > MAX_LOOKUP_LINES:
        raise InvalidInput(f"at most {MAX_LOOKUP_LINES} hashes at a time; use the API")
    response = banks.match(
        session,
        principal,
        MatchRequest(signals=[SignalIn(signal_type=signal_type, signal=line) for line in lines]),
    )
    return render(
        request,
        "match.html",
        {
            "signal_types": sorted(signals.REGISTRY),
            "selected": signal_type,
            "text": hashes,
            "results": response.results,
        },
    )
