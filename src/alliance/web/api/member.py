"""Member mode's API (`alliance serve --member`): upload-time matching for the member's own
services, HMA-compatible lookups, and the member's local banks.

Served only in member mode; each route calls one service of :mod:`alliance.member`. An
upload refused (not an image, a URL outside the storage allow-list) is audited in a
transaction of its own, a burst of one kind in summary (alliance.web.bookkeeping).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.banks.schemas import EntriesAdded, SignalIn
from alliance.errors import AllianceError, InvalidInput, NotFound
from alliance.member import local_banks, review, uploads
from alliance.member.deployment import MemberDeployment
from alliance.member.schemas import (
    HashQuery,
    LocalBankIn,
    LocalBankOut,
    LocalEntriesIn,
    UploadAnswer,
    UrlQuery,
)
from alliance.web.api.banks import EntryIds
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state
from alliance.web.uploads import MalformedUpload, UploadedForm, read_upload

router = APIRouter(prefix="/api/v1/member", tags=["member mode"])
hma_router = APIRouter(prefix="/m", tags=["HMA compatibility"])

T = TypeVar("T")
MULTIPART = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "reference": {"type": "string", "maxLength": 200},
                    },
                    "required": ["file"],
                }
            }
        },
        "required": True,
    }
}


def _member(request: Request) -> MemberDeployment:
    member = app_state(request).member
    if member is None:  # the routes are only mounted in member mode
        raise NotFound("this server does not run in member mode")
    return member


def _audited(request: Request, actor: Principal, kind: uploads.Kind, run: Callable[[], T]) -> T:
    """``run()``; an upload it refuses is audited before the error is answered."""
    try:
        return run()
    except (InvalidInput, NotFound) as exc:
        refused: AllianceError = exc
        app_state(request).refusals.note(
            ("member_upload", kind, refused.code, actor.audit_label),
            lambda s, count: uploads.record_refusal(s, actor, kind, refused, count=count),
        )
        raise


async def _form(request: Request) -> UploadedForm | MalformedUpload:
    """The request's multipart form in memory, or why it is none (refused, and audited,
    by the route)."""
    try:
        return await read_upload(request)
    except MalformedUpload as exc:
        return exc


def _file_of(form: UploadedForm | MalformedUpload) -> bytes:
    if isinstance(form, MalformedUpload) or "file" not in form.files:
        raise uploads.NotMedia(
            "send the file as multipart/form-data, in a part named 'file'", field="file"
        )
    return form.files["file"][1]


@router.get("/status")
def status(request: Request, _: Principal = requires(Permission.BANK_READ)) -> dict[str, Any]:
    """The synced banks this server answers from (their sequences) and its syncs."""
    member = _member(request)
    health = member.schedule.health
    return {
        "hub": member.profile.hub_url,
        "hub_key_id": member.profile.hub_key_id,
        "banks": member.schedule.replica.checkpoints(),
        "syncs": health.syncs,
        "failed_syncs": health.failures,
        "last_sync_at": health.last_sync_at,
        "last_error": health.last_error,
        "sync_running": member.schedule.running,
    }


@router.post("/match/hash", responses=answers(404))
def match_hash(
    request: Request,
    data: HashQuery,
    session: DbSession,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> UploadAnswer:
    """Match hashes your service computed (PDQ, vPDQ, MD5, SHA-1, SHA-256; PDQ and vPDQ
    with their query forms) against the synced and your local banks."""
    store = _member(request).schedule.store
    return _audited(
        request,
        principal,
        "hash",
        lambda: review.queue_for_review(
            session,
            principal,
            uploads.match_hashes(session, principal, store, data.signals, reference=data.reference),
            None,
            app_state(request).settings,
        ),
    )


@router.post("/match/file", openapi_extra=MULTIPART)
def match_file(
    # The guard comes first: nobody uploads anything before being authorised.
    principal: Annotated[Principal, requires(Permission.MATCH_QUERY)],
    request: Request,
    session: DbSession,
    form: Annotated[UploadedForm | MalformedUpload, Depends(_form)],
) -> UploadAnswer:
    """Match an image or a video (multipart: ``file``, optional ``reference``). It is
    hashed in memory, never stored, never sent anywhere; not an image: 400."""
    store = _member(request).schedule.store

    def run() -> UploadAnswer:
        data = _file_of(form)
        reference = (
            form.fields.get("reference") if isinstance(form, UploadedForm) else None
        ) or None
        # A media upload's form is not screened for NUL as other bodies are (the file's
        # bytes may hold any), so its one text field is checked here.
        if reference is not None and (len(reference) > 200 or "\x00" in reference):
            raise InvalidInput(
                "a reference is at most 200 characters, without NUL", field="reference"
            )
        answer = uploads.match_file(session, principal, store, data, reference=reference)
        return review.queue_for_review(
            session, principal, answer, None, app_state(request).settings
        )

    return _audited(request, principal, "file", run)


@router.post("/match/url", responses=answers(404))
def match_url(
    request: Request,
    data: UrlQuery,
    session: DbSession,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> UploadAnswer:
    """Fetch a file from your own storage (only under ALLIANCE_MEMBER_STORAGE_URLS; any
    other URL is refused, nothing fetched), hash it in memory and match it."""
    member = _member(request)
    return _audited(
        request,
        principal,
        "url",
        lambda: review.queue_for_review(
            session,
            principal,
            uploads.match_url(
                session,
                principal,
                member.schedule.store,
                member.storage,
                data.url,
                reference=data.reference,
            ),
            data.url,
            app_state(request).settings,
        ),
    )


@router.get("/banks")
def list_banks(
    session: DbSession, principal: Principal = requires(Permission.BANK_READ)
) -> list[LocalBankOut]:
    """Your local banks (positive and negative)."""
    return local_banks.list_local_banks(session, principal)


@router.post("/banks", status_code=201, responses=answers(409))
def create_bank(
    request: Request,
    data: LocalBankIn,
    session: DbSession,
    principal: Principal = requires(Permission.BANK_MANAGE),
) -> LocalBankOut:
    """Create a local bank; ``negative: true`` makes it a suppression bank. A name taken
    (by a local or a synced bank) gets 409."""
    synced = _member(request).schedule.store.banks.keys()
    bank = local_banks.create_local_bank(session, principal, data, synced)
    return local_banks.bank_out(session, bank)


@router.post("/banks/{name}/entries")
def add_entries(
    name: str,
    data: LocalEntriesIn,
    session: DbSession,
    principal: Principal = requires(Permission.BANK_MANAGE),
) -> EntriesAdded:
    """Add hashes to a local bank, all or nothing; a bad one names its position."""
    return local_banks.add_hashes(session, principal, name, data.entries)


@router.post("/banks/{name}/entries/remove")
def remove_entries(
    name: str,
    data: EntryIds,
    session: DbSession,
    principal: Principal = requires(Permission.BANK_MANAGE),
) -> dict[str, int]:
    """Remove entries of a local bank by id."""
    return {"removed": local_banks.remove_hashes(session, principal, name, data.ids)}


def _grouped(answer: UploadAnswer) -> dict[str, list[dict[str, str | int]]]:
    """HMA's shape: the matches not suppressed, grouped by bank."""
    grouped: dict[str, list[dict[str, str | int]]] = {}
    for result in answer.results:
        for m in result.matches:
            if not m.suppressed:
                grouped.setdefault(m.bank, []).append(
                    {"bank_content_id": m.entry_id, "distance": str(m.distance)}
                )
    return grouped


