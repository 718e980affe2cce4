"""What member mode knows of a review case's content, for the reports that follow it.

A case names the platform's upload by its content id and where the platform's own storage
keeps the file (:mod:`alliance.review`). The reports need more: the hashes of the file,
when it came, when a person confirmed it, and — for NCMEC only — the file itself, read
from the platform's own storage at the moment it is sent and sent nowhere else.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.errors import InvalidInput
from alliance.hashing import crypto, pdq
from alliance.member.models import MemberUpload
from alliance.review.models import Case, DecisionKind
from alliance.review.previews import MediaUnavailable, read_stored
from alliance.settings import Settings

#: The hashes a report may name, as the industry report and NCMEC's file details take them.
HASH_TYPES = ("pdq", "md5", "sha1", "sha256")
DIGESTS = ("md5", "sha1", "sha256")
#: A file name NCMEC is given: what the storage's own name keeps of these characters.
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def uploads_of(session: Session, content_id: str) -> list[MemberUpload]:
    """The member uploads that matched this content: by its reference, or the recorded
    upload a case without a reference is named after (``upload-<id>``)."""
    named = select(MemberUpload).where(MemberUpload.reference == content_id)
    found = list(session.execute(named).scalars())
    if not found and content_id.startswith("upload-") and content_id[7:].isdigit():
        upload = session.get(MemberUpload, int(content_id[7:]))
        found = [upload] if upload is not None else []
    return found


def matched_hashes(session: Session, case: Case) -> set[tuple[str, str]]:
    """``(signal_type, value)`` of the hashes member mode matched for the case's content."""
    return {
        (s["signal_type"], s["signal"])
        for upload in uploads_of(session, case.content_id)
        for s in upload.signals
        if s.get("signal_type") in HASH_TYPES
    }


def received_at(session: Session, case: Case) -> datetime:
    """When the platform received the upload: its first recorded upload, else when the
    case opened (the match)."""
    times = [u.received_at for u in uploads_of(session, case.content_id)]
    return _aware(min(times) if times else case.opened_at)


def confirmed_at(case: Case) -> datetime:
    """When a person confirmed the case (the last confirmation), else when it was decided."""
    confirmed = [d.decided_at for d in case.decisions if d.decision is DecisionKind.confirm]
    moment = max(confirmed) if confirmed else (case.decided_at or case.updated_at)
    return _aware(moment)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MediaPlace:
    """Where the platform's own storage keeps a case's file (kept apart from the case, to
    be read when the file is sent, after the case's transaction has ended)."""

    reference: str
    media_path: str | None
    media_url: str | None

    @property
    def named(self) -> bool:
        return self.media_path is not None or self.media_url is not None

    @property
    def file_name(self) -> str:
        """The file's name as NCMEC is told it: the storage's own name, kept to plain
        characters (``content-file`` when nothing usable is left)."""
        place = self.media_path or unquote(urlsplit(self.media_url or "").path)
        name = "".join(c for c in PurePosixPath(place).name if c in _NAME_CHARS).lstrip(".")
        return name[:200] or "content-file"


def place_of(case: Case) -> MediaPlace:
    return MediaPlace(case.reference, case.media_path, case.media_url)


def read_file(place: MediaPlace, settings: Settings) -> bytes:
    """The case's file, from the platform's own storage (up to ``ALLIANCE_MAX_UPLOAD_BYTES``);
    :class:`InvalidInput` naming why when it cannot be read."""
    try:
        return read_stored(
            place.media_path, place.media_url, settings, max_bytes=settings.max_upload_bytes
        )
    except MediaUnavailable as exc:
        where = place.media_path or place.media_url or "nowhere"
        raise InvalidInput(
            f"case {place.reference}: its file ({where}) cannot be read from your storage: {exc}",
            field="media",
        ) from None


def hashes_of_file(data: bytes) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of the file, and its PDQ when it is a picture."""
    found = crypto.digest_file(data, DIGESTS)
    with contextlib.suppress(InvalidInput, ValueError, OSError):  # a video: its digests
        found["pdq"] = pdq.hash_file(data).hex
    return found
