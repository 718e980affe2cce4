"""The demo's local mailbox: an SMTP server on 127.0.0.1 that keeps what it receives.

Notices in the demo (and in tests) go to this server instead of a real one. Every message
is kept as ``<folder>/<timestamp>-<n>.eml`` (written atomically, so a reader never sees
half a file) and in memory; an ``on_message`` hook lets the demo's simulated providers act
on a notice as it arrives. It accepts mail for any address and relays nothing.

``read_mailbox`` lists the folder for the web page that shows the demo mailbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8025
_STAMP = "%Y%m%dT%H%M%S.%fZ"
MessageHook = Callable[[EmailMessage], None]


class _Controller(Controller):
    """aiosmtpd's controller, able to listen on port 0 (the system picks a free port)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


class LocalMailbox:
    """An SMTP server on 127.0.0.1 that stores every message it receives.

    ``port=0`` picks a free port; :attr:`port` holds the real one once started.
    """

    def __init__(
        self,
        folder: Path,
        port: int = DEFAULT_PORT,
        *,
        on_message: MessageHook | None = None,
    ) -> None:
        self.folder = folder
        self.on_message = on_message
        self._requested_port = port
        self._port = port
        self._lock = threading.Condition()
        self._messages: list[EmailMessage] = []
        self._counter = 0
        self._controller: _Controller | None = None

    # Life cycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._counter = len(list(self.folder.glob("*.eml")))
        controller = _Controller(
            _Handler(self),
            hostname=HOST,
            port=self._requested_port,
            server_hostname="mailbox.alliance.invalid",
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller
        self._port = controller.port

    def stop(self) -> None:
        if self._controller is None:
            return
        controller, self._controller = self._controller, None
        controller.stop()

    def __enter__(self) -> LocalMailbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # What arrived -----------------------------------------------------------------------

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received since this mailbox was created (a copy of the list)."""
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; the messages so far either way."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self._messages)

    def _receive(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> Path:
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        received_at = datetime.now(UTC)
        with self._lock:
            self._counter += 1
            path = self.folder / f"{received_at.strftime(_STAMP)}-{self._counter:04d}.eml"
            envelope = (
                f"X-Alliance-Envelope-From: {envelope_from}\r\n"
                f"X-Alliance-Envelope-To: {', '.join(envelope_to)}\r\n"
            ).encode("ascii", "replace")
            _write_atomically(path, envelope + raw)
            self._messages.append(parsed)
            self._lock.notify_all()
        if self.on_message is not None:
            try:
                self.on_message(parsed)
            except Exception:  # the hook is the demo's; the message is kept regardless
                log.exception("demo mailbox: on_message hook failed for %s", path.name)
        return path


class _Handler:
    def __init__(self, mailbox: LocalMailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        try:
            self.mailbox._receive(raw, sender, list(envelope.rcpt_tos))
        except OSError:
            log.exception("demo mailbox: cannot store a message")
            return "451 Requested action aborted: cannot store the message"
        return "250 Message accepted"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# Reading the folder -------------------------------------------------------------------


@dataclass(frozen=True)
class MailSummary:
    from_address: str
    to_address: str
    subject: str
    message_id: str
    notice_reference: str | None
    received_at: datetime
    path: Path


def read_mailbox(folder: Path, *, limit: int | None = None) -> list[MailSummary]:
    """The messages in a mailbox folder, oldest first (the last ``limit`` when given)."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"))
    if limit is not None:
        paths = paths[-limit:] if limit > 0 else []
    out: list[MailSummary] = []
    for path in paths:
        try:
            with path.open("rb") as handle:
                headers = BytesHeaderParser(policy=policy.default).parse(handle)
        except OSError:
            continue  # removed while listing
        out.append(
            MailSummary(
                from_address=_header(headers, "From"),
                to_address=_header(headers, "To"),
                subject=_header(headers, "Subject"),
                message_id=_header(headers, "Message-ID"),
                notice_reference=_header(headers, "X-Alliance-Notice") or None,
                received_at=_received_at(path),
                path=path,
            )
        )
    return out


def read_message(path: Path) -> EmailMessage:
    """One stored message, parsed."""
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def message_text(message: EmailMessage) -> str:
    """The plain-text body of a message with ``\\n`` line ends ('' when it has none)."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content: Any = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def _header(message: Any, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _received_at(path: Path) -> datetime:
    stamp = path.name.split("-", 1)[0]
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
