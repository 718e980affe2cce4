"""A platform's confirmed case, sent to the police of the uploader's country.

:func:`report_of_case` builds the industry report (:mod:`alliance.industry`) of a confirmed
review case from what member mode knows of it: the hashes it matched for the case's content
and the case's bank matches, with what the platform chooses to give of the uploader; never
the media. The report is keyed by the case's reference, so a resend finds the same report
at the hub (:mod:`alliance.industry.client` sends it).
"""

from __future__ import annotations

from datetime import UTC

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.errors import Conflict, InvalidInput
from alliance.industry.models import Classification
from alliance.industry.schemas import HASH_TYPES, IndustryReportIn, UploaderIn
from alliance.member.models import MemberUpload
from alliance.review import cases
from alliance.review.models import CaseStatus


def uploads_of(session: Session, content_id: str) -> list[MemberUpload]:
    """The member uploads that matched this content: by its reference, or the recorded
    upload a case without a reference is named after (``upload-<id>``)."""
    named = select(MemberUpload).where(MemberUpload.reference == content_id)
    found = list(session.execute(named).scalars())
    if not found and content_id.startswith("upload-") and content_id[7:].isdigit():
        upload = session.get(MemberUpload, int(content_id[7:]))
        found = [upload] if upload is not None else []
    return found


def report_of_case(
    session: Session,
    principal: Principal,
    reference: str,
    uploader: UploaderIn,
    *,
    classification: str | None,
    child_at_risk: bool,
    note: str,
) -> IndustryReportIn:
    """The industry report of a confirmed case: its hashes (those member mode matched for
    its content), its matches, and what the platform gives of the uploader; never the
    media. Its case reference is the case's, so sending it again finds the same report."""
    case = cases.get_case(session, principal, reference)
    if case.status not in (CaseStatus.confirmed, CaseStatus.closed):
        raise Conflict(
            f"case {reference} is {case.status.value}: only a confirmed case is reported"
        )
    hashes = {
        (s["signal_type"], s["signal"])
        for upload in uploads_of(session, case.content_id)
        for s in upload.signals
        if s.get("signal_type") in HASH_TYPES
    }
    if not hashes:
        raise InvalidInput(
            f"case {reference}: no hash of its content {case.content_id!r} is known here "
            "(its uploads were not matched through member mode)"
        )
    categories = {m.category for m in case.matches} & {c.value for c in Classification}
    chosen = classification or (categories.pop() if len(categories) == 1 else None)
    if chosen is None:
        raise InvalidInput(
            "give --classification (A1, A2, B1 or B2): the case's matches do not settle it",
            field="classification",
        )
    confirmed = max((d.decided_at for d in case.decisions), default=case.decided_at)
    try:
        return IndustryReportIn.model_validate(
            {
                "case_reference": case.reference,
                "confirmed_at": confirmed.replace(tzinfo=confirmed.tzinfo or UTC)
                if confirmed is not None
                else None,
                "classification": chosen,
                "child_at_risk": child_at_risk,
                "uploader": uploader.model_dump(mode="json"),
                "hashes": [{"signal_type": t, "value": v} for t, v in sorted(hashes)][:100],
                "bank_matches": [
                    {
                        "bank": m.bank,
                        "entry_id": m.entry_id,
                        "signal_type": m.signal_type,
                        "distance": m.distance,
                    }
                    for m in case.matches
                    if m.signal_type in HASH_TYPES
                ][:100],
                "note": note,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InvalidInput(f"{where}: {error['msg']}") from None
