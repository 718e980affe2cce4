"""A stand-in for NCMEC's CyberTipline reporting API, on 127.0.0.1, for tests and the demo.

It answers the documented endpoints (``/status``, ``/xsd``, ``/submit``, ``/upload``,
``/fileinfo``, ``/finish``, ``/retract``) with NCMEC's response documents and codes, and
is stricter than it needs to be so that a client's mistakes show:

- HTTP Basic credentials are checked (HTTP 401 with an empty body otherwise);
- ``<report>`` and ``<fileDetails>`` are checked against our schema (4100 with the
  reasons, 4110 when not XML at all);
- the order is kept: nothing before submit (5001), no file info for a file the report
  does not hold (5002), no finish while an uploaded file has no file info (4000), nothing
  on a finished (5102) or retracted (5101) report.

It keeps what it received (:attr:`StandInCyberTipline.reports`, :attr:`calls`): the
documents, and of each file its name, size and MD5, not its bytes. :meth:`fail` makes one
step fail once, the next time it is called: with a response code, an HTTP 5xx, or a stall
longer than the client waits, before or after the call takes effect.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alliance.demo.loopback import HOST, LoopbackServer
from alliance.errors import InvalidInput
from alliance.platforms.cybertipline import client as codes
from alliance.platforms.cybertipline import document
from alliance.platforms.cybertipline.document import Answer

FIRST_REPORT_ID = 4564654
StepName = Literal["submit", "upload", "fileinfo", "finish", "retract"]
FaultKind = Literal["code", "http_5xx", "stall", "stall_after"]


@dataclass
class ReceivedFile:
    file_id: str
    name: str
    size: int
    md5: str
    details: bytes | None = None


@dataclass
class ReceivedReport:
    report_id: str
    document: bytes
    files: dict[str, ReceivedFile] = field(default_factory=dict)
    state: Literal["open", "finished", "retracted"] = "open"


@dataclass(frozen=True)
class Call:
    """One request as the stand-in saw it, and the code it answered (HTTP status for
    answers that are not NCMEC's documents)."""

    step: str
    report_id: str | None
    code: int
    fault: FaultKind | None = None


@dataclass
class Fault:
    step: StepName
    kind: FaultKind
    code: int = codes.SERVER_ERROR
    stall_seconds: float = 2.0


class StandInCyberTipline(LoopbackServer):
    """The stand-in's state and its web server (``port=0``: a free port)."""

    description = "the CyberTipline stand-in"
    thread_name = "cybertipline"

    def __init__(
        self,
        username: str = "esp-user",
        password: str = "esp-password",  # noqa: S107 - the stand-in's own test login
        port: int = 0,
    ) -> None:
        self.username, self.password = username, password
        super().__init__(port)
        self._lock = threading.Lock()
        self._next_report = FIRST_REPORT_ID
        self._faults: list[Fault] = []
        self.reports: dict[str, ReceivedReport] = {}
        self.calls: list[Call] = []
        self.app = Starlette(
            routes=[
                Route("/status", self._status, methods=["GET"]),
                Route("/xsd", self._xsd, methods=["GET"]),
                Route("/{step:str}", self._post, methods=["POST"]),
            ]
        )

    # Faults -----------------------------------------------------------------------------

    def fail(
        self,
        step: StepName,
        kind: FaultKind,
        *,
        code: int = codes.SERVER_ERROR,
        stall_seconds: float = 2.0,
    ) -> None:
        """Make the next call of ``step`` fail once: answer ``code`` (kind ``code``), an
        HTTP 503 without a document (``http_5xx``), or answer only after
        ``stall_seconds`` — without doing the step (``stall``) or having done it
        (``stall_after``, the answer lost on the way back)."""
        with self._lock:
            self._faults.append(Fault(step, kind, code, stall_seconds))

    def _take_fault(self, step: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.step == step:
                    self._faults.remove(fault)
                    return fault
        return None

    # What was received ------------------------------------------------------------------

    def finished_reports(self) -> list[ReceivedReport]:
        return [r for r in self.reports.values() if r.state == "finished"]

    def accepted(self, step: str) -> list[Call]:
        """The calls of ``step`` that were answered 0."""
        return [c for c in self.calls if c.step == step and c.code == codes.OK]

    # Endpoints --------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.username) and secrets.compare_digest(
            password, self.password
        )

    async def _status(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status_code=401)
        return _xml(Answer(codes.OK, f"Remote User : {self.username}"))

    async def _xsd(self, request: Request) -> Response:
        xsd = resources.files(document.__package__).joinpath("cybertipline.xsd").read_bytes()
        return Response(xsd, media_type="text/xml")

    async def _post(self, request: Request) -> Response:
        step = request.path_params["step"]
        if step not in ("submit", "upload", "fileinfo", "finish", "retract"):
            return Response(status_code=404)
        if not self._authorised(request):
            self._record(Call(step, None, 401))
            return Response(status_code=401)
        fault = self._take_fault(step)
        if fault is not None and fault.kind == "stall":
            await asyncio.sleep(fault.stall_seconds)
            self._record(Call(step, None, 503, fault.kind))
            return Response(status_code=503)
        if fault is not None and fault.kind == "http_5xx":
            self._record(Call(step, None, 503, fault.kind))
            return Response("<html>503 Service Unavailable</html>", status_code=503)
        if fault is not None and fault.kind == "code":
            self._record(Call(step, None, fault.code, fault.kind))
            status = 500 if fault.code in codes.RETRYABLE_CODES else 200
            return _xml(Answer(fault.code, "failure asked of the stand-in"), status=status)

        done = step == "finish"
        if step in ("submit", "fileinfo"):
            answer, report_id = self._document_step(step, await request.body())
        else:
            form = await request.form()
            report_id = str(form.get("id") or "")
            upload = form.get("file")
            data = await upload.read() if isinstance(upload, UploadFile) else None
            name = upload.filename if isinstance(upload, UploadFile) else None
            answer = self._form_step(step, report_id, data, name or "file")
            await form.close()
        self._record(Call(step, report_id, answer.code, fault.kind if fault else None))
        if fault is not None and fault.kind == "stall_after":
            await asyncio.sleep(fault.stall_seconds)
        return _xml(answer, done=done and answer.code == codes.OK)

    def _document_step(self, step: str, body: bytes) -> tuple[Answer, str | None]:
        try:
            root = document.check(body, f"the {step} document")
        except document.DocumentInvalid as exc:
            return Answer(codes.VALIDATION_FAILED, exc.message), None
        except InvalidInput as exc:
            return Answer(codes.MALFORMED_XML, exc.message), None
        with self._lock:
            if step == "submit":
                if root != "report":
                    return Answer(codes.INVALID_REQUEST, "submit takes a <report>"), None
                report_id = str(self._next_report)
                self._next_report += 1
                self.reports[report_id] = ReceivedReport(report_id, body)
                return Answer(codes.OK, "Success", report_id), report_id
            if root != "fileDetails":
                return Answer(codes.INVALID_REQUEST, "fileinfo takes <fileDetails>"), None
            parsed = document.parse(body, "file details")
            report_id = (parsed.findtext("reportId") or "").strip()
            file_id = (parsed.findtext("fileId") or "").strip()
            report, refusal = self._open_report(report_id)
            if report is None:
                return refusal, report_id
            received = report.files.get(file_id)
            if received is None:
                return Answer(codes.FILE_DOES_NOT_EXIST, "File does not exist"), report_id
            received.details = body  # given again, the details replace the earlier ones
            return Answer(codes.OK, "Success", report_id), report_id

    def _form_step(self, step: str, report_id: str, data: bytes | None, name: str) -> Answer:
        with self._lock:
            report = self.reports.get(report_id)
            if step == "retract":
                if report is None:
                    return Answer(codes.REPORT_DOES_NOT_EXIST, "Report does not exist")
                if report.state == "finished":
                    return Answer(codes.ALREADY_FINISHED, "Report already finished", report_id)
                if report.state == "retracted":
                    return Answer(codes.ALREADY_RETRACTED, "Report already retracted", report_id)
                report.state = "retracted"
                return Answer(codes.OK, "Success", report_id)
            report, refusal = self._open_report(report_id)
            if report is None:
                return refusal
            if step == "upload":
                if data is None:
                    return Answer(codes.INVALID_REQUEST, "upload takes a file part", report_id)
                file_id = secrets.token_hex(16)
                md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
                report.files[file_id] = ReceivedFile(file_id, name, len(data), md5)
                return Answer(codes.OK, "Success", report_id, file_id, md5)
            undescribed = [f.name for f in report.files.values() if f.details is None]
            if undescribed:
                return Answer(
                    codes.INVALID_REQUEST,
                    "no file details yet for " + ", ".join(undescribed),
                    report_id,
                )
            report.state = "finished"
            return Answer(codes.OK, "Success", report_id, file_ids=list(report.files))

    def _open_report(self, report_id: str) -> tuple[ReceivedReport | None, Answer]:
        report = self.reports.get(report_id)
        if report is None:
            return None, Answer(codes.REPORT_DOES_NOT_EXIST, "Report does not exist")
        if report.state == "finished":
            return None, Answer(codes.ALREADY_FINISHED, "Report already finished", report_id)
        if report.state == "retracted":
            return None, Answer(codes.ALREADY_RETRACTED, "Report already retracted", report_id)
        return report, Answer(codes.OK)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    # Life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._port}"


def _xml(answer: Answer, *, done: bool = False, status: int = 200) -> Response:
    return Response(
        document.answer_document(answer, done=done),
        status_code=status,
        media_type="text/xml",
        headers={"Request-ID": secrets.token_hex(8)},
    )
