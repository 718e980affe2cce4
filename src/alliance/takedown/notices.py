"""Composing and sending notices to hosting providers: no database, no clock.

The worker decides *what* is due and records what happened; this module only turns a
:class:`NoticeMessage` into words (:func:`compose_text` for e-mail, :func:`compose_json`
for webhooks) and hands it to a :class:`NoticeSender`.

What a notice says follows the EU Digital Services Act, Art. 16(2), which the notices of
the other alliance countries' procedures also satisfy:

(a) a substantiated explanation of why the content is illegal: child sexual abuse
    material, an offence in every EU member state (Directive 2011/93/EU, Art. 5); under
    which classification each item was assessed (``baseline``: illegal in every alliance
    country, the INTERPOL baseline; ``national``: illegal under the law of the assessing
    country) and by which hotline or agency. The material itself is never described: the
    classification and who assessed it are the substantiation, and a description would
    repeat the abuse;
(b) the exact location: each URL on a line of its own, starting ``URL: ``;
(c) the notifier's name and e-mail. Art. 16(2)(c) lets notices about child sexual abuse
    offences omit the notifier's identity; Alliance names the organisation (never a
    person) so the provider can reply and verify the notice;
(d) a statement of the notifier's bona fide belief that the notice is accurate and
    complete.

When every item of a message was assessed by one organisation, the notice is sent on its
behalf and names it; when that organisation is a trusted flagger (Art. 22,
``Organisation.trusted_flagger_awarded_by``), the notice says so with the Digital Services
Coordinator that awarded the status, so that the provider gives it priority (Art. 22(1)).
Each item also names its assessing organisation and that organisation's status.

It also asks for expeditious removal and for preservation of data for law enforcement,
and tells the provider *not* to download the content or send it to the notifier. A notice
carries URLs and metadata only, never media.

``reference`` is the e-mail ``Message-ID`` and the webhook ``Idempotency-Key``: sending
the same notice again after a crash (between sending and recording) is recognisable as a
repeat by the provider.

::

    AllianceError
    └── NoticeDeliveryError   the SMTP server or webhook did not accept the notice
"""

from __future__ import annotations

import contextlib
import json
import re
import smtplib
import ssl
import textwrap
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from alliance.errors import AllianceError, InvalidInput
from alliance.hosting.connect import AddressRefused, PinnedConnector
from alliance.hosting.urls import normalise_url
from alliance.settings import Settings, get_settings

SCHEMA_TYPE = "alliance.notice"
SCHEMA_VERSION = 1
MESSAGE_ID_DOMAIN = "alliance.invalid"
URL_PREFIX = "URL: "  # every notified URL is on a line of its own with this prefix
SMTP_TIMEOUT_SECONDS = 30.0
WEBHOOK_USER_AGENT = "Alliance-notice/0.1 (+notice-and-takedown)"
WRAP_WIDTH = 76
_LIST_ITEM = re.compile(r"^\d+\. ")
_FIELD = re.compile(
    r"^(Reason|Hosting|Notice|Notices sent to the provider|Notifier status|Assessed by"
    r"|Trusted flagger|Why it is illegal): "
)

REASON = "child sexual abuse material"
ILLEGALITY = (
    "Why it is illegal: making, distributing, offering or making available child sexual "
    "abuse material is a criminal offence in every EU member state (Directive 2011/93/EU, "
    "Article 5) and in every alliance country. Each item below gives the classification "
    "under which a hotline or agency analyst assessed it, and who assessed it; the "
    "material itself is not described."
)
CLASSIFICATION_REASONS: Mapping[str, str] = {
    "baseline": "classification 'baseline': meets the INTERPOL baseline criteria, "
    "illegal in every alliance country",
    "national": "classification 'national': illegal under the law of the country whose "
    "hotline assessed it",
}
NOTIFIER_STATUSES: Mapping[str, str] = {
    "hotline": "hotline (a member of the Alliance network of hotlines)",
    "trusted_flagger": "trusted flagger (EU Digital Services Act, Art. 22)",
    "law_enforcement": "law enforcement authority",
}
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


class NoticeDeliveryError(AllianceError):
    """The notice was not accepted by the SMTP server or the webhook (or cannot be sent)."""

    code = "notice_delivery_failed"


@dataclass(frozen=True)
class Assessor:
    """The organisation whose assessment a notified URL rests on (a hotline, an agency).

    ``trusted_flagger_awarded_by`` names the Digital Services Coordinator that made it a
    trusted flagger (EU DSA Art. 22); None when it is not one."""

    name: str
    country_code: str | None = None
    trusted_flagger_awarded_by: str | None = None


