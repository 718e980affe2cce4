"""The reports that follow a confirmed case, kept with the case; closing the case.

Three reports may follow a confirmed case: to NCMEC's CyberTipline
(:mod:`alliance.platforms.cybertipline`), the statement of reasons to the EU's DSA
Transparency Database (:mod:`alliance.platforms.dsa`) and the industry report to the police
of the uploader's country through the alliance's hub (:mod:`alliance.industry`). Member
mode sends them (:mod:`alliance.member.cybertipline`, ``.dsa``, ``.police``); this module
keeps, on the case, what each sent and how far it went, in short transactions of the
caller's, so that the network is never waited for with the case locked:

- :func:`begin` claims a report for one run (two clicks, two reviewers: the second is
  refused while the first runs, for :data:`RUN_LEASE`), and keeps the document the report
  sends — the first time: a resumed run sends the same document, with the same ids;
- :func:`keep_progress` keeps the client's progress after every step (checked to be that
  client's own record, audited); :func:`progress_of` and :func:`request_of` give them back
  to resume; :func:`end` ends the run, and :func:`running` ends it however the run ends,
  turning a failure that left the report stopped into :class:`ReportStopped` (which says
  where; a 502 in the API and on the page, for the outside service failed);
- :func:`state_of` says where a report stands for the pages, the API and the CLI: not
  started, under way, stopped (where, and why), done (with NCMEC's report id, the
  database's uuid, the hub's reference and the police's outcome) or withdrawn;
  :func:`reports_out` all of a case's at once;
- :func:`close_case` closes a confirmed case: a reviewer's explicit act, refused while a
  report is under way or stopped mid-way. A case is never closed automatically: which
  reports a platform owes depends on where it operates and what the case is, which the
  reviewer knows and the configuration does not.

Only a confirmed case is reported; a closed case is read-only, but for the police's answer
to its industry report, which may come long after (:func:`keep_progress` takes it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.db.base import utcnow
from alliance.db.session import reading
from alliance.errors import AllianceError, Conflict, InvalidInput, OutsideServiceFailed
from alliance.platforms.cybertipline.schemas import Progress as CyberTiplineProgress
from alliance.platforms.dsa.client import Progress as DsaProgress
from alliance.platforms.dsa.client import State as DsaState
from alliance.review.cases import get_case, set_status
from alliance.review.models import Case, CaseStatus, ReportKind, Stage
from alliance.review.schemas import CaseReportsOut, PoliceProgress, ReportStateOut

__all__ = [
    "REPORT_NAMES",
    "RUN_LEASE",
    "UNFINISHED",
    "ReportKind",
    "ReportState",
    "ReportStopped",
    "Stage",
    "begin",
    "check_reportable",
    "close_case",
    "end",
    "keep_progress",
    "may_close",
    "progress_of",
    "reports_out",
    "request_of",
    "running",
    "state_of",
    "states_of",
]

#: A run that has said nothing for this long ended without a word (a process stopped):
#: the report may be resumed by someone else.
RUN_LEASE = timedelta(minutes=15)


#: The reports as people name them.
REPORT_NAMES = {
    ReportKind.cybertipline: "the CyberTipline report",
    ReportKind.dsa: "the DSA statement of reasons",
    ReportKind.police: "the report to the police",
}


#: Stages that keep a case open: the report was begun and has not ended.
UNFINISHED = (Stage.under_way, Stage.stopped)


@dataclass(frozen=True)
class ReportState:
    """Where one report of a case stands, in words the page and the CLI show."""

    kind: ReportKind
    stage: Stage
    #: NCMEC's report id, the Transparency Database's uuid (or the puid when it held it
    #: already), the hub's report reference.
    reference: str | None = None
    stopped_at: str | None = None
    error: str | None = None
    #: The police's side (industry reports): status, country, outcome.
    status: str | None = None
    country: str | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    detail: str = ""
    running_by: str | None = None
    running_since: datetime | None = None
    #: The run's last word: past :data:`RUN_LEASE`, it ended without one.
    heard_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def held(self) -> bool:
        """A run holds it now (and has spoken within :data:`RUN_LEASE`)."""
        return self.heard_at is not None and self.heard_at > utcnow() - RUN_LEASE

    @property
    def name(self) -> str:
        return REPORT_NAMES[self.kind]

    @property
    def resumable(self) -> bool:
        """Stopped, or under way with no run holding it any more: sending it again resumes."""
        if self.stage is Stage.stopped:
            return True
        return self.stage is Stage.under_way and not self.held

    def summary(self) -> str:
        """One line: what the CLI prints and the page's state says."""
        if self.stage is Stage.not_started:
            return "not started"
        if self.stage is Stage.under_way:
            who = f" by {self.running_by}" if self.running_by else ""
            return f"under way{who}" + (f" (last step: {self.detail})" if self.detail else "")
        if self.stage is Stage.stopped:
            return f"stopped at {self.stopped_at or 'a step'}: {self.error or 'no reason given'}"
        if self.stage is Stage.withdrawn:
            return f"withdrawn ({self.detail})" if self.detail else "withdrawn"
        return self.detail or "done"


