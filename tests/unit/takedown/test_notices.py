"""Notices: what they say (EU DSA Art. 16), and delivery by SMTP and webhook."""

from __future__ import annotations

import email.policy
import json
import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from alliance.demo.mailbox import LocalMailbox, message_text
from alliance.hosting.addresses import parse_networks
from alliance.hosting.connect import PinnedConnector
from alliance.hosting.resolver import Resolver, StaticHosts
from alliance.settings import Settings, load_settings
from alliance.takedown.notices import (
    URL_PREFIX,
    Assessor,
    NoticeDeliveryError,
    NoticeLine,
    NoticeMessage,
    SmtpSender,
    WebhookSender,
    compose_json,
    compose_text,
    sender_for,
)
from tests.support.pinned import (
    PUBLIC,
    RebindingDns,
    ResolvingTransport,
    local_server,
    recording_transport,
)

REPORTED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
FIRST_NOTICE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "notifier_name": "Example Hotline NL",
        "notifier_email": "notices@hotline.example.test",
        "notifier_status": "hotline",
    }
    values.update(overrides)
    return load_settings(**values)


HOTLINE = Assessor("Example Hotline NL", "NL")
TRUSTED = Assessor("Example Hotline NL", "NL", "ACM, the Netherlands' Digital Services Coordinator")


def _line(
    n: int = 1,
    sequence: int = 1,
    classification: str = "baseline",
    assessed_by: Assessor | None = None,
) -> NoticeLine:
    return NoticeLine(
        item_reference=f"ITEM-{n:04d}",
        url=f"http://photos.example.test/album/{n}.jpg?size=large",
        classification=classification,
        ip_address="192.0.2.10",
        country_code="NL",
        first_reported_at=REPORTED,
        notice_sequence=sequence,
        first_notice_at=FIRST_NOTICE if sequence > 1 else None,
        assessed_by=assessed_by,
    )


