"""Sending a report to NCMEC's CyberTipline: submit, upload, file info, finish; or retract.

The documented call flow, one report at a time::

    POST /submit    <report>                       -> reportId
    POST /upload    multipart id=reportId, file    -> fileId (and NCMEC's MD5 of it)
    POST /fileinfo  <fileDetails> per file         -> ok
    POST /finish    id=reportId                    -> the report is filed (irreversible)
    POST /retract   id=reportId                    -> an unfinished report is withdrawn

Every call answers ``<reportResponse>`` (``<reportDoneResponse>`` for finish) whose
``responseCode`` is 0 on success; the other codes become our errors (:func:`error_for`).

**Resumable, never duplicated.** :func:`CyberTipline.send` keeps a :class:`Progress`
(JSON) and hands it to the caller's ``save`` after every step that NCMEC confirmed. Called
again with it, it carries on from there with the same report id and file ids: a step done
is never repeated. Within a step, a timeout, a dropped connection, an HTTP 5xx or one of
NCMEC's server-side codes is retried a bounded number of times with backoff, with the same
ids. Repeating a step whose answer was lost is harmless for file info (the file's details
are given again), finish (NCMEC answers "already finished", which is what we wanted) and
retract ("already retracted"). Two steps have no id to repeat with. A lost answer to
submit may leave an unfinished report behind; it is never finished, and NCMEC deletes it
(24 hours after it was opened, or 1 hour after its last change, whichever is later). A lost
answer to an upload may mean NCMEC holds the file already, and uploading it again would
file it twice (NCMEC can neither list nor remove a report's files): that report is
retracted and the case sent anew (``Progress.withdrawn_report_ids``). Only finish files a
report, and finish runs once per progress record.

**Media go from the member to NCMEC.** The client asks the caller's ``open_file`` for each
file's bytes at the moment it uploads them (again on a retry). It runs where the member's
media are, with the member's own NCMEC credentials; nothing of it goes through the
alliance's hub.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from pydantic import ValidationError

from alliance.errors import (
    AllianceError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from alliance.platforms.cybertipline import document
from alliance.platforms.cybertipline.document import Answer
from alliance.platforms.cybertipline.schemas import (
    CaseReport,
    FileProgress,
    Progress,
    ReportedFile,
    Step,
)

#: NCMEC's response codes (its list is not exhaustive; unknown codes are errors too).
OK = 0
SERVER_ERROR = 1000
SAVE_FAILED = 1100
UPLOAD_FAILED = 1110
FILE_UPLOAD_FAILED = 1111
RESOURCE_NOT_FOUND = 1210
UPDATE_FAILED = 1300
AUTHENTICATION_REQUIRED = 2000
NOT_AUTHORIZED = 3000
NOT_AUTHORIZED_SUBMISSIONS = 3100
NOT_AUTHORIZED_UPDATES = 3300
INVALID_REQUEST = 4000
VALIDATION_FAILED = 4100
MALFORMED_XML = 4110
MALFORMED_FILE = 4200
REPORT_DOES_NOT_EXIST = 5001
FILE_DOES_NOT_EXIST = 5002
ALREADY_RETRACTED = 5101
ALREADY_FINISHED = 5102

#: Failures on NCMEC's side: the same call may succeed later.
RETRYABLE_CODES = frozenset(
    {SERVER_ERROR, SAVE_FAILED, UPLOAD_FAILED, FILE_UPLOAD_FAILED, UPDATE_FAILED}
)

#: A file's bytes, read from the member's own storage: bytes or an open binary file.
FileOpener = Callable[[ReportedFile], bytes | BinaryIO]
ProgressSink = Callable[[Progress], None]


#: How many times a case is sent anew after losing the answer to an upload.
MAX_START_OVERS = 2
#: Failures before the request left: repeating it cannot duplicate anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _UploadAnswerLost(Exception):
    """An upload was sent and no answer came: NCMEC may or may not hold the file."""


class CyberTiplineError(AllianceError):
    """NCMEC answered with a code no other class describes, or not in its format."""

    code = "cybertipline_error"


class CyberTiplineUnavailable(CyberTiplineError):
    """No answer (timeouts, connection failures, HTTP 5xx, NCMEC's server errors) after
    every retry. The progress is kept: calling again later resumes."""

    code = "cybertipline_unavailable"


class ReportRefused(InvalidInput):
    """NCMEC refused the request as invalid (codes 4000-4200); repeating it cannot help."""

    code = "cybertipline_refused"


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a step is repeated when NCMEC does not answer."""

    attempts: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def pause(self, attempt: int) -> None:
        self.sleep(min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt))