# --- keeping ------------------------------------------------------------------------------


def _checked(kind: ReportKind, progress: Any) -> dict[str, Any]:
    if kind is ReportKind.cybertipline:
        try:
            return CyberTiplineProgress.model_validate(progress).model_dump(mode="json")
        except ValidationError as exc:
            raise InvalidInput(
                f"not a CyberTipline progress record: {exc.errors()[0]['msg']}"
            ) from None
    if kind is ReportKind.police:
        try:
            return PoliceProgress.model_validate(progress).model_dump(mode="json")
        except ValidationError as exc:
            raise InvalidInput(
                f"not a police report progress record: {exc.errors()[0]['msg']}"
            ) from None
    return DsaProgress.from_json(progress).to_json()


def _reportable(case: Case, kind: ReportKind, *, answer_only: bool = False) -> None:
    """Only a confirmed case is reported; a closed one takes only the police's answer."""
    if case.status is CaseStatus.confirmed:
        return
    if case.status is CaseStatus.closed:
        if answer_only and kind is ReportKind.police:
            return
        raise Conflict(f"case {case.reference} is closed: its reports can no longer change")
    raise Conflict(
        f"case {case.reference} is not confirmed ({case.status.value}): nothing to report"
    )


def _set_progress(case: Case, kind: ReportKind, kept: dict[str, Any]) -> None:
    if kind is ReportKind.cybertipline:
        case.cybertipline_progress = kept
    elif kind is ReportKind.dsa:
        case.dsa_progress = kept
    else:
        case.police_progress = kept


def _set_request(case: Case, kind: ReportKind, document: dict[str, Any]) -> None:
    if kind is ReportKind.cybertipline:
        case.cybertipline_report = document
    elif kind is ReportKind.dsa:
        case.dsa_statement = document
    else:
        case.police_report = document


def check_reportable(sessions: sessionmaker[Session], principal: Principal, reference: str) -> None:
    """:class:`NotFound` (or :class:`PermissionDenied`) unless the principal may send the
    case's reports; in a read of its own, before a client of an outside service is opened,
    so that an unknown case is 404 whether or not the report's destination is configured."""
    with reading(sessions) as session:
        authorize(principal, Permission.CASE_DECIDE, get_case(session, principal, reference))


def begin(
    session: Session,
    principal: Principal,
    reference: str,
    kind: ReportKind,
    *,
    request: dict[str, Any],
    progress: Any,
    replace_request: bool = False,
) -> str:
    """Claim the case's report ``kind`` for a run, keeping the document it sends (unless
    one is kept already and ``replace_request`` is false: a resumed run sends what the
    first run sent) and the progress it starts from; the run's id, for :func:`end`.

    Refused (:class:`Conflict`) for a case that is not confirmed, a report already done,
    and while another run holds the report (until :data:`RUN_LEASE` after its last word).
    """
    case = get_case(session, principal, reference, for_change=True)
    authorize(principal, Permission.CASE_DECIDE, case)
    _reportable(case, kind)
    state = state_of(case, kind)
    if state.stage is Stage.done:
        raise Conflict(f"case {reference}: {state.name} is done already ({state.summary()})")
    run = _run(case, kind)
    if run is not None and run.heard > utcnow() - RUN_LEASE:
        raise Conflict(
            f"case {reference}: {state.name} is being sent right now by "
            f"{run.by or 'someone'} (since {run.since:%H:%M} UTC); "
            "wait for that run to end, then look at the case again"
        )
    kept = _checked(kind, progress)
    first = request_of(case, kind) is None or replace_request
    if first:
        _set_request(case, kind, request)
    _set_progress(case, kind, kept)
    now = utcnow().isoformat()
    run_id = secrets.token_hex(8)
    case.report_runs = {
        **(case.report_runs or {}),
        kind.value: {"id": run_id, "by": principal.audit_label, "since": now, "heard": now},
    }
    case.updated_at = utcnow()
    record(
        session,
        principal,
        EventType.CASE_REPORT_STARTED,
        "review_case",
        reference,
        {"report": kind.value, "resumed": not first},
    )
    return run_id


