"""The reports that follow a confirmed case keep their progress with the case.

The CyberTipline client (:mod:`alliance.platforms.cybertipline`) and the DSA client
(:mod:`alliance.platforms.dsa`) hand their progress back after every step, for the caller
to keep; :func:`keep_progress` keeps it on the case (checked to be that client's own
progress record first, audited), and :func:`progress_of` gives it back, so that sending a
case's report again resumes where it stopped. Only a confirmed case is reported.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.errors import Conflict, InvalidInput
from alliance.platforms.cybertipline.schemas import Progress as CyberTiplineProgress
from alliance.platforms.dsa.client import Progress as DsaProgress
from alliance.review.cases import get_case
from alliance.review.models import Case, CaseStatus


class ReportKind(StrEnum):
    cybertipline = "cybertipline"
    dsa = "dsa"


def _checked(kind: ReportKind, progress: Any) -> dict[str, Any]:
    if kind is ReportKind.cybertipline:
        try:
            return CyberTiplineProgress.model_validate(progress).model_dump(mode="json")
        except ValidationError as exc:
            raise InvalidInput(
                f"not a CyberTipline progress record: {exc.errors()[0]['msg']}"
            ) from None
    return DsaProgress.from_json(progress).to_json()


def keep_progress(
    session: Session, principal: Principal, reference: str, kind: ReportKind, progress: Any
) -> Case:
    """Keep ``progress`` (the client's JSON after a step) on the confirmed case."""
    case = get_case(session, principal, reference, for_change=True)
    authorize(principal, Permission.CASE_DECIDE, case)
    if case.status is not CaseStatus.confirmed:
        raise Conflict(
            f"case {reference} is not confirmed ({case.status.value}): nothing to report"
        )
    kept = _checked(kind, progress)
    if kind is ReportKind.cybertipline:
        case.cybertipline_progress = kept
        details = {"report_id": kept.get("report_id"), "finished": kept.get("finished")}
    else:
        case.dsa_progress = kept
        details = {"submission": kept.get("id"), "stopped": kept.get("stopped") or None}
    record(
        session,
        principal,
        EventType.CASE_REPORT_PROGRESS,
        "review_case",
        reference,
        {"report": kind.value, **details},
    )
    return case


def progress_of(case: Case, kind: ReportKind) -> dict[str, Any] | None:
    """The progress kept for the case's report, or None before its first step."""
    return case.cybertipline_progress if kind is ReportKind.cybertipline else case.dsa_progress