@dataclass(frozen=True)
class NoticeLine:
    """One notified URL. ``notice_sequence`` is 1 for the first notice, 2.. for re-notices.

    ``first_notice_at`` (when the first notice went out) is only shown from the second
    notice on; ``first_reported_at`` is when the URL was first reported to the alliance.
    """

    item_reference: str
    url: str
    classification: str
    ip_address: str | None
    country_code: str | None
    first_reported_at: datetime
    notice_sequence: int
    first_notice_at: datetime | None = None
    assessed_by: Assessor | None = None


@dataclass(frozen=True)
class NoticeMessage:
    """One message to one recipient: one line, or several when the provider batches.

    ``provider_name`` is the hosting provider the notice is about. A notice goes to that
    provider; an escalation (``escalation=True``) goes to the hosting country's hotline or
    LEA and says that this provider has not removed the content.
    """

    reference: str
    provider_name: str
    recipient: str
    channel: str
    lines: tuple[NoticeLine, ...]
    escalation: bool = False


class NoticeSender(Protocol):
    def send(self, message: NoticeMessage) -> None:
        """Deliver the message or raise :class:`NoticeDeliveryError`."""


def sent_on_behalf_of(message: NoticeMessage) -> Assessor | None:
    """The organisation a message is sent for: the one that assessed every item in it
    (None when items were assessed by different organisations, or by none named)."""
    assessors = {line.assessed_by for line in message.lines}
    if len(assessors) != 1:
        return None
    return assessors.pop()


def trusted_flagger_text(assessor: Assessor) -> str:
    """The Art. 22 sentence for a trusted flagger (empty for an organisation without it)."""
    if not assessor.trusted_flagger_awarded_by:
        return ""
    return (
        f"Trusted flagger: {_one_line(assessor.name)} is a trusted flagger under Article 22 "
        f"of the EU Digital Services Act, a status awarded by "
        f"{_one_line(assessor.trusted_flagger_awarded_by)}. Where you provide an online "
        "platform, notices submitted by trusted flaggers are to be given priority and "
        "processed and decided upon without undue delay (Art. 22(1))."
    )


# Composing ----------------------------------------------------------------------------


def message_id(reference: str) -> str:
    """The stable Message-ID of a notice: a repeat of it carries the same one."""
    return f"<{_one_line(reference)}@{MESSAGE_ID_DOMAIN}>"


def reason_for(classification: str) -> str:
    detail = CLASSIFICATION_REASONS.get(classification, f"classification '{classification}'")
    return f"{REASON}; {detail}"


def notifier_status_text(status: str) -> str:
    return NOTIFIER_STATUSES.get(status, status)


