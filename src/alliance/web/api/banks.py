"""API for hash banks: manage, contribute, verify, distribute (signed), match, feedback."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.banks import distribution, formats, manifest, media, snapshots
from alliance.banks import services as banks
from alliance.banks.schemas import (
    BankIn,
    BankOut,
    EntriesAdded,
    EntryIn,
    EntryOut,
    FeedbackIn,
    FeedbackOut,
    ImportResult,
    LocalFeedbackIn,
    MatchRequest,
    MatchResponse,
    SignalIn,
)
from alliance.blocklists import distribution as blocklist_distribution
from alliance.errors import InvalidInput
from alliance.validation import RecordId, SeqNo
from alliance.web.api.signed import NDJSON, signed_document, signed_route
from alliance.web.errors import answers
from alliance.web.guards import DbSession, public, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1", tags=["banks"])
hma_router = APIRouter(prefix="/m", tags=["HMA compatibility"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(min_length=1, max_length=banks.MAX_ENTRIES_PER_CALL)


class EntryIds(BaseModel):
    ids: list[RecordId] = Field(min_length=1, max_length=100_000)


class PublicKey(BaseModel):
    key_id: str
    algorithm: str
    public_key_pem: str


class PublicKeys(BaseModel):
    keys: list[PublicKey]


@router.get("/keys", dependencies=[public])
def signing_keys(request: Request) -> PublicKeys:
    """The platform's public key(s) that sign bank snapshots and deltas. Pin it."""
    signer = app_state(request).signer
    return PublicKeys(
        keys=[
            PublicKey(key_id=signer.key_id, algorithm="Ed25519", public_key_pem=signer.public_pem())
        ]
    )


@router.get("/banks")
def list_banks(
    session: DbSession, principal: Principal = requires(Permission.BANK_READ)
) -> list[BankOut]:
    """Banks you own or may subscribe to."""
    return [banks.bank_out(session, b) for b in banks.visible_banks(session, principal)]


@router.post("/banks", status_code=201, responses=answers(404, 409))
def create_bank(
    data: BankIn, session: DbSession, principal: Principal = requires(Permission.BANK_MANAGE)
) -> BankOut:
    """Create a bank (a name already taken gets 409)."""
    return banks.bank_out(session, banks.create_bank(session, principal, data))


@router.get("/banks/{name}")
def get_bank(
    name: str, session: DbSession, principal: Principal = requires(Permission.BANK_READ)
) -> BankOut:
    """One bank, with its counts. A bank you may not see is 404."""
    return banks.bank_out(session, banks.get_bank(session, principal, name))


@router.get("/banks/{name}/entries")
def list_entries(
    name: str,
    session: DbSession,
    since: SeqNo = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    include_removed: bool = False,
    principal: Principal = requires(Permission.BANK_READ),
) -> list[EntryOut]:
    """Entries changed after sequence number ``since``, oldest change first."""
    return [
        banks.entry_out(e)
        for e in banks.list_entries(
            session, principal, name, since=since, limit=limit, include_removed=include_removed
        )
    ]


@router.post("/banks/{name}/entries")
def add_entries(
    name: str,
    data: EntriesIn,
    session: DbSession,
    principal: Principal = requires(Permission.ENTRY_CONTRIBUTE),
) -> EntriesAdded:
    """Add or update entries, all or nothing; a bad one names its position."""
    return banks.add_entries(session, principal, name, data.entries)