def keep_progress(
    session: Session, principal: Principal, reference: str, kind: ReportKind, progress: Any
) -> Case:
    """Keep ``progress`` (the client's JSON after a step) on the confirmed case; a closed
    case takes only the police's answer to its industry report."""
    case = get_case(session, principal, reference, for_change=True)
    authorize(principal, Permission.CASE_DECIDE, case)
    _reportable(case, kind, answer_only=True)
    kept = _checked(kind, progress)
    _set_progress(case, kind, kept)
    case.updated_at = utcnow()
    runs = case.report_runs or {}
    if isinstance(runs.get(kind.value), dict):  # the run's last word: its lease goes on
        case.report_runs = {
            **runs,
            kind.value: {**runs[kind.value], "heard": case.updated_at.isoformat()},
        }
    if kind is ReportKind.cybertipline:
        details = {
            "report_id": kept.get("report_id"),
            "finished": kept.get("finished"),
            "stopped_at": kept.get("stopped_at"),
        }
    elif kind is ReportKind.dsa:
        details = {"submission": kept.get("id"), "stopped": kept.get("stopped") or None}
    else:
        details = {
            "reference": kept.get("reference"),
            "status": kept.get("status"),
            "outcome": kept.get("outcome"),
            "stopped_at": kept.get("stopped_at"),
        }
    record(
        session,
        principal,
        EventType.CASE_REPORT_PROGRESS,
        "review_case",
        reference,
        {"report": kind.value, **details},
    )
    return case


def end(
    session: Session, principal: Principal, reference: str, kind: ReportKind, run_id: str
) -> None:
    """The run ``run_id`` of ``kind`` ended (done, stopped or failed): another may begin.
    A run that lost its claim (silent past :data:`RUN_LEASE`, and begun again by someone
    else) leaves the other's claim alone."""
    case = get_case(session, principal, reference, for_change=True)
    runs = dict(case.report_runs or {})
    held = runs.get(kind.value)
    if isinstance(held, dict) and held.get("id") == run_id:
        del runs[kind.value]
        case.report_runs = runs or None


class ReportStopped(OutsideServiceFailed):
    """A run failed, and the case keeps its report stopped: where, and the outside
    service's error. What was done is kept; sending the report again resumes it."""

    code = "report_stopped"

    def __init__(self, reference: str, state: ReportState, cause: AllianceError) -> None:
        said = cause.message
        how = "" if "resume" in said else "; what was done is kept: send it again to resume"
        super().__init__(
            f"case {reference}: {state.name} stopped at {state.stopped_at or 'a step'}: {said}{how}"
        )
        self.state, self.cause = state, cause
        self.details = [
            {
                "report": state.kind.value,
                "stage": state.stage.value,
                "stopped_at": state.stopped_at,
                "error": state.error or said,
                "cause": cause.code,
                "reference": state.reference,
            }
        ]


@contextmanager
def running(
    sessions: sessionmaker[Session],
    principal: Principal,
    reference: str,
    kind: ReportKind,
    run_id: str,
) -> Iterator[None]:
    """The body of the run ``run_id`` (from :func:`begin`): ends the run however the body
    ends. An error after which the case keeps the report stopped, kept during this run (the
    client saves where it stopped before raising), becomes :class:`ReportStopped`: the
    outside service failed or refused a step. An error before anything was kept (a
    progress that is not this report's, say) is raised as it is."""
    with reading(sessions) as session:
        since = get_case(session, principal, reference).updated_at
    try:
        yield
    except AllianceError as exc:
        with sessions.begin() as session:
            end(session, principal, reference, kind, run_id)
            case = get_case(session, principal, reference)
            state, kept_now = state_of(case, kind), case.updated_at != since
        if state.stage is Stage.stopped and kept_now:
            raise ReportStopped(reference, state, exc) from exc
        raise
    except BaseException:
        with sessions.begin() as session:
            end(session, principal, reference, kind, run_id)
        raise
    with sessions.begin() as session:
        end(session, principal, reference, kind, run_id)