def ordinal(n: int) -> str:
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def compose_text(message: NoticeMessage, settings: Settings) -> tuple[str, str]:
    """The subject and plain-text body of a notice (or escalation)."""
    _check(message)
    lines = message.lines
    reference = _one_line(message.reference)
    provider = _one_line(message.provider_name)
    notifier = _one_line(settings.notifier_name)
    repeat = max(line.notice_sequence for line in lines)
    subject = _subject(message, repeat)

    out: list[str] = []
    if message.escalation:
        out += [
            f"Escalation about hosting provider: {provider}",
            "",
            f"{notifier} has notified {provider} of the child sexual abuse material at "
            f"the {_count(len(lines), 'URL')} below, and the material is still online. "
            "Please take this up with the provider under your national procedure.",
        ]
    else:
        out += [
            f"To: {provider}",
            "",
            "This is a notice of illegal content under Article 16 of the EU Digital "
            "Services Act (Regulation (EU) 2022/2065) and the notice-and-takedown "
            "procedures of the Alliance member countries.",
            "",
            f"{_assessed_by_whom(message, notifier)} the content at the "
            f"{_count(len(lines), 'URL')} below as child sexual abuse material.",
            "",
            ILLEGALITY,
        ]
        if repeat > 1:
            out += [
                "",
                f"This notice has now been sent {_times(repeat)}: the content was still "
                "online when we last checked.",
            ]
    out += [
        "",
        f"Notice reference: {reference}",
        f"Notifier: {notifier}",
        f"Notifier status: {notifier_status_text(settings.notifier_status)}",
        f"Notifier e-mail: {_one_line(settings.notifier_email)}",
    ]
    sender = sent_on_behalf_of(message)
    if sender is not None and not message.escalation:
        if _one_line(sender.name) != notifier:
            out.append(f"On behalf of: {_assessor_text(sender)}")
        if sender.trusted_flagger_awarded_by:
            out += ["", trusted_flagger_text(sender)]
    out.append("")
    for number, line in enumerate(lines, start=1):
        out += [
            f"--- Item {number} of {len(lines)} ---",
            *_item_lines(line, escalation=message.escalation),
            "",
        ]

    if message.escalation:
        out += [
            "What we ask",
            "1. Contact the provider so that it removes or disables access to the content "
            "without delay.",
            "2. Where an investigation needs it, ask the provider to preserve the content "
            "and related data (account, upload records, addresses) for law enforcement.",
            "3. Do not download the content or forward it to us or anyone else.",
        ]
    else:
        out += [
            "What we ask",
            "1. Remove or disable access to the content expeditiously.",
            "2. Preserve the content and related data (account, upload records, IP "
            "addresses, times) so that law enforcement can request them; where your law "
            "requires you to report the content to the authorities, please do so.",
            "3. Do NOT download the content or forward it to us or anyone else: only "
            "law enforcement may receive copies. We do not need to see it.",
            f"4. Reply to {_one_line(settings.notifier_email)} quoting reference "
            f"{reference} once the content is removed.",
        ]
    out += [
        "",
        "No media is attached to this notice: it contains URLs and metadata only.",
        "",
        f"Statement: {notifier} believes in good faith that the information and "
        "allegations in this notice are accurate and complete (EU Digital Services Act, "
        "Art. 16(2)(d)). As allowed by Art. 16(2)(c) for notices about child sexual "
        "abuse material, no individual is named; the notifier organisation is.",
        "",
        "-- ",
        f"{notifier}",
        f"{_one_line(settings.notifier_email)}",
        "",
    ]
    return subject, "\n".join(_wrap(line) for line in out)


def compose_json(message: NoticeMessage, settings: Settings) -> dict[str, Any]:
    """The webhook body, versioned by ``type`` and ``version``."""
    _check(message)
    sender = sent_on_behalf_of(message)
    return {
        "type": SCHEMA_TYPE,
        "version": SCHEMA_VERSION,
        "reference": message.reference,
        "kind": "escalation" if message.escalation else "notice",
        "provider": {"name": message.provider_name},
        "legal_basis": "EU Digital Services Act (Regulation (EU) 2022/2065), Art. 16",
        "explanation": ILLEGALITY.removeprefix("Why it is illegal: "),
        "items": [
            {
                "reference": line.item_reference,
                "url": line.url,
                "reason": REASON,
                "classification": line.classification,
                "classification_meaning": CLASSIFICATION_REASONS.get(line.classification),
                "ip_address": line.ip_address,
                "country_code": line.country_code,
                "first_reported_at": _iso(line.first_reported_at),
                "notice_sequence": line.notice_sequence,
                "first_notice_at": _iso(line.first_notice_at) if line.first_notice_at else None,
                "assessed_by": _assessor_json(line.assessed_by),
            }
            for line in message.lines
        ],
        "notifier": {
            "name": settings.notifier_name,
            "email": settings.notifier_email,
            "status": settings.notifier_status,
            "good_faith_statement": True,
            "on_behalf_of": None if message.escalation else _assessor_json(sender),
        },
        "requests": (
            ["contact_provider", "preserve_data", "do_not_forward_content"]
            if message.escalation
            else ["remove_expeditiously", "preserve_data", "do_not_forward_content"]
        ),
        "media_attached": False,
    }


def _subject(message: NoticeMessage, repeat: int) -> str:
    reference = _one_line(message.reference)
    lines = message.lines
    where = _host(lines[0].url) if len(lines) == 1 else _count(len(lines), "URL")
    if message.escalation:
        return (
            f"[Alliance {reference}] Escalation: child sexual abuse material still online "
            f"at {_one_line(message.provider_name)} ({where})"
        )
    what = "Notice" if repeat == 1 else f"{ordinal(repeat).capitalize()} notice"
    return f"[Alliance {reference}] {what}: child sexual abuse material at {where}"


def _assessed_by_whom(message: NoticeMessage, notifier: str) -> str:
    """Who assessed the content, as the subject of "... assessed the content"."""
    sender = sent_on_behalf_of(message)
    if sender is not None:
        return f"{_assessor_text(sender)} has assessed"
    if any(line.assessed_by is not None for line in message.lines):
        return "The hotlines or agencies named with each item have assessed"
    return f"{notifier} has assessed"


