"""Auditing a submission of statements of reasons, step by step.

The client (:mod:`.client`) changes nothing but the progress it hands back; each step of
a submission — statements stored, found already stored, refused, or the run stopped —
is written to the audit chain here, in the caller's transaction, under the submission's
id, so the log shows what reached the Commission and where a run stopped. Puids and field
names only: a statement carries no personal data, and its text is not repeated.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.audit.events import EventType
from alliance.audit.services import AuditActor, AuditEntry, record_many
from alliance.platforms.dsa.client import Progress, State, Step

SUBJECT_TYPE = "dsa_submission"


def record_step(session: Session, actor: AuditActor, progress: Progress, step: Step) -> None:
    """The audit events of one step: what it settled, and why the run stopped if it did."""
    entries: list[AuditEntry] = []
    if step.accepted or step.duplicate or step.refused:
        entries.append(
            AuditEntry(
                EventType.DSA_STATEMENTS_SUBMITTED,
                SUBJECT_TYPE,
                progress.id,
                {
                    "accepted": list(step.accepted),
                    "duplicate": list(step.duplicate),
                    "refused": {
                        puid: sorted(progress.entries[puid].errors) for puid in step.refused
                    },
                    "pending": len(progress.puids(State.pending)),
                },
            )
        )
    if progress.stopped:
        entries.append(
            AuditEntry(
                EventType.DSA_SUBMISSION_STOPPED,
                SUBJECT_TYPE,
                progress.id,
                {"reason": progress.stopped, "counts": progress.counts()},
            )
        )
    if entries:
        record_many(session, actor, entries)
