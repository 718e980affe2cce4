"""The demo web host and mailbox: live pictures, removals, simulated providers, the mail list."""

from __future__ import annotations

import io
import json
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from PIL import Image

from alliance.demo.mailbox import LocalMailbox, read_mailbox, read_message
from alliance.demo.sites import (
    DemoSites,
    normalise_url,
    notice_urls,
    page_picture,
    provider_acts_on_notice,
)
from alliance.settings import load_settings
from alliance.takedown.notices import NoticeLine, NoticeMessage, SmtpSender

FAST_URL = "http://photos.example.test/album/1.png"
SLOW_URL = "http://slowhost.example.test/files/2.png?dl=1"


@pytest.fixture
def sites(tmp_path: Path) -> DemoSites:
    sites = DemoSites(tmp_path, port=0)
    sites.add(FAST_URL, "demo-fast-hosting")
    sites.add(SLOW_URL, "demo-slow-hosting", responds=False)
    return sites


def _get(sites: DemoSites, host: str, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{sites.port}{path}", headers={"Host": host})


def _notice(*urls: str, kind: str = "notice") -> EmailMessage:
    lines = tuple(
        NoticeLine(f"ITEM-{n}", url, "baseline", "192.0.2.7", "NL", datetime.now(UTC), 1)
        for n, url in enumerate(urls, start=1)
    )
    message = NoticeMessage(
        "NTC-DEMO1", "Demo Hosting", "abuse@demo.example.test", "email", lines, kind != "notice"
    )
    return SmtpSender(load_settings()).build(message)


def test_serves_a_live_png_then_404_after_remove(sites: DemoSites) -> None:
    with sites:
        live = _get(sites, "photos.example.test", "/album/1.png")
        assert live.status_code == 200
        assert live.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(live.content)).format == "PNG"
        # Deterministic per URL, whether or not the Host header names the port.
        again = _get(sites, f"photos.example.test:{sites.port}", "/album/1.png")
        assert again.content == live.content
        other = _get(sites, "slowhost.example.test", "/files/2.png?dl=1")
        assert other.status_code == 200
        assert other.content != live.content

        assert sites.remove(FAST_URL) is True
        assert sites.remove(FAST_URL) is False
        assert _get(sites, "photos.example.test", "/album/1.png").status_code == 404
        assert sites.state(FAST_URL) == "removed"

        assert _get(sites, "photos.example.test", "/album/unknown.png").status_code == 404
        assert _get(sites, "slowhost.example.test", "/files/2.png").status_code == 404  # query


def test_state_is_kept_in_a_versioned_file(sites: DemoSites, tmp_path: Path) -> None:
    sites.remove(FAST_URL)
    document = json.loads((tmp_path / "demo-sites.json").read_text())
    assert document["version"] == 1
    assert document["urls"][FAST_URL] == {
        "state": "removed",
        "provider": "demo-fast-hosting",
        "responds": True,
    }
    # Another instance (another process, say) sees the same state.
    reopened = DemoSites(tmp_path)
    assert reopened.state("HTTP://Photos.Example.Test:80/album/1.png") == "removed"
    assert reopened.state(SLOW_URL) == "live"
    assert reopened.state("http://photos.example.test/nothing") is None
    reopened.add(FAST_URL, "demo-fast-hosting")  # reappears
    assert sites.state(FAST_URL) == "live"


def test_normalise_url() -> None:
    assert normalise_url("HTTP://Example.TEST") == "http://example.test/"
    assert normalise_url("https://example.test:443/a?b=1#frag") == "https://example.test/a?b=1"
    assert normalise_url("http://example.test:8026/a") == "http://example.test:8026/a"
    assert page_picture(FAST_URL) == page_picture("http://PHOTOS.example.test/album/1.png")


def test_responsive_provider_removes_what_the_notice_names(sites: DemoSites) -> None:
    notice = _notice(FAST_URL, SLOW_URL, "http://unknown.example.test/x")
    assert notice_urls(notice.get_content()) == [
        FAST_URL,
        SLOW_URL,
        "http://unknown.example.test/x",
    ]
    assert provider_acts_on_notice(notice, sites) == [FAST_URL]
    assert sites.state(FAST_URL) == "removed"
    assert sites.state(SLOW_URL) == "live"  # slow providers never act
    assert provider_acts_on_notice(notice, sites) == []  # nothing left to remove


def test_providers_ignore_escalations(sites: DemoSites) -> None:
    assert provider_acts_on_notice(_notice(FAST_URL, kind="escalation"), sites) == []
    assert sites.state(FAST_URL) == "live"


def test_mailbox_hook_lets_providers_act_on_arrival(sites: DemoSites, tmp_path: Path) -> None:
    removed: list[str] = []

    def hook(message: EmailMessage) -> None:
        removed.extend(provider_acts_on_notice(message, sites))

    with LocalMailbox(tmp_path / "mail", port=0, on_message=hook) as mailbox:
        settings = load_settings(data_dir=tmp_path, smtp_port=mailbox.port)
        message = NoticeMessage(
            "NTC-HOOK1",
            "Demo Hosting",
            "abuse@demo.example.test",
            "email",
            (NoticeLine("ITEM-1", FAST_URL, "national", None, "NL", datetime.now(UTC), 1),),
        )
        SmtpSender(settings).send(message)
    assert removed == [FAST_URL]
    assert sites.state(FAST_URL) == "removed"


def test_read_mailbox_lists_messages(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    assert read_mailbox(folder) == []
    with LocalMailbox(folder, port=0) as mailbox:
        for n in (1, 2, 3):
            mail = EmailMessage()
            mail["From"] = "notices@alliance.example.test"
            mail["To"] = f"abuse{n}@host.example.test"
            mail["Subject"] = f"Notice {n}"
            mail["Message-ID"] = f"<NTC-{n}@alliance.invalid>"
            mail["X-Alliance-Notice"] = f"NTC-{n}"
            mail.set_content(f"URL: http://photos.example.test/{n}.png\n")
            with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=5) as smtp:
                smtp.send_message(mail)
        assert len(mailbox.wait_for(3)) == 3

    summaries = read_mailbox(folder)
    assert [s.subject for s in summaries] == ["Notice 1", "Notice 2", "Notice 3"]
    first = summaries[0]
    assert first.from_address == "notices@alliance.example.test"
    assert first.to_address == "abuse1@host.example.test"
    assert first.message_id == "<NTC-1@alliance.invalid>"
    assert first.notice_reference == "NTC-1"
    assert first.received_at.tzinfo is UTC
    assert first.path.suffix == ".eml"
    assert read_message(first.path)["Subject"] == "Notice 1"
    assert [s.subject for s in read_mailbox(folder, limit=2)] == ["Notice 2", "Notice 3"]


def test_mailbox_restart_keeps_numbering(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    for _ in range(2):
        with (
            LocalMailbox(folder, port=0) as mailbox,
            smtplib.SMTP("127.0.0.1", mailbox.port, timeout=5) as smtp,
        ):
            smtp.sendmail("a@example.test", ["b@example.test"], b"Subject: hi\r\n\r\nhello\r\n")
    names = sorted(p.name for p in folder.glob("*.eml"))
    assert [name.rsplit("-", 1)[1] for name in names] == ["0001.eml", "0002.eml"]
