"""Signed heads of the audit chain (anchors), checkable outside the database.

The chain (:mod:`alliance.audit.services`) shows any edit that leaves the other rows alone.
Someone who can write to the database can also recompute every hash after an edit, delete
the newest events and set the head back, or delete everything; the chain is then
consistent again. An **anchor** is the head (sequence number and hash), the time and the
platform's name, signed with the platform's Ed25519 key (:mod:`alliance.signing`), which
the database does not hold. Because each event's hash covers every event before it, an
anchor of event *N* vouches for events 1..*N*.

Anchors are signed by the worker every ``ALLIANCE_AUDIT_ANCHOR_MINUTES`` when the chain has
grown, by every verification of an intact chain, and by ``alliance audit anchor export``,
which writes them as JSON lines (:class:`~alliance.audit.schemas.SignedHead`) for members
and the secretariat to keep elsewhere. :func:`verify_chain` checks the chain, then each
anchor, stored or given: its signature, then that the chain still holds event *N* with the
signed hash and is not shorter than *N*. An edited and re-hashed chain, a cut tail and a
wiped log each fail against an anchor taken before. The walk accounts for every row of the
events table (exactly 1..*N*, *N* the head), so events inserted outside the chain — numbered
0 or below, duplicated, or after the head — fail even when well hashed. Stored anchors
help only as long as they are not deleted with the rest; exported ones are what cannot be
reached.

A new anchor is signed only after checking that the events since the newest anchor extend
it, so a tampered chain is never signed. Writing an anchor adds no audit event: the event
would move the head it signs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.audit.models import AuditAnchor, AuditEvent, AuditHead
from alliance.audit.schemas import ANCHOR_TYPE, ANCHOR_VERSION, SignedHead, VerifyResult
from alliance.audit.services import TamperDetected, broken_message, canonical_json, verify, walk
from alliance.db.base import utcnow
from alliance.errors import InvalidInput
from alliance.signing import SignatureInvalid, Signer, fingerprint
from alliance.signing import verify as verify_signature

_DOMAIN = b"alliance.audit_anchor.v1\n"
_LOOKUP_BATCH = 500


def statement(head: SignedHead) -> bytes:
    """What the signature covers: every field but the signature, as canonical JSON."""
    return _DOMAIN + canonical_json(head.model_dump(exclude={"signature"})).encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def signed_head(anchor: AuditAnchor) -> SignedHead:
    return SignedHead(
        platform=anchor.platform,
        seq=anchor.seq,
        hash=anchor.hash,
        signed_at=_iso(anchor.signed_at),
        key_id=anchor.key_fingerprint[:16],
        public_key_sha256=anchor.key_fingerprint,
        signature=anchor.signature,
    )


def export_line(head: SignedHead) -> str:
    return canonical_json(head.model_dump())


def stored(session: Session) -> list[AuditAnchor]:
    """Every stored anchor, oldest first."""
    return list(session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars())


def export_lines(session: Session) -> Iterator[str]:
    for anchor in stored(session):
        yield export_line(signed_head(anchor))


def parse_lines(lines: Iterable[str], source: str = "anchor file") -> list[SignedHead]:
    """Exported anchors, one JSON object a line (blank lines skipped); InvalidInput naming
    the line when one is not an anchor."""
    heads: list[SignedHead] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            heads.append(SignedHead.model_validate_json(line))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "line"
            if where in ("type", "version"):
                raise InvalidInput(
                    f"{source} line {number}: not an {ANCHOR_TYPE} version {ANCHOR_VERSION} line"
                ) from None
            raise InvalidInput(f"{source} line {number}: {where}: {error['msg']}") from None
    if not heads:
        raise InvalidInput(f"{source} holds no anchors")
    return heads


def parse_file(data: bytes, source: str) -> list[SignedHead]:
    """:func:`parse_lines` of a file's bytes (UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{source} is not UTF-8 text") from None
    return parse_lines(text.splitlines(), source)


def check_signatures(
    heads: Sequence[SignedHead], public_key: Ed25519PublicKey, source: str = "anchor file"
) -> None:
    """SignatureInvalid unless every anchor was signed by ``public_key``."""
    expected = fingerprint(public_key)
    for head in heads:
        if head.public_key_sha256 != expected:
            raise SignatureInvalid(
                f"{source}: the anchor of event {head.seq} was signed by key {head.key_id}, "
                f"not by this platform's key {expected[:16]}"
            )
        try:
            verify_signature(public_key, statement(head), head.signature)
        except SignatureInvalid:
            raise SignatureInvalid(
                f"{source}: the anchor of event {head.seq} (signed {head.signed_at}) does "
                "not verify: it was altered"
            ) from None