def _message(
    *lines: NoticeLine,
    reference: str = "NTC-7QK2M9",
    channel: str = "email",
    recipient: str = "abuse@hosting.example.test",
    escalation: bool = False,
) -> NoticeMessage:
    return NoticeMessage(
        reference=reference,
        provider_name="Example Hosting B.V.",
        recipient=recipient,
        channel=channel,
        lines=lines or (_line(),),
        escalation=escalation,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# Composing ----------------------------------------------------------------------------


def test_text_has_every_dsa_element(tmp_path: Path) -> None:
    subject, body = compose_text(_message(), _settings(tmp_path))

    assert "NTC-7QK2M9" in subject
    assert "child sexual abuse material" in subject
    # (b) the exact location, on a line of its own with the prefix the demo parses.
    assert f"{URL_PREFIX}http://photos.example.test/album/1.jpg?size=large" in body.splitlines()
    # (a) the reasons, with what the classification means.
    assert "Reason: child sexual abuse material" in body
    assert "INTERPOL baseline" in body
    assert "illegal in every alliance country" in body
    # (c) the notifier's name, e-mail and status.
    assert "Notifier: Example Hotline NL" in body
    assert "notices@hotline.example.test" in body
    assert "hotline" in body
    # (d) the good-faith statement, and the legal basis.
    assert "good faith" in body
    assert "Article 16" in body
    # Reference, the request, preservation, and no media.
    assert "Notice reference: NTC-7QK2M9" in body
    assert "Item reference: ITEM-0001" in body
    assert "expeditiously" in body
    assert "Preserve" in body
    assert "law enforcement" in body
    assert "Do NOT download" in body
    assert "No media is attached" in body
    assert "Notice: first notice" in body
    assert "<" not in body.replace("<=", "")  # plain text, no HTML
    assert all(len(line) <= 76 for line in body.splitlines() if not line.startswith("URL: "))


# Article 16(2), one element at a time --------------------------------------------------


def test_a_notice_explains_why_the_content_is_illegal(tmp_path: Path) -> None:
    """(a) a substantiated explanation: the offence, the classification, who assessed it;
    never a description of the material."""
    _, body = compose_text(_message(_line(assessed_by=HOTLINE)), _settings(tmp_path))
    flat = " ".join(body.split())
    assert "Why it is illegal:" in flat
    assert "criminal offence in every EU member state (Directive 2011/93/EU, Article 5)" in flat
    assert "the material itself is not described" in flat
    assert "Reason: child sexual abuse material; classification 'baseline'" in flat
    assert "Assessed by: Example Hotline NL (NL)" in body.splitlines()


def test_a_notice_gives_the_exact_location(tmp_path: Path) -> None:
    """(b) each URL exactly as reported, on a line of its own."""
    lines = (_line(1), _line(2))
    _, body = compose_text(_message(*lines), _settings(tmp_path))
    urls = [line for line in body.splitlines() if line.startswith(URL_PREFIX)]
    assert urls == [f"{URL_PREFIX}{line.url}" for line in lines]


def test_a_notice_names_its_sender_and_e_mail(tmp_path: Path) -> None:
    """(c) the name and e-mail of the notifier; for whom it is sent when that differs."""
    settings = _settings(tmp_path, notifier_name="Alliance notices")
    _, body = compose_text(_message(_line(assessed_by=HOTLINE)), settings)
    lines = body.splitlines()
    assert "Notifier: Alliance notices" in lines
    assert "Notifier e-mail: notices@hotline.example.test" in lines
    assert "On behalf of: Example Hotline NL (NL)" in lines
    assert "Example Hotline NL (NL) has assessed the content" in " ".join(lines)
    # The notifier is the organisation that assessed it: no "on behalf of" itself.
    _, own = compose_text(_message(_line(assessed_by=HOTLINE)), _settings(tmp_path))
    assert "On behalf of" not in own


def test_a_notice_states_good_faith(tmp_path: Path) -> None:
    """(d) the statement of bona fide belief that the notice is accurate and complete."""
    _, body = compose_text(_message(), _settings(tmp_path))
    flat = " ".join(body.split())
    assert (
        "Example Hotline NL believes in good faith that the information and allegations in "
        "this notice are accurate and complete (EU Digital Services Act, Art. 16(2)(d))"
    ) in flat


def test_a_trusted_flaggers_notice_says_so_with_its_coordinator(tmp_path: Path) -> None:
    settings = _settings(tmp_path, notifier_name="Alliance notices")
    _, body = compose_text(_message(_line(1, assessed_by=TRUSTED)), settings)
    flat = " ".join(body.split())
    assert (
        "Trusted flagger: Example Hotline NL is a trusted flagger under Article 22 of the EU "
        "Digital Services Act, a status awarded by ACM, the Netherlands' Digital Services "
        "Coordinator."
    ) in flat
    assert "given priority and processed and decided upon without undue delay" in flat
    assert (
        "Assessed by: Example Hotline NL (NL); a trusted flagger (EU Digital Services Act, "
        "Art. 22), status awarded by ACM"
    ) in flat
    assert all(len(line) <= 76 for line in body.splitlines() if not line.startswith("URL: "))
    # Without the status, no such sentence.
    _, plain = compose_text(_message(_line(1, assessed_by=HOTLINE)), settings)
    assert "Trusted flagger" not in plain and "trusted flagger" not in plain


def test_items_assessed_by_different_organisations_each_name_theirs(tmp_path: Path) -> None:
    other = Assessor("Example Hotline BE", "BE")
    message = _message(_line(1, assessed_by=TRUSTED), _line(2, assessed_by=other))
    _, body = compose_text(message, _settings(tmp_path))
    assert "On behalf of" not in body
    assert "The hotlines or agencies named with each item have assessed" in " ".join(body.split())
    assert "Trusted flagger: " not in body  # no one sender: each item says it
    assert "Assessed by: Example Hotline BE (BE)" in body.splitlines()
    assert "status awarded by ACM" in " ".join(body.split())


def test_json_carries_the_assessor_and_the_trusted_flagger(tmp_path: Path) -> None:
    document = compose_json(_message(_line(1, assessed_by=TRUSTED)), _settings(tmp_path))
    expected = {
        "name": "Example Hotline NL",
        "country_code": "NL",
        "trusted_flagger": {
            "article": "EU DSA Art. 22",
            "awarded_by": "ACM, the Netherlands' Digital Services Coordinator",
        },
    }
    assert document["notifier"]["on_behalf_of"] == expected
    assert document["items"][0]["assessed_by"] == expected


def test_national_classification_names_the_assessing_country(tmp_path: Path) -> None:
    _, body = compose_text(_message(_line(classification="national")), _settings(tmp_path))
    assert "classification 'national'" in body
    assert "law of the country" in body


def test_notifier_status_is_spelled_out(tmp_path: Path) -> None:
    settings = _settings(tmp_path, notifier_status="trusted_flagger")
    _, body = compose_text(_message(), settings)
    assert "trusted flagger (EU Digital Services Act, Art. 22)" in body


def test_renotice_says_how_often_and_since_when(tmp_path: Path) -> None:
    subject, body = compose_text(_message(_line(sequence=3)), _settings(tmp_path))
    assert "Third notice" in subject
    assert "sent 3 times" in body
    assert "third notice: first sent on 2026-03-02 10:00 UTC" in body
    assert "notified 3 times" in body

    subject, body = compose_text(_message(_line(sequence=2)), _settings(tmp_path))
    assert "Second notice" in subject
    assert "sent twice" in body


def test_several_lines_go_in_one_message(tmp_path: Path) -> None:
    lines = (_line(1), _line(2, sequence=2), _line(3))
    subject, body = compose_text(_message(*lines), _settings(tmp_path))
    urls = [line for line in body.splitlines() if line.startswith(URL_PREFIX)]
    assert urls == [f"{URL_PREFIX}{line.url}" for line in lines]
    assert "3 URLs" in subject
    assert "Item 3 of 3" in body
    assert body.count("Item reference: ITEM-") == 3
    assert "Second notice" in subject  # the most repeated line sets the subject


def test_escalation_asks_the_hotline_to_act(tmp_path: Path) -> None:
    message = _message(_line(sequence=4), escalation=True)
    subject, body = compose_text(message, _settings(tmp_path))
    assert "Escalation" in subject
    assert "Example Hosting B.V." in subject
    assert "still online" in body
    assert "Notices sent to the provider: 4, the first on 2026-03-02 10:00 UTC" in body
    assert "Remove or disable access" not in body  # the hotline is asked to contact them
    assert f"{URL_PREFIX}{message.lines[0].url}" in body


def test_line_breaks_cannot_forge_lines(tmp_path: Path) -> None:
    forged = NoticeLine(
        item_reference="ITEM-1\nURL: http://evil.example.test/",
        url="http://photos.example.test/a b\r\nURL: http://evil.example.test/",
        classification="baseline",
        ip_address=None,
        country_code=None,
        first_reported_at=REPORTED,
        notice_sequence=1,
    )
    _, body = compose_text(_message(forged), _settings(tmp_path))
    urls = [line for line in body.splitlines() if line.startswith(URL_PREFIX)]
    assert urls == ["URL: http://photos.example.test/a%20b%0D%0AURL:%20http://evil.example.test/"]


def test_a_message_without_lines_is_refused(tmp_path: Path) -> None:
    empty = NoticeMessage("NTC-1", "P", "abuse@p.example.test", "email", ())
    with pytest.raises(ValueError, match="at least one URL"):
        compose_text(empty, _settings(tmp_path))


def test_json_is_versioned_and_complete(tmp_path: Path) -> None:
    document = compose_json(_message(_line(1), _line(2, sequence=2)), _settings(tmp_path))
    assert document["type"] == "alliance.notice"
    assert document["version"] == 1
    assert document["reference"] == "NTC-7QK2M9"
    assert document["kind"] == "notice"
    assert document["media_attached"] is False
    assert document["notifier"] == {
        "name": "Example Hotline NL",
        "email": "notices@hotline.example.test",
        "status": "hotline",
        "good_faith_statement": True,
        "on_behalf_of": None,
    }
    assert "Directive 2011/93/EU" in document["explanation"]
    first, second = document["items"]
    assert first["url"] == "http://photos.example.test/album/1.jpg?size=large"
    assert first["reason"] == "child sexual abuse material"
    assert first["classification"] == "baseline"
    assert first["first_reported_at"] == "2026-03-01T09:30:00Z"
    assert first["first_notice_at"] is None
    assert second["notice_sequence"] == 2
    assert second["first_notice_at"] == "2026-03-02T10:00:00Z"
    json.dumps(document)  # serialisable as it is


# SMTP ---------------------------------------------------------------------------------


def test_smtp_sender_delivers_to_the_local_mailbox(tmp_path: Path) -> None:
    with LocalMailbox(tmp_path / "mail", port=0) as mailbox:
        settings = _settings(tmp_path, smtp_port=mailbox.port)
        sender = sender_for("email", settings, _webhooks())
        assert isinstance(sender, SmtpSender)
        message = _message()
        sender.send(message)
        sender.send(message)  # a repeat after a crash: the same Message-ID
        first, second = mailbox.wait_for(2)

    assert first["Message-ID"] == second["Message-ID"] == "<NTC-7QK2M9@alliance.invalid>"
    assert first["From"] == "notices@hotline.example.test"
    assert first["To"] == "abuse@hosting.example.test"
    assert first["X-Alliance-Notice"] == "NTC-7QK2M9"
    assert first.get_content_type() == "text/plain"
    assert not any(part.get_filename() for part in first.walk())  # nothing attached
    assert compose_text(message, settings)[1] == message_text(first)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    assert b"Message-ID: <NTC-7QK2M9@alliance.invalid>" in files[0].read_bytes()


def test_the_mail_is_what_the_standard_policy_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Header classes made once (MAIL_POLICY) change nothing in the bytes sent, non-ASCII
    names and long subjects included."""
    sender = SmtpSender(_settings(tmp_path, notifier_name="Hotline Zürich"))
    lines = tuple(_line(n) for n in range(1, 4))
    message = _message(*lines, recipient="abuse@hosting.example.test")
    monkeypatch.setattr("alliance.takedown.notices.formatdate", lambda **_: "Sun, 1 Mar 2026")
    kept = sender.build(message).as_bytes()
    monkeypatch.setattr("alliance.takedown.notices.MAIL_POLICY", email.policy.default)
    assert kept == sender.build(message).as_bytes()


def test_smtp_connection_is_kept_and_reopened_when_dropped(tmp_path: Path) -> None:
    mailbox = LocalMailbox(tmp_path / "mail", port=0)
    mailbox.start()
    port = mailbox.port
    sender = SmtpSender(_settings(tmp_path, smtp_port=port))
    sender.send(_message())
    kept = sender._smtp
    sender.send(_message())
    assert kept is not None and sender._smtp is kept  # one connection for both
    mailbox.stop()  # the server goes away and comes back: the next send reconnects
    again = LocalMailbox(tmp_path / "mail", port=port)
    again.start()
    try:
        sender.send(_message())
        assert len(again.wait_for(1)) == 1
    finally:
        sender.close()
        again.stop()


def test_smtp_server_down_is_a_clear_delivery_error(tmp_path: Path) -> None:
    port = _closed_port()
    settings = _settings(tmp_path, smtp_port=port)
    with pytest.raises(NoticeDeliveryError, match=rf"cannot reach SMTP server 127.0.0.1:{port}"):
        SmtpSender(settings, timeout=5).send(_message())


def test_starttls_the_server_lacks_is_a_delivery_error(tmp_path: Path) -> None:
    with LocalMailbox(tmp_path / "mail", port=0) as mailbox:
        settings = _settings(tmp_path, smtp_port=mailbox.port, smtp_starttls=True)
        with pytest.raises(NoticeDeliveryError, match="STARTTLS"):
            SmtpSender(settings).send(_message())
        assert mailbox.messages == []


# Webhook ------------------------------------------------------------------------------

HOOKS = StaticHosts(
    {
        "abuse.example.test": ["203.0.113.5"],
        "inside.example.test": ["10.0.0.7"],
        "local-hook.example.test": ["127.0.0.1"],
    }
)


def _webhooks(
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver = HOOKS,
    *,
    loopback: bool = False,
) -> PinnedConnector:
    """The connector the worker gives webhooks; ``loopback`` allow-lists 127.0.0.1 as the
    tests' ALLIANCE_FETCH_ALLOW_NETWORKS does."""
    allow = parse_networks(["127.0.0.1/32"]) if loopback else []
    return PinnedConnector(resolver, allow=allow, timeout=5, transport=transport)


def _hook_message(recipient: str) -> NoticeMessage:
    return _message(channel="webhook", recipient=recipient)


def test_webhook_sender_posts_json_to_the_checked_address(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"accepted": True})

    settings = _settings(tmp_path)
    sender = sender_for("webhook", settings, _webhooks(httpx.MockTransport(handler)))
    assert isinstance(sender, WebhookSender)
    message = _hook_message("https://abuse.example.test/hook?k=1")
    sender.send(message)

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://203.0.113.5/hook?k=1"
    assert request.headers["Host"] == "abuse.example.test"
    assert request.extensions["sni_hostname"] == "abuse.example.test"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "NTC-7QK2M9"
    assert json.loads(request.content) == compose_json(message, settings)