def _assessor_text(assessor: Assessor) -> str:
    country = f" ({_one_line(assessor.country_code)})" if assessor.country_code else ""
    return f"{_one_line(assessor.name)}{country}"


def _assessor_json(assessor: Assessor | None) -> dict[str, Any] | None:
    if assessor is None:
        return None
    return {
        "name": assessor.name,
        "country_code": assessor.country_code,
        "trusted_flagger": (
            {"article": "EU DSA Art. 22", "awarded_by": assessor.trusted_flagger_awarded_by}
            if assessor.trusted_flagger_awarded_by
            else None
        ),
    }


def _item_lines(line: NoticeLine, *, escalation: bool = False) -> list[str]:
    out = [
        f"{URL_PREFIX}{_safe_url(line.url)}",
        f"Item reference: {_one_line(line.item_reference)}",
        f"Reason: {_one_line(reason_for(line.classification))}",
    ]
    if line.assessed_by is not None:
        status = (
            f"; a trusted flagger (EU Digital Services Act, Art. 22), status awarded by "
            f"{_one_line(line.assessed_by.trusted_flagger_awarded_by)}"
            if line.assessed_by.trusted_flagger_awarded_by
            else ""
        )
        out.append(f"Assessed by: {_assessor_text(line.assessed_by)}{status}")
    hosting = [
        f"IP address {_one_line(line.ip_address)}" if line.ip_address else "",
        f"country {_one_line(line.country_code)}" if line.country_code else "",
    ]
    if any(hosting):
        out.append(f"Hosting: {', '.join(part for part in hosting if part)}")
    out.append(f"First reported: {_when(line.first_reported_at)}")
    if escalation:
        since = f", the first on {_when(line.first_notice_at)}" if line.first_notice_at else ""
        out.append(f"Notices sent to the provider: {line.notice_sequence}{since}")
    elif line.notice_sequence <= 1:
        out.append("Notice: first notice")
    else:
        first = (
            f"first sent on {_when(line.first_notice_at)}"
            if line.first_notice_at
            else "first notice sent earlier"
        )
        out.append(
            f"Notice: {ordinal(line.notice_sequence)} notice: {first}; "
            f"this URL has now been notified {_times(line.notice_sequence)}"
        )
    return out