def make_http_client(
    base_url: str, username: str, password: str, *, timeout: float = 60.0
) -> httpx.Client:
    """An HTTP client for the CyberTipline at ``base_url`` (NCMEC's test or production
    address, or a stand-in), with the member's NCMEC credentials."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        auth=httpx.BasicAuth(username, password),
        timeout=timeout,
        headers={"User-Agent": "alliance-cybertipline"},
    )


def error_for(step: Step, answer: Answer, request_id: str | None) -> AllianceError:
    """The error for a failed answer to ``step``: what NCMEC refused, in its own words."""
    said = f"NCMEC answered {answer.code}" + (
        f" ({answer.description})" if answer.description else ""
    )
    said += f" to {step}" + (f"; Request-ID {request_id}" if request_id else "")
    code = answer.code
    if code == AUTHENTICATION_REQUIRED:
        return NotAuthenticated(f"{said}: check the CyberTipline username and password")
    if code in (NOT_AUTHORIZED, NOT_AUTHORIZED_SUBMISSIONS, NOT_AUTHORIZED_UPDATES):
        return PermissionDenied(f"{said}: these credentials may not do this")
    if code in (INVALID_REQUEST, VALIDATION_FAILED, MALFORMED_XML, MALFORMED_FILE):
        return ReportRefused(said)
    if code == REPORT_DOES_NOT_EXIST:
        return NotFound(
            f"{said}: NCMEC no longer holds this report (an unfinished report is deleted "
            "24 h after it was opened or 1 h after its last change); send the case again "
            "without its progress"
        )
    if code in (FILE_DOES_NOT_EXIST, RESOURCE_NOT_FOUND):
        return NotFound(said)
    if code == ALREADY_RETRACTED:
        return Conflict(f"{said}: the report was retracted")
    if code == ALREADY_FINISHED:
        return Conflict(f"{said}: the report is already filed")
    if code in RETRYABLE_CODES:
        return CyberTiplineUnavailable(said)
    return CyberTiplineError(said)


@dataclass(frozen=True)
class Prepared:
    """A case's documents, built and checked before anything is sent; ``digest`` covers
    the report and every file's details, so a progress resumes only its own case."""

    case: CaseReport
    report: bytes
    digest: str


def prepare(case: CaseReport) -> Prepared:
    """Build and check every document of ``case`` now, so that bad input is refused
    before a report is opened at NCMEC."""
    report = document.report_document(case)
    # The ids are NCMEC's, known only once sent; any valid ones check the rest.
    details = [document.file_details_document("1", "unsent", file) for file in case.files]
    return Prepared(case, report, document.digest(b"\0".join([report, *details])))


def new_progress(prepared: Prepared) -> Progress:
    return Progress(
        report_digest=prepared.digest,
        files=[FileProgress(file_name=f.file_name) for f in prepared.case.files],
    )