def sign_head(session: Session, signer: Signer, platform: str) -> AuditAnchor | None:
    """Sign the chain's head unless the newest anchor already covers it; None while the
    chain is empty. TamperDetected when the events since the newest anchor do not extend
    it (or that anchor was altered): then nothing is signed."""
    head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return None
    newest = session.execute(
        select(AuditAnchor)
        .where(AuditAnchor.key_fingerprint == signer.fingerprint)
        .order_by(AuditAnchor.seq.desc(), AuditAnchor.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if newest is None:
        result = verify(session)
    else:
        try:
            check_signatures([signed_head(newest)], signer.public_key, "the newest stored anchor")
        except SignatureInvalid as exc:
            raise TamperDetected(f"{exc.message}; the head was not signed") from None
        if (newest.seq, newest.hash) == (head.seq, head.hash):
            return newest
        result = _extends(session, signed_head(newest))
    if not result.ok:
        raise TamperDetected(f"{broken_message(result)}; the head was not signed")
    head = session.get_one(AuditHead, 1)  # the walk may have expunged it
    signed_at = utcnow()
    unsigned = SignedHead(
        platform=platform,
        seq=head.seq,
        hash=head.hash,
        signed_at=_iso(signed_at),
        key_id=signer.key_id,
        public_key_sha256=signer.fingerprint,
        signature="",
    )
    anchor = AuditAnchor(
        seq=head.seq,
        hash=head.hash,
        signed_at=signed_at,
        platform=platform,
        key_fingerprint=signer.fingerprint,
        signature=signer.sign(statement(unsigned)),
    )
    session.add(anchor)
    session.flush()
    return anchor


def sign_head_if_due(
    session: Session, signer: Signer, platform: str, every_minutes: float
) -> AuditAnchor | None:
    """The worker's cadence: sign when the newest anchor is older than ``every_minutes``
    (several workers sign once between them); None when not due or nothing to sign."""
    newest_at = session.execute(
        select(AuditAnchor.signed_at)
        .where(AuditAnchor.key_fingerprint == signer.fingerprint)
        .order_by(AuditAnchor.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if newest_at is not None and (utcnow() - newest_at).total_seconds() < every_minutes * 60:
        return None
    return sign_head(session, signer, platform)


def _extends(session: Session, head: SignedHead) -> VerifyResult:
    """Whether the chain still holds ``head`` and the events after it follow from it."""
    event_hash = session.execute(
        select(AuditEvent.hash).where(AuditEvent.seq == head.seq)
    ).scalar_one_or_none()
    if event_hash != head.hash:
        return _against(session, head, 0)
    return walk(session, after_seq=head.seq, after_hash=head.hash)


def verify_chain(
    session: Session,
    public_key: Ed25519PublicKey,
    *,
    given: Sequence[SignedHead] = (),
    platform: str | None = None,
) -> VerifyResult:
    """The whole chain, then every anchor stored by this key and every ``given`` one.

    ``given`` (exported anchors) must all verify with ``public_key`` (SignatureInvalid
    otherwise: the file is not trustworthy, nothing is concluded about the chain) and be for
    ``platform`` when it is named. A stored anchor that no longer verifies is tampering.
    """
    check_signatures(given, public_key)
    if platform is not None:
        for head in given:
            if head.platform != platform:
                raise InvalidInput(
                    f"anchor file: the anchor of event {head.seq} is for platform "
                    f"{head.platform!r}, this is {platform!r}"
                )
    result = verify(session)
    if not result.ok:
        return result
    key = fingerprint(public_key)
    heads = [signed_head(a) for a in stored(session) if a.key_fingerprint == key]
    for head in heads:
        try:
            check_signatures([head], public_key, "a stored anchor")
        except SignatureInvalid as exc:
            return result.model_copy(
                update={
                    "ok": False,
                    "broken_seq": head.seq,
                    "reason": exc.message,
                    "anchor_signed_at": head.signed_at,
                }
            )
    heads += given
    checked = result.checked
    hashes = _hashes_at(session, {h.seq for h in heads})
    # The earliest anchor the chain disagrees with says where the rewriting began.
    for head in sorted(heads, key=lambda h: h.seq):
        if hashes.get(head.seq) != head.hash:
            return _against(session, head, checked, anchors=len(heads))
    return result.model_copy(update={"anchors_checked": len(heads)})


def _against(session: Session, head: SignedHead, checked: int, *, anchors: int = 1) -> VerifyResult:
    """The chain contradicts the signed ``head``: shorter than it, or another hash at it."""
    current = session.get(AuditHead, 1)
    head_seq = current.seq if current is not None else 0
    if head_seq < head.seq:
        reason = (
            f"the chain ends at event {head_seq}, but the head signed at {head.signed_at} "
            f"was event {head.seq}: newest events deleted"
            + (" (the whole log)" if head_seq == 0 else "")
        )
        broken = head_seq + 1
    else:
        reason = (
            f"event {head.seq} is not the one signed at {head.signed_at}: the events up to "
            "it were altered and their hashes recomputed"
        )
        broken = head.seq
    return VerifyResult(
        ok=False,
        checked=checked,
        head_seq=head_seq,
        broken_seq=broken,
        reason=reason,
        anchors_checked=anchors,
        anchor_signed_at=head.signed_at,
    )


def _hashes_at(session: Session, seqs: set[int]) -> dict[int, str]:
    wanted = sorted(seqs)
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _LOOKUP_BATCH):
        chunk = wanted[start : start + _LOOKUP_BATCH]
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(chunk))
        )
        found.update((seq, value) for seq, value in rows)
    return found


def verify_and_sign(
    session: Session,
    signer: Signer,
    platform: str,
    *,
    given: Sequence[SignedHead] = (),
) -> VerifyResult:
    """:func:`verify_chain` with the platform's key, then, for an intact chain, sign its
    head (what `alliance audit verify` and the verify page and route do)."""
    result = verify_chain(session, signer.public_key, given=given, platform=platform)
    if not result.ok:
        return result
    try:
        anchor = sign_head(session, signer, platform)
    except TamperDetected as exc:  # a writer changed the chain since the walk
        return result.model_copy(update={"ok": False, "reason": exc.message})
    return result.model_copy(update={"anchored_seq": anchor.seq if anchor else None})
