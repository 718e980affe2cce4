"""The upload-time operations: a hash, a file held in memory, a URL of the member's own
storage, each matched against the synced and the local banks; and :func:`record_upload`,
the one place an upload's matches are written.

Every route and command that matches an upload ends in :func:`record_upload`. It writes
the upload and its matches (when anything matched, suppressed or not) and the audit event
in the caller's transaction; the review queue opens its cases from what it writes, so this
is where it is called. A miss writes nothing: most uploads are misses.

A file is hashed in memory and never written anywhere, nor sent anywhere (the hub sees no
query at all: the banks are matched locally). An upload refused (not an image, a URL
outside the storage allow-list) writes nothing in the request's transaction;
:func:`record_refusal` audits it in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import AuditActor
from alliance.banks import media
from alliance.banks.local_store import LocalBankStore
from alliance.banks.models import Bank
from alliance.banks.schemas import SignalIn
from alliance.errors import AllianceError, InvalidInput
from alliance.hosting.storage import StorageFetcher
from alliance.member.matching import match_signals
from alliance.member.models import MemberUpload, MemberUploadMatch
from alliance.member.schemas import MemberSignalResult, UploadAnswer

Kind = Literal["file", "hash", "url"]


class NotMedia(InvalidInput):
    """The upload is not an image (or a video) this service can hash."""

    code = "not_media"


def signals_of_upload(data: bytes) -> list[SignalIn]:
    """What a file is matched by: PDQ (with its query forms) or vPDQ, and its digests;
    NotMedia when it is neither an image nor a video this machine decodes."""
    if not data:
        raise NotMedia("the upload is empty", field="file")
    found = media.signals_of_media(data)
    if not any(s.signal_type in ("pdq", "vpdq") for s in found):
        raise NotMedia(
            f"the upload ({len(data)} bytes) is not an image or a video this service can "
            "read (JPEG, PNG, GIF, WebP, BMP, TIFF; MP4, WebM...); nothing was matched or "
            "stored",
            field="file",
        )
    return found


def hash_file(actor: Principal, data: bytes, types: Sequence[str] | None = None) -> dict[str, str]:
    """HMA's ``/h/hash``: a file's hashes by signal type, hashed in memory, nothing
    matched, kept or sent; ``types`` picks some (one the file has no hash of is refused)."""
    authorize(actor, Permission.MATCH_QUERY)
    found = {s.signal_type: s.signal for s in signals_of_upload(data)}
    if not types:
        return found
    unknown = [t for t in types if t not in found]
    if unknown:
        raise InvalidInput(
            f"this file has no {', '.join(unknown)} hash (it has {', '.join(sorted(found))})",
            field="types",
        )
    return {t: found[t] for t in types}


def hash_url(
    actor: Principal, fetcher: StorageFetcher, url: str, types: Sequence[str] | None = None
) -> dict[str, str]:
    """:func:`hash_file` of a file your own storage serves (only there: :mod:`.storage`);
    nothing is fetched before the actor is authorised."""
    authorize(actor, Permission.MATCH_QUERY)
    _, data = fetcher.fetch(url)
    return hash_file(actor, data, types)


def match_hashes(
    session: Session,
    actor: Principal,
    store: LocalBankStore,
    signals: Sequence[SignalIn],
    *,
    reference: str | None = None,
    local_banks: Sequence[Bank] | None = None,
) -> UploadAnswer:
    """Match hashes the service computed itself (hash at the edge, send hashes only)."""
    authorize(actor, Permission.MATCH_QUERY)
    results = match_signals(session, actor, store, signals, local_banks)
    return record_upload(session, actor, store, "hash", results, reference=reference)


def match_file(
    session: Session,
    actor: Principal,
    store: LocalBankStore,
    data: bytes,
    *,
    reference: str | None = None,
) -> UploadAnswer:
    """Hash a file in memory and match it."""
    authorize(actor, Permission.MATCH_QUERY)
    results = match_signals(session, actor, store, signals_of_upload(data))
    return record_upload(session, actor, store, "file", results, reference=reference)


def match_url(
    session: Session,
    actor: Principal,
    store: LocalBankStore,
    fetcher: StorageFetcher,
    url: str,
    *,
    reference: str | None = None,
) -> UploadAnswer:
    """Fetch a file from the member's own storage (only there:
    :mod:`alliance.hosting.storage`), hash it in memory and match it. Nothing is fetched
    before the actor is authorised."""
    authorize(actor, Permission.MATCH_QUERY)
    checked, data = fetcher.fetch(url)
    results = match_signals(session, actor, store, signals_of_upload(data))
    return record_upload(
        session, actor, store, "url", results, reference=reference, url=checked.url
    )


def record_upload(
    session: Session,
    actor: Principal,
    store: LocalBankStore,
    kind: Kind,
    results: list[MemberSignalResult],
    *,
    reference: str | None = None,
    url: str | None = None,
) -> UploadAnswer:
    """The answer to an upload; when anything matched it (suppressed or not), the upload
    and every match are written, and audited, in the caller's transaction.

    The one place an upload's matches are recorded: the review queue opens a case here
    for an upload with a match not suppressed (``answer.matched``)."""
    found = [m for r in results for m in r.matches]
    suppressed_by = sorted({f"{b.origin}:{b.bank}" for r in results for b in r.suppressed_by})
    matched = sum(not m.suppressed for m in found)
    answer = UploadAnswer(
        upload_id=None,
        reference=reference,
        kind=kind,
        matched=matched > 0,
        suppressed=bool(found) and matched == 0,
        results=results,
        banks={name: store.checkpoint(name) for name in sorted(store.banks)},
    )
    if not found and not suppressed_by:
        return answer
    local_ids = {b.name: b.id for b in _local_banks(session, results)}
    upload = MemberUpload(
        kind=kind,
        reference=reference,
        url=url,
        organisation_id=actor.organisation_id,
        actor=actor.audit_label,
        signals=[{"signal_type": r.signal_type, "signal": r.signal} for r in results],
        matched=matched,
        suppressed_by=suppressed_by,
        matches=[
            MemberUploadMatch(
                origin=m.origin,
                bank=m.bank,
                bank_id=local_ids.get(m.bank) if m.origin == "local" else None,
                entry_id=m.entry_id,
                signal_type=m.signal_type,
                matched_signal=m.matched_signal,
                distance=m.distance,
                variant=m.variant,
                query_form=m.query_form,
                classification=m.classification.model_dump(mode="json"),
                verified=m.verified,
                contributor=m.contributor,
                suppressed=m.suppressed,
            )
            for m in found
        ],
    )
    session.add(upload)
    session.flush()
    record(
        session,
        actor,
        EventType.MEMBER_UPLOAD_MATCHED,
        "member_upload",
        upload.id,
        {
            "kind": kind,
            "reference": reference,
            "matched": matched,
            "suppressed": len(found) - matched,
            "suppressed_by": suppressed_by,
            "banks": sorted({f"{m.origin}:{m.bank}" for m in found}),
        },
        organisation_id=actor.organisation_id,
    )
    answer.upload_id = upload.id
    return answer


def _local_banks(session: Session, results: list[MemberSignalResult]) -> list[Bank]:
    names = {m.bank for r in results for m in r.matches if m.origin == "local"}
    if not names:
        return []
    return list(session.execute(select(Bank).where(Bank.name.in_(names))).scalars())


def record_refusal(
    session: Session,
    actor: AuditActor,
    kind: Kind,
    error: AllianceError,
    *,
    count: int = 1,
) -> None:
    """Audit a refused upload (nothing else was written); ``count`` > 1 summarises that
    many identical refusals of a burst."""
    details: dict[str, str | int] = {"kind": kind, "reason": error.code, "message": error.message}
    if count > 1:
        details["count"] = count
    record(
        session,
        actor,
        EventType.MEMBER_UPLOAD_REFUSED,
        "member_upload",
        "-",
        details,
        organisation_id=actor.organisation_id,
    )