class CyberTipline:
    """The reporting API at one address, with one member's credentials."""

    def __init__(self, http: httpx.Client, *, retry: Retry | None = None) -> None:
        self.http = http
        self.retry = retry or Retry()

    # The flow -----------------------------------------------------------------------

    def send(
        self,
        case: CaseReport,
        *,
        open_file: FileOpener,
        save: ProgressSink,
        progress: Progress | None = None,
    ) -> Progress:
        """File ``case`` with NCMEC, or carry on from ``progress``; the finished progress.

        ``save`` is called with the progress after each confirmed step and when a step
        fails for good (``stopped_at``, ``last_error``), before the error is raised.
        """
        prepared = prepare(case)
        if progress is None:
            progress = new_progress(prepared)
        else:
            _check_resumable(progress, prepared)
            progress = progress.model_copy(deep=True)  # the caller's stays as it was
        if progress.finished:
            return progress
        progress.stopped_at = progress.last_error = None
        for _ in range(MAX_START_OVERS + 1):
            if any(state.upload_uncertain for state in progress.files):
                self._start_over(progress, save)
            try:
                return self._send_once(prepared, progress, open_file, save)
            except _UploadAnswerLost:
                continue
        error = CyberTiplineUnavailable(
            f"the answers to uploads were lost {MAX_START_OVERS + 1} times; the progress is "
            "kept: send again to resume"
        )
        raise self._stop(progress, save, "upload", error)

    def _send_once(
        self, prepared: Prepared, progress: Progress, open_file: FileOpener, save: ProgressSink
    ) -> Progress:
        if progress.report_id is None:
            answer = self._step("submit", progress, save, content=prepared.report, xml=True)
            if not answer.report_id:
                error = CyberTiplineError("NCMEC's answer had no reportId")
                raise self._stop(progress, save, "submit", error)
            progress.report_id = answer.report_id
            self._saved(progress, save)
        report_id = progress.report_id

        for file, state in zip(prepared.case.files, progress.files, strict=True):
            if state.file_id is None:
                try:
                    answer = self._step(
                        "upload",
                        progress,
                        save,
                        data={"id": report_id},
                        upload=(file, open_file),
                        what=file.file_name,
                    )
                except _UploadAnswerLost:
                    state.upload_uncertain = True
                    self._saved(progress, save)
                    raise
                if not answer.file_id:
                    error = CyberTiplineError("NCMEC's answer had no fileId")
                    raise self._stop(progress, save, f"upload {file.file_name}", error)
                state.file_id, state.received_md5 = answer.file_id, answer.md5
                self._saved(progress, save)
            if not state.details_sent:
                details = document.file_details_document(report_id, state.file_id, file)
                what = file.file_name
                self._step("fileinfo", progress, save, content=details, xml=True, what=what)
                state.details_sent = True
                self._saved(progress, save)

        answer = self._step("finish", progress, save, data={"id": report_id})
        progress.finished = True
        progress.finished_file_ids = None if answer.code == ALREADY_FINISHED else answer.file_ids
        self._saved(progress, save)
        return progress

    def _start_over(self, progress: Progress, save: ProgressSink) -> None:
        """Withdraw a report that may hold a file twice, and begin a new one.

        An upload whose answer was lost may have reached NCMEC: uploading the file again
        could file it twice, and NCMEC offers no way to list or remove a report's files.
        The unfinished report is retracted instead, and the case sent anew.
        """
        if progress.report_id is not None:
            # NotFound: NCMEC deleted the unfinished report already, withdrawn all the same
            with contextlib.suppress(NotFound):
                self._step("retract", progress, save, data={"id": progress.report_id})
            progress.withdrawn_report_ids.append(progress.report_id)
        progress.report_id = None
        progress.stopped_at = progress.last_error = None
        progress.files = [FileProgress(file_name=state.file_name) for state in progress.files]
        self._saved(progress, save)

    def retract(self, progress: Progress, *, save: ProgressSink) -> Progress:
        """Withdraw the unfinished report of ``progress``; a filed one cannot be."""
        if progress.retracted:
            return progress
        if progress.finished:
            raise Conflict("the report is already filed with NCMEC: it cannot be retracted")
        progress = progress.model_copy(deep=True)
        if progress.report_id is not None:
            self._step("retract", progress, save, data={"id": progress.report_id})
        progress.retracted = True
        progress.stopped_at = progress.last_error = None
        self._saved(progress, save)
        return progress

    def status(self) -> Answer:
        """``GET /status``: whether the address answers and the credentials are taken."""
        response = self.http.get("/status")
        if response.status_code == 401:
            raise NotAuthenticated("NCMEC refused the credentials (HTTP 401) at status")
        answer = _answer(response, "status")
        if answer.code != OK:
            raise error_for("status", answer, response.headers.get("Request-ID"))
        return answer

    # One step, retried ------------------------------------------------------------------

    def _step(
        self,
        step: Step,
        progress: Progress,
        save: ProgressSink,
        *,
        content: bytes | None = None,
        xml: bool = False,
        data: dict[str, str] | None = None,
        upload: tuple[ReportedFile, FileOpener] | None = None,
        what: str | None = None,
    ) -> Answer:
        where = f"{step} {what}" if what else step
        last: str = "no attempt made"
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            if attempt:
                self.retry.pause(attempt - 1)
            try:
                response = self._post(step, content=content, xml=xml, data=data, upload=upload)
            except _NOT_SENT as exc:
                last = f"no connection ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                if step == "upload":
                    raise _UploadAnswerLost from exc
                last = f"no answer ({type(exc).__name__})"
                continue
            except AllianceError as exc:  # the member's storage could not give the file
                raise self._stop(progress, save, where, exc) from None
            except OSError as exc:
                unreadable = InvalidInput(f"{what}: the member's copy cannot be read ({exc})")
                raise self._stop(progress, save, where, unreadable) from None
            request_id = response.headers.get("Request-ID")
            if response.status_code == 401 and not response.content:
                refused = NotAuthenticated(
                    f"NCMEC refused the credentials (HTTP 401) at {step}: check the "
                    "CyberTipline username and password"
                )
                raise self._stop(progress, save, where, refused)
            try:
                answer = _answer(response, step)
            except CyberTiplineError as exc:
                if response.status_code >= 500:
                    last = f"HTTP {response.status_code}"
                    continue
                raise self._stop(progress, save, where, exc) from None
            if answer.code == OK:
                return answer
            # NCMEC's code, when there is one, says whether to try again, not the status
            if answer.code in RETRYABLE_CODES:
                last = f"NCMEC answered {answer.code} ({answer.description})"
                continue
            # The step we asked for is what NCMEC says is already done: an earlier attempt
            # whose answer was lost, or a run that stopped before saving.
            if (step, answer.code) in (
                ("finish", ALREADY_FINISHED),
                ("retract", ALREADY_RETRACTED),
            ):
                return answer
            if answer.code == ALREADY_RETRACTED:
                progress.retracted = True
            raise self._stop(progress, save, where, error_for(step, answer, request_id))
        unavailable = CyberTiplineUnavailable(
            f"the CyberTipline did not take {where} after {attempts} attempts ({last}); "
            "the progress is kept: send again to resume"
        )
        raise self._stop(progress, save, where, unavailable)

    def _post(
        self,
        step: Step,
        *,
        content: bytes | None,
        xml: bool,
        data: dict[str, str] | None,
        upload: tuple[ReportedFile, FileOpener] | None,
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {}
        if content is not None:
            kwargs["content"] = content
        if xml:
            kwargs["headers"] = {"Content-Type": "text/xml; charset=utf-8"}
        if data is not None:
            kwargs["data"] = data
        if upload is not None:
            file, open_file = upload
            # Opened afresh for every attempt: a stream read by a failed one is spent.
            kwargs["files"] = {
                "file": (file.file_name, open_file(file), "application/octet-stream")
            }
        return self.http.post(f"/{step}", **kwargs)

    @staticmethod
    def _saved(progress: Progress, save: ProgressSink) -> None:
        progress.updated_at = datetime.now(UTC)
        save(progress)

    def _stop(
        self, progress: Progress, save: ProgressSink, where: str, error: AllianceError
    ) -> AllianceError:
        progress.stopped_at = where
        progress.last_error = error.message
        self._saved(progress, save)
        return error


def _answer(response: httpx.Response, step: str) -> Answer:
    try:
        return document.read_answer(response.content)
    except InvalidInput as exc:
        raise CyberTiplineError(
            f"the CyberTipline's answer to {step} (HTTP {response.status_code}) is not "
            f"one of its documents: {exc.message}"
        ) from None


def _check_resumable(progress: Progress, prepared: Prepared) -> None:
    if progress.report_digest != prepared.digest:
        raise Conflict(
            "this progress belongs to another report document (the case changed since it "
            "was sent): resume with the case as it was, or retract and send anew"
        )
    names = [f.file_name for f in prepared.case.files]
    if [f.file_name for f in progress.files] != names:
        raise Conflict("this progress names other files than the case")
    if progress.retracted:
        raise Conflict("this report was retracted: send the case anew, without its progress")


class ProgressFile:
    """A progress kept in a JSON file, replaced whole at each save (never half-written)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Progress | None:
        """The saved progress, or None when there is no file yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return Progress.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidInput(
                f"{self.path}: not a CyberTipline progress file ({exc.errors()[0]['msg']})"
            ) from None

    def save(self, progress: Progress) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(progress.model_dump_json(indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