def _wrap(line: str) -> str:
    """A body line wrapped for plain-text mail; ``URL:`` lines are never broken."""
    if len(line) <= WRAP_WIDTH or line.startswith(URL_PREFIX):
        return line
    if _LIST_ITEM.match(line):
        indent = "   "
    elif _FIELD.match(line):
        indent = "  "
    else:
        indent = ""
    return textwrap.fill(
        line,
        WRAP_WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _check(message: NoticeMessage) -> None:
    if not message.lines:
        raise ValueError("a notice needs at least one URL")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}s" if n != 1 else noun


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _when(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return _one_line(host or url)


def _one_line(text: str) -> str:
    """Text with control characters (line breaks above all) turned into spaces."""
    return "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text).strip()


def _safe_url(url: str) -> str:
    """The URL on one line: control characters and spaces percent-encoded, nothing else."""
    return "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 or ord(c) == 0x7F else c for c in url.strip())


# Sending ------------------------------------------------------------------------------


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, making each header's class once: the standard one
    makes a new class (``type()``) for every header set, a third of the time a worker
    spent building a notice's e-mail. The same headers, the same bytes."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


MAIL_POLICY = policy.default.clone(header_factory=_HeaderClasses())


class SmtpSender:
    """Sends notices by e-mail through the configured SMTP server.

    The connection is kept open between notices (a worker sends thousands in a round) and
    opened again when the server has dropped it; ``close()`` ends it.
    """

    def __init__(self, settings: Settings, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        try:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._smtp = None

    def _send_kept_open(self, mail: EmailMessage) -> dict[str, tuple[int, bytes]]:
        with self._lock:
            reused = self._smtp is not None
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                try:
                    return self._smtp.send_message(mail)
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    if not reused:
                        raise
                # The server had dropped the idle connection: once more on a new one.
                self._smtp.close()
                self._smtp = self._connect()
                return self._smtp.send_message(mail)
            except smtplib.SMTPRecipientsRefused:
                raise  # smtplib reset the transaction: the connection stays usable
            except BaseException:
                if self._smtp is not None:
                    self._smtp.close()
                    self._smtp = None
                raise

    def build(self, message: NoticeMessage) -> EmailMessage:
        subject, body = compose_text(message, self.settings)
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["Message-ID"] = message_id(message.reference)
        mail["Date"] = formatdate(usegmt=True)
        mail["From"] = self.settings.notifier_email
        mail["To"] = message.recipient
        mail["Subject"] = subject
        mail["X-Alliance-Notice"] = _one_line(message.reference)
        mail["X-Alliance-Kind"] = "escalation" if message.escalation else "notice"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(body)
        return mail

    def send(self, message: NoticeMessage) -> None:
        s = self.settings
        mail = self.build(message)
        where = f"{s.smtp_host}:{s.smtp_port}"
        try:
            refused = self._send_kept_open(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NoticeDeliveryError(
                f"SMTP server {where} refused recipient {message.recipient}: "
                f"{_smtp_reasons(exc.recipients)}"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise NoticeDeliveryError(
                f"SMTP server {where} refused the login of {s.smtp_username!r}: "
                f"{exc.smtp_code} {_decode(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise NoticeDeliveryError(
                f"SMTP server {where} did not accept notice {message.reference}: "
                f"{exc.smtp_code} {_decode(exc.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, ssl.SSLError) as exc:
            raise NoticeDeliveryError(
                f"SMTP server {where} did not accept notice {message.reference}: {exc}"
            ) from None
        except OSError as exc:
            raise NoticeDeliveryError(
                f"cannot reach SMTP server {where} to send notice {message.reference}: "
                f"{exc.strerror or exc}"
            ) from None
        if refused:
            raise NoticeDeliveryError(
                f"SMTP server {where} refused recipient {message.recipient}: "
                f"{_smtp_reasons(refused)}"
            )


class WebhookSender:
    """POSTs notices as JSON to the recipient URL; any 2xx answer means delivered.

    The POST goes through a :class:`~alliance.hosting.connect.PinnedConnector`: the
    webhook's host is resolved once, refused unless the address is public (or in the
    connector's allow-list), and the request is sent to that same address, so DNS that
    changes between the check and the connection cannot point it inside our network. The
    directory is edited by people, and DNS can change after a URL was entered. Redirects
    are not followed. Of the answer only the status is kept: the body is never read, so
    what a provider's server says cannot reach the record. ``settings`` (for the
    notifier's name and address) defaults to the process's settings.
    """

    def __init__(self, connector: PinnedConnector, settings: Settings | None = None) -> None:
        self.connector = connector
        self.settings = settings if settings is not None else get_settings()

    def send(self, message: NoticeMessage) -> None:
        where = _host(message.recipient)
        failed = f"cannot deliver notice {message.reference} to webhook at {where}"
        try:
            url = normalise_url(message.recipient)
            address = self.connector.checked_address(url)
        except InvalidInput as exc:
            raise NoticeDeliveryError(f"{failed}: {exc.message}") from None
        except AddressRefused as refused:
            raise NoticeDeliveryError(f"{failed}: {refused.detail}") from None
        body = json.dumps(compose_json(message, self.settings), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": WEBHOOK_USER_AGENT,
            "Idempotency-Key": message.reference,
            "X-Alliance-Notice": message.reference,
        }
        try:
            response = self.connector.send("POST", url, address, headers, body)
        except httpx.TimeoutException:
            raise NoticeDeliveryError(f"{failed}: timed out") from None
        except httpx.HTTPError as exc:
            raise NoticeDeliveryError(f"{failed}: {type(exc).__name__}") from None
        status = response.status_code
        response.close()  # unread: the answer's text is not ours to keep
        if 300 <= status < 400:
            raise NoticeDeliveryError(
                f"webhook at {where} answered HTTP {status} to notice {message.reference}: "
                "redirects are not followed"
            )
        if not 200 <= status < 300:
            raise NoticeDeliveryError(
                f"webhook at {where} answered HTTP {status} to notice {message.reference}"
            )


def sender_for(channel: str, settings: Settings, connector: PinnedConnector) -> NoticeSender:
    """The sender for a notice channel ("email" or "webhook")."""
    if channel == "email":
        return SmtpSender(settings)
    if channel == "webhook":
        return WebhookSender(connector, settings)
    raise NoticeDeliveryError(f"notices cannot be sent over channel {channel!r}")


def _decode(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return _one_line(text)


def _smtp_reasons(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_decode(reason)}" for code, reason in refused.values()) or "?"