def progress_of(case: Case, kind: ReportKind) -> dict[str, Any] | None:
    """The progress kept for the case's report, or None before its first step."""
    if kind is ReportKind.cybertipline:
        return case.cybertipline_progress
    if kind is ReportKind.dsa:
        return case.dsa_progress
    return case.police_progress


def request_of(case: Case, kind: ReportKind) -> dict[str, Any] | None:
    """The document the case's report sent (or is sending), or None before it began."""
    if kind is ReportKind.cybertipline:
        return case.cybertipline_report
    if kind is ReportKind.dsa:
        return case.dsa_statement
    return case.police_report


# --- where each stands ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    by: str | None
    since: datetime
    heard: datetime


def _run(case: Case, kind: ReportKind) -> _Run | None:
    """The run that holds the case's report ``kind``, if one does."""
    run = (case.report_runs or {}).get(kind.value)
    if not isinstance(run, dict):
        return None
    try:
        since = datetime.fromisoformat(str(run.get("since")))
        heard = datetime.fromisoformat(str(run.get("heard") or run.get("since")))
    except ValueError:
        return None
    return _Run(str(run.get("by") or "") or None, since, heard)


def state_of(case: Case, kind: ReportKind) -> ReportState:
    """Where the case's report ``kind`` stands."""
    raw = progress_of(case, kind)
    if kind is ReportKind.cybertipline:
        state = _cybertipline_state(raw)
    elif kind is ReportKind.dsa:
        state = _dsa_state(raw, case)
    else:
        state = _police_state(raw)
    run = _run(case, kind)
    if run is not None and state.stage is not Stage.done:
        # A run holds it: its last word is what the progress says.
        return ReportState(
            kind,
            Stage.under_way,
            reference=state.reference,
            detail=state.detail,
            running_by=run.by,
            running_since=run.since,
            heard_at=run.heard,
        )
    return state


def states_of(case: Case) -> dict[ReportKind, ReportState]:
    return {kind: state_of(case, kind) for kind in ReportKind}


def may_close(states: Mapping[ReportKind, ReportState]) -> bool:
    """Whether :func:`close_case` would take a confirmed case with these reports."""
    return not any(s.stage in UNFINISHED for s in states.values())


def _state_out(case: Case, state: ReportState) -> ReportStateOut:
    return ReportStateOut(
        report=state.kind,
        stage=state.stage,
        summary=state.summary(),
        reference=state.reference,
        stopped_at=state.stopped_at,
        error=state.error,
        status=state.status,
        country=state.country,
        outcome=state.outcome,
        outcome_note=state.outcome_note,
        running_by=state.running_by,
        running_since=state.running_since,
        updated_at=state.updated_at,
        resumable=state.resumable,
        kept=request_of(case, state.kind) is not None,
    )


def reports_out(case: Case) -> CaseReportsOut:
    """Where each report of the case stands, as the API answers it."""
    states = states_of(case)
    return CaseReportsOut(
        case=case.reference,
        status=case.status,
        cybertipline=_state_out(case, states[ReportKind.cybertipline]),
        dsa=_state_out(case, states[ReportKind.dsa]),
        police=_state_out(case, states[ReportKind.police]),
        may_close=case.status is CaseStatus.confirmed and may_close(states),
        dsa_user_notice=case.dsa_user_notice,
    )


def _cybertipline_state(raw: dict[str, Any] | None) -> ReportState:
    kind = ReportKind.cybertipline
    if raw is None:
        return ReportState(kind, Stage.not_started)
    progress = CyberTiplineProgress.model_validate(raw)
    files = len(progress.files)
    if progress.finished:
        return ReportState(
            kind,
            Stage.done,
            reference=progress.report_id,
            detail=f"filed as CyberTipline report {progress.report_id} "
            f"({files} file{'' if files == 1 else 's'})",
            updated_at=progress.updated_at,
        )
    if progress.retracted:
        what = f"report {progress.report_id}" if progress.report_id else "nothing was opened"
        return ReportState(
            kind, Stage.withdrawn, reference=progress.report_id, detail=f"{what} retracted"
        )
    done = [
        f"report {progress.report_id} opened" if progress.report_id else "",
        *(f"{f.file_name} uploaded" for f in progress.files if f.file_id),
        *(f"{f.file_name} described" for f in progress.files if f.details_sent),
    ]
    detail = ", ".join(d for d in done if d)
    if progress.stopped_at:
        return ReportState(
            kind,
            Stage.stopped,
            reference=progress.report_id,
            stopped_at=progress.stopped_at,
            error=progress.last_error,
            detail=detail,
            updated_at=progress.updated_at,
        )
    return ReportState(
        kind, Stage.under_way, reference=progress.report_id, detail=detail or "begun"
    )