def test_webhook_delivered_to_a_local_server_through_the_allow_list(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with local_server({"/hook": (202, {}, b"")}) as server:
        message = _hook_message(f"http://local-hook.example.test:{server.port}/hook")
        WebhookSender(_webhooks(loopback=True), settings).send(message)
        with pytest.raises(NoticeDeliveryError, match=r"loopback 127\.0\.0\.1"):
            WebhookSender(_webhooks(), settings).send(message)  # not allow-listed
    (arrival,) = server.arrivals
    assert (arrival.method, arrival.path) == ("POST", "/hook")
    assert arrival.host == f"local-hook.example.test:{server.port}"
    assert json.loads(arrival.body) == compose_json(message, settings)


def test_webhook_is_not_rebound_to_loopback(tmp_path: Path) -> None:
    """DNS answers a public address to the check and loopback to the connection: the
    notice goes to the checked address (unreachable here), never to 127.0.0.1."""
    dns = RebindingDns("rebind.example.test")
    transport = ResolvingTransport(dns)
    with local_server({"/hook": (200, {}, b"")}) as server:
        sender = WebhookSender(_webhooks(transport, dns), _settings(tmp_path))
        message = _hook_message(f"http://rebind.example.test:{server.port}/hook")
        with pytest.raises(NoticeDeliveryError, match=r"cannot deliver .* ConnectError"):
            sender.send(message)
    assert transport.connected_to == [PUBLIC]
    assert server.arrivals == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.7", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"),
        ("::ffff:192.168.0.1", "private (IPv4-mapped)"),
    ],
)
def test_webhook_to_a_non_public_address_is_refused_before_any_request(
    tmp_path: Path, address: str, reason: str
) -> None:
    seen: list[httpx.Request] = []
    hosts = StaticHosts({"inside.example.test": [address]})
    transport = recording_transport(seen)
    sender = sender_for("webhook", _settings(tmp_path), _webhooks(transport, hosts))
    with pytest.raises(NoticeDeliveryError, match=rf"non-public addresses \({re.escape(reason)} "):
        sender.send(_hook_message("https://inside.example.test/h"))
    with pytest.raises(NoticeDeliveryError, match="no longer resolves"):
        sender.send(_hook_message("https://gone.example.test/h"))
    with pytest.raises(NoticeDeliveryError, match=r"private address \(10\.0\.0\.7\)"):
        sender.send(_hook_message("https://10.0.0.7/h"))  # a literal is refused outright
    assert seen == []