@hma_router.get("/lookup", responses=answers(404))
def hma_lookup(
    request: Request,
    session: DbSession,
    signal_type: str | None = None,
    signal: Annotated[str | None, Query(max_length=2_000_000)] = None,
    url: Annotated[str | None, Query(max_length=2000)] = None,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> dict[str, Any]:
    """HMA-compatible lookup against the synced and local banks: ``signal_type`` and
    ``signal`` give the matches grouped by bank (``bank_content_id``, ``distance``);
    ``url`` (of your storage only) gives them per signal type of the file. Suppressed
    matches are left out, as HMA leaves out what its ignore lists hold."""
    member = _member(request)
    if url:
        answer = _audited(
            request,
            principal,
            "url",
            lambda: uploads.match_url(
                session, principal, member.schedule.store, member.storage, url
            ),
        )
        return _by_signal_type(answer)
    if not signal_type or not signal:
        raise InvalidInput("give both signal_type and signal (or url)")
    answer = _audited(
        request,
        principal,
        "hash",
        lambda: uploads.match_hashes(
            session,
            principal,
            member.schedule.store,
            [SignalIn(signal_type=signal_type, signal=signal)],
        ),
    )
    return _grouped(answer)


@hma_router.get("/raw_lookup", responses=answers(404))
def hma_raw_lookup(
    request: Request,
    session: DbSession,
    signal_type: str | None = None,
    signal: Annotated[str | None, Query(max_length=2_000_000)] = None,
    include_distance: bool = False,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> dict[str, list[Any]]:
    """HMA-compatible raw lookup: the matching entries' ids (``content_id`` and
    ``distance`` with ``include_distance=true``), suppressed ones left out."""
    if not signal_type or not signal:
        raise InvalidInput("give both signal_type and signal")
    store = _member(request).schedule.store
    answer = _audited(
        request,
        principal,
        "hash",
        lambda: uploads.match_hashes(
            session, principal, store, [SignalIn(signal_type=signal_type, signal=signal)]
        ),
    )
    kept = [m for r in answer.results for m in r.matches if not m.suppressed]
    if include_distance:
        return {"matches": [{"content_id": m.entry_id, "distance": str(m.distance)} for m in kept]}
    return {"matches": [m.entry_id for m in kept]}


@hma_router.post("/lookup", openapi_extra=MULTIPART)
def hma_lookup_file(
    principal: Annotated[Principal, requires(Permission.MATCH_QUERY)],
    request: Request,
    session: DbSession,
    form: Annotated[UploadedForm | MalformedUpload, Depends(_form)],
) -> dict[str, Any]:
    """HMA-compatible lookup of an uploaded file (multipart ``file``): the matches per
    signal type of the file, grouped by bank."""
    store = _member(request).schedule.store
    answer = _audited(
        request,
        principal,
        "file",
        lambda: uploads.match_file(session, principal, store, _file_of(form)),
    )
    return _by_signal_type(answer)


def _by_signal_type(answer: UploadAnswer) -> dict[str, Any]:
    return {
        r.signal_type: _grouped(answer.model_copy(update={"results": [r]})) for r in answer.results
    }


#: HMA's hashing routes (``/h/``): hashes only, nothing matched or kept.
hma_hash_router = APIRouter(prefix="/h", tags=["HMA compatibility"])
#: The part names HMA takes a file under (its content types), and ours.
HASH_PARTS = ("file", "photo", "video")


def _types(types: str | None) -> list[str] | None:
    chosen = [t.strip() for t in (types or "").split(",") if t.strip()]
    if types is not None and not chosen:
        raise InvalidInput("empty signal type selection", field="types")
    return chosen or None


@hma_hash_router.get("/hash", responses=answers(404))
def hma_hash_url(
    request: Request,
    url: Annotated[str, Query(max_length=2000)],
    types: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = requires(Permission.MATCH_QUERY),
) -> dict[str, str]:
    """HMA-compatible hashing of a file your own storage serves (``url``, under
    ALLIANCE_MEMBER_STORAGE_URLS only): its hashes by signal type (``types``, comma-separated,
    picks some). Hashed in memory; nothing is matched, stored or sent."""
    fetcher = _member(request).storage
    return _audited(
        request, principal, "url", lambda: uploads.hash_url(principal, fetcher, url, _types(types))
    )


@hma_hash_router.post("/hash", openapi_extra=MULTIPART)
def hma_hash_file(
    principal: Annotated[Principal, requires(Permission.MATCH_QUERY)],
    request: Request,
    form: Annotated[UploadedForm | MalformedUpload, Depends(_form)],
    types: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, str]:
    """HMA-compatible hashing of one uploaded file (multipart, in a part named ``file``,
    or ``photo``/``video`` as HMA names it): its hashes by signal type."""
    _member(request)

    def hashed() -> dict[str, str]:
        files = {} if isinstance(form, MalformedUpload) else form.files
        parts = [name for name in files if name in HASH_PARTS]
        if len(parts) != 1:
            raise uploads.NotMedia(
                "send one file as multipart/form-data, in a part named 'file' (or 'photo' "
                "or 'video')",
                field="file",
            )
        return uploads.hash_file(principal, files[parts[0]][1], _types(types))

    return _audited(request, principal, "file", hashed)