def _dsa_state(raw: dict[str, Any] | None, case: Case) -> ReportState:
    kind = ReportKind.dsa
    if raw is None:
        return ReportState(kind, Stage.not_started)
    progress = DsaProgress.from_json(raw)
    puid = str((case.dsa_statement or {}).get("puid") or next(iter(progress.entries), ""))
    entry = progress.entries.get(puid)
    if entry is None:
        return ReportState(kind, Stage.under_way, detail="begun")
    if entry.state is DsaState.accepted:
        return ReportState(
            kind,
            Stage.done,
            reference=entry.uuid or puid,
            detail=f"accepted by the Transparency Database as {entry.uuid or puid}",
        )
    if entry.state is DsaState.duplicate:
        return ReportState(
            kind,
            Stage.done,
            reference=puid,
            detail=f"already in the Transparency Database (puid {puid}); not sent again",
        )
    if entry.state is DsaState.refused:
        fields = "; ".join(f"{name}: {' '.join(says)}" for name, says in entry.errors.items())
        return ReportState(
            kind,
            Stage.stopped,
            reference=puid,
            stopped_at="the database's validation",
            error=f"the Transparency Database refused the statement ({fields})",
        )
    if progress.stopped:
        return ReportState(
            kind,
            Stage.stopped,
            reference=puid,
            stopped_at=f"sending statement {puid}",
            error=progress.stopped,
            detail=f"{entry.tries} tries made",
        )
    return ReportState(kind, Stage.under_way, reference=puid, detail="begun")


def _police_state(raw: dict[str, Any] | None) -> ReportState:
    kind = ReportKind.police
    if raw is None:
        return ReportState(kind, Stage.not_started)
    progress = PoliceProgress.model_validate(raw)
    if progress.reference is not None and progress.status is not None:
        where = f" of {progress.country}" if progress.country else ""
        said = {
            "triage": "received by the alliance, waiting for the secretariat to find the "
            "country's police",
            "routed": f"sent to the police{where}, awaiting their decision",
            "accepted": f"accepted by the police{where}",
            "declined": f"declined by the police{where}",
        }[progress.status.value]
        outcome = (
            f"; outcome: {progress.outcome.value.replace('_', ' ')}" if progress.outcome else ""
        )
        return ReportState(
            kind,
            Stage.done,
            reference=progress.reference,
            status=progress.status.value,
            country=progress.country,
            outcome=progress.outcome.value if progress.outcome else None,
            outcome_note=progress.outcome_note,
            detail=f"report {progress.reference}: {said}{outcome}",
            updated_at=progress.checked_at or progress.sent_at,
        )
    if progress.stopped_at:
        return ReportState(
            kind,
            Stage.stopped,
            stopped_at=progress.stopped_at,
            error=progress.last_error,
            updated_at=progress.checked_at,
        )
    return ReportState(kind, Stage.under_way, detail="begun")


# --- closing ----------------------------------------------------------------------------------


def close_case(session: Session, principal: Principal, reference: str) -> Case:
    """Close a confirmed case: refused while one of its reports is under way or stopped
    mid-way (resume it, or withdraw an unfinished CyberTipline report, first). Reports
    never begun do not hold a case open: which reports a platform owes is its call."""
    case = get_case(session, principal, reference, for_change=True)
    authorize(principal, Permission.CASE_DECIDE, case)
    if case.status is CaseStatus.closed:
        raise Conflict(f"case {reference} is closed already")
    if case.status is not CaseStatus.confirmed:
        raise Conflict(f"case {reference} is {case.status.value}: only a confirmed case is closed")
    states = states_of(case)
    if not may_close(states):
        unfinished = [s for s in states.values() if s.stage in UNFINISHED]
        said = "; ".join(f"{s.name} is {s.summary()}" for s in unfinished)
        raise Conflict(
            f"case {reference} stays open while a report has not finished: {said}. Resume "
            "it (or withdraw an unfinished CyberTipline report) first"
        )
    set_status(session, case, CaseStatus.closed)
    case.closed_at, case.closed_by = case.updated_at, principal.audit_label
    record(
        session,
        principal,
        EventType.CASE_CLOSED,
        "review_case",
        reference,
        {"reports": {kind.value: state.stage.value for kind, state in states.items()}},
    )
    return case