@router.post(
    "/banks/{name}/import",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
def import_file(
    principal: Annotated[Principal, requires(Permission.ENTRY_CONTRIBUTE)],
    name: str,
    session: DbSession,
    data: Annotated[bytes, Depends(_raw_body)],
    format: Annotated[str, Query(description="vics, csv, txt or ncmec")],
) -> ImportResult:
    """Import a hash list (the file as the body): all of it, or nothing and a message
    naming the line or record at fault."""
    return banks.import_batch(session, principal, name, formats.parse(format, data))


@router.get("/banks/{name}/export", response_class=Response)
def export_file(
    name: str,
    session: DbSession,
    format: Annotated[str, Query(description="vics, csv or txt")],
    principal: Principal = requires(Permission.BANK_READ),
) -> Response:
    """The bank's live entries in an interchange format."""
    spec = formats.get(format)
    body = banks.export_entries(session, principal, name, format)
    return Response(
        body,
        media_type=spec.media_type,
        headers={"content-disposition": f'attachment; filename="{name}{spec.suffix}"'},
    )


@router.post("/banks/{name}/entries/remove")
def remove_entries(
    name: str,
    data: EntryIds,
    session: DbSession,
    principal: Principal = requires(Permission.ENTRY_CONTRIBUTE),
) -> dict[str, int]:
    """Remove entries (tombstones: subscribers drop them on their next sync)."""
    return {"removed": banks.remove_entries(session, principal, name, data.ids)}


@router.post("/banks/{name}/entries/{entry_id}/votes", responses=answers(409))
def vote(
    name: str,
    entry_id: RecordId,
    session: DbSession,
    principal: Principal = requires(Permission.ENTRY_VERIFY),
) -> EntryOut:
    """Verify an entry as an analyst; three distinct analysts make it verified."""
    return banks.entry_out(banks.vote(session, principal, name, entry_id))


@router.get("/sync/manifest", **signed_route("signed bank manifest"))
def sync_manifest(
    request: Request,
    session: DbSession,
    held: Annotated[
        list[str] | None,
        Query(
            description="the banks you hold: each you may no longer receive is listed as removed"
        ),
    ] = None,
    principal: Principal = requires(Permission.BANK_READ),
) -> Response:
    """The banks, and the lists for blocking, you may receive and their sequences, as a
    signed ``alliance.bank-manifest`` document (see docs/banks.md, docs/blocklists.md);
    ``alliance sync`` acts on nothing else."""
    lists = blocklist_distribution.manifest_lists(session, principal)
    body = manifest.issue(session, principal, held or [], app_state(request).signer, lists)
    return signed_document(request, body, "banks", "manifest")


@router.get(
    "/banks/{name}/snapshot",
    response_class=Response,
    responses={
        200: {
            "content": {NDJSON: {}, snapshots.MEDIA_TYPE: {}},
            "description": "signed snapshot",
        }
    },
)
def snapshot(
    name: str,
    request: Request,
    session: DbSession,
    format: Annotated[
        Literal["jsonl", "binary"],
        Query(description="jsonl: an alliance.bank document; binary: alliance.bank-snapshot"),
    ] = "jsonl",
    principal: Principal = requires(Permission.BANK_READ),
) -> Response:
    """Every live entry, as a signed ``alliance.bank`` document, or as a signed binary
    ``alliance.bank-snapshot`` of the same content (``format=binary``, what ``alliance
    sync`` asks for; see docs/banks.md)."""
    signer = app_state(request).signer
    if format == "jsonl":
        return signed_document(
            request, distribution.snapshot(session, principal, name, signer), name, "snapshot"
        )
    return Response(
        distribution.binary_snapshot(session, principal, name, signer),
        media_type=snapshots.MEDIA_TYPE,
        headers={
            "content-disposition": f'attachment; filename="{name}.snapshot.bin"',
            "x-alliance-key-id": signer.key_id,
        },
    )


@router.get("/banks/{name}/delta", **signed_route("signed delta"))
def delta(
    name: str,
    request: Request,
    session: DbSession,
    since: Annotated[SeqNo, Query(description="your checkpoint")] = 0,
    principal: Principal = requires(Permission.BANK_READ),
) -> Response:
    """Entries changed after ``since`` (removals included), as a signed document."""
    body = distribution.delta(session, principal, name, since, app_state(request).signer)
    return signed_document(request, body, name, "delta")


@router.post("/match", responses=answers(404))
def match(
    request: Request,
    data: MatchRequest,
    session: DbSession,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> MatchResponse:
    """Match one or many signals against your banks; full context for every match."""
    state = app_state(request)
    every_bank = state.recent_banks.all(session)
    watched = state.recent_watches.all(session)
    return banks.match(session, principal, data, every_bank, state.entry_cards, watched)


@router.post(
    "/match/file",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
def match_file(
    # The guard comes first: nobody uploads anything before being authorised.
    principal: Annotated[Principal, requires(Permission.MATCH_QUERY)],
    session: DbSession,
    data: Annotated[bytes, Depends(_raw_body)],
) -> MatchResponse:
    """Match an uploaded file (raw bytes, ``--data-binary @photo.jpg``). It is hashed in
    memory and never stored; the response lists the signals computed and their matches."""
    return banks.match(session, principal, MatchRequest(signals=media.signals_of_media(data)))


@router.post("/matches/{match_id}/feedback", responses=answers(409))
def feedback(
    match_id: RecordId,
    data: FeedbackIn,
    session: DbSession,
    principal: Principal = requires(Permission.MATCH_FEEDBACK),
) -> FeedbackOut:
    """Confirm or dispute one of your matches."""
    return banks.feedback(session, principal, match_id, data)


@router.post("/banks/{name}/entries/{entry_id}/feedback", responses=answers(409))
def local_feedback(
    name: str,
    entry_id: RecordId,
    data: LocalFeedbackIn,
    session: DbSession,
    principal: Principal = requires(Permission.MATCH_FEEDBACK),
) -> FeedbackOut:
    """Confirm or dispute a match your own scan found (bank and entry from its record)."""
    return banks.feedback_on_local_match(session, principal, name, entry_id, data)


@hma_router.get("/lookup")
def hma_lookup(
    request: Request,
    session: DbSession,
    signal_type: str | None = None,
    signal: str | None = None,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> dict[str, Any]:
    """HMA-compatible lookup: matches grouped by bank, each ``bank_content_id`` and
    ``distance``. HMA clients switch by changing the base URL (and sending a key)."""
    if not signal_type or not signal:
        raise InvalidInput("give both signal_type and signal")
    query = MatchRequest(signals=[SignalIn(signal_type=signal_type, signal=signal)])
    every_bank = app_state(request).recent_banks.all(session)
    result = banks.match(session, principal, query, every_bank).results[0]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for m in result.matches:
        grouped.setdefault(m.bank, []).append(
            {"bank_content_id": m.entry_id, "distance": str(m.distance)}
        )
    return grouped