def test_webhook_redirect_is_not_followed(tmp_path: Path) -> None:
    redirect = (307, {"Location": "http://10.0.0.1/internal"}, b"")
    with local_server({"/hook": redirect}) as server:
        sender = WebhookSender(_webhooks(loopback=True), _settings(tmp_path))
        message = _hook_message(f"http://local-hook.example.test:{server.port}/hook")
        with pytest.raises(NoticeDeliveryError, match=r"HTTP 307 .* redirects are not followed"):
            sender.send(message)
    assert [a.path for a in server.arrivals] == ["/hook"]


@pytest.mark.parametrize("status", [400, 403, 500, 503])
def test_webhook_error_keeps_the_status_and_not_the_reply(tmp_path: Path, status: int) -> None:
    reply = b"<html>Internal: db=postgres://admin:hunter2@10.0.0.3</html>"
    with local_server({"/hook": (status, {"Content-Type": "text/html"}, reply)}) as server:
        sender = WebhookSender(_webhooks(loopback=True), _settings(tmp_path))
        message = _hook_message(f"http://local-hook.example.test:{server.port}/hook")
        with pytest.raises(NoticeDeliveryError) as failed:
            sender.send(message)
    assert failed.value.message == (
        f"webhook at local-hook.example.test answered HTTP {status} to notice NTC-7QK2M9"
    )


def test_webhook_unreachable_is_a_delivery_error(tmp_path: Path) -> None:
    sender = WebhookSender(_webhooks(loopback=True), _settings(tmp_path))
    message = _hook_message(f"http://local-hook.example.test:{_closed_port()}/hook")
    with pytest.raises(
        NoticeDeliveryError, match=r"cannot deliver .* local-hook\.example\.test: ConnectError"
    ):
        sender.send(message)


def test_unknown_channel_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NoticeDeliveryError, match="platform"):
        sender_for("platform", _settings(tmp_path), _webhooks())
