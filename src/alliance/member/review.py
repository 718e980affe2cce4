"""An upload that matched goes to the platform's review queue (:mod:`alliance.review`).

Member mode's routes call :func:`queue_for_review` with the answer of
:func:`alliance.member.uploads.record_upload`, in the same transaction: a match that no
negative bank suppressed opens the upload's case, or joins the content's undecided one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.member.schemas import MemberMatch, UploadAnswer
from alliance.review import cases
from alliance.review.schemas import CaseMatch, ContentRef
from alliance.settings import Settings


def queue_for_review(
    session: Session, actor: Principal, answer: UploadAnswer, url: str | None, settings: Settings
) -> UploadAnswer:
    """``answer``, its upload queued for review when the caller (the platform's upload
    service) may open cases. The case names the upload by its reference (else the recorded
    upload), and its media by the URL it was fetched from when the review queue may read
    that URL; a file sent in the request is not kept, so its case shows no preview until
    the platform gives its place."""
    if not answer.matched or not actor.can(Permission.CASE_OPEN):
        return answer
    content = ContentRef(
        content_id=answer.reference or f"upload-{answer.upload_id}",
        media_url=url if url and cases.url_allowed(url, settings) else None,
    )
    matches = [case_match(m) for r in answer.results for m in r.matches if not m.suppressed]
    case = cases.open_case(session, actor, content, matches, settings=settings)
    answer.case_id = case.id
    return answer


def case_match(match: MemberMatch) -> CaseMatch:
    """A match as the review queue keeps it: its category in the first scheme it has."""
    scheme = match.classification
    category = scheme.ncmec or scheme.iwf or ("baseline" if scheme.baseline else None)
    return CaseMatch(
        bank=match.bank,
        entry_id=match.entry_id,
        signal_type=match.signal_type,
        category=str(category) if category is not None else None,
        verification="verified" if match.verified else "unverified",
        distance=match.distance,
        variant=match.variant,
        form=match.query_form,
    )
