"""A small takedown world for tests: NL and GB members, a provider, an .mmdb, a hosts
file, a local SMTP mailbox and a local web server standing in for the reported sites.

Everything stays on this machine: sites are `.example.test` names on documentation
addresses, and every connection actually goes to 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation, User
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.demo.mailbox import LocalMailbox
from alliance.hosting.geo import GeoNetwork, write_geo_database
from alliance.hosting.models import HostingProvider
from alliance.settings import Settings, load_settings
from alliance.takedown.actions import Toolkit
from alliance.worker.runner import Worker, toolkit_from_settings
from tests import factories

NL_NET, GB_NET = "203.0.113.0/25", "198.51.100.0/24"
NL_ASN, GB_ASN, SILENT_ASN = 64500, 64501, 64502
PNG = b"\x89PNG\r\n\x1a\n" + b"benign test bytes" * 10


class LocalSites:
    """HTTP on 127.0.0.1: ``pages[(host, path)] = status``; anything else is 404."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str]] = []
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                sites.requests.append((host, self.path))
                status = sites.pages.get((host, self.path), 404)
                body = PNG if status == 200 else b"gone"
                self.send_response(status)
                self.send_header("Content-Type", "image/png" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalSites:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class TakedownWorld:
    settings: Settings
    sessions: sessionmaker[Session]
    mailbox: LocalMailbox
    sites: LocalSites
    tools: Toolkit
    orgs: dict[str, Organisation] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)

    def principal(self, name: str) -> Principal:
        return self.principals[name]

    def worker(self) -> Worker:
        return Worker(self.sessions, self.tools, name="test-worker")


def build_members(session: Session) -> tuple[dict[str, Organisation], dict[str, User]]:
    for code in ("NL", "GB", "US"):
        factories.jurisdiction(session, code)
    orgs = {
        "secretariat": factories.organisation(session, OrgKind.secretariat, "GB", slug="sec"),
        "nl-hotline": factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline"),
        "nl-police": factories.organisation(
            session, OrgKind.law_enforcement, "NL", slug="nl-police"
        ),
        "gb-hotline": factories.organisation(session, OrgKind.hotline, "GB", slug="gb-hotline"),
        "us-platform": factories.organisation(session, OrgKind.industry, "US", slug="us-platform"),
    }
    users = {
        "nl-analyst": factories.user(session, orgs["nl-hotline"], Role.analyst, "nl-analyst"),
        "nl-analyst-2": factories.user(session, orgs["nl-hotline"], Role.analyst, "nl-analyst-2"),
        "nl-investigator": factories.user(
            session, orgs["nl-police"], Role.investigator, "nl-investigator"
        ),
        "gb-analyst": factories.user(session, orgs["gb-hotline"], Role.analyst, "gb-analyst"),
        "us-reviewer": factories.user(session, orgs["us-platform"], Role.reviewer, "us-reviewer"),
        "admin": factories.user(session, orgs["secretariat"], Role.secretariat_admin, "sec-admin"),
    }
    session.add_all(
        [
            HostingProvider(
                slug="nl-host",
                name="NL Host B.V.",
                country_code="NL",
                asns=[NL_ASN],
                abuse_email="abuse@nl-host.example.test",
            ),
            HostingProvider(
                slug="gb-host",
                name="GB Host Ltd",
                country_code="GB",
                asns=[GB_ASN],
                abuse_email="abuse@gb-host.example.test",
                batch_notices=True,
            ),
            HostingProvider(
                slug="silent-host", name="Silent Host", country_code="NL", asns=[SILENT_ASN]
            ),
        ]
    )
    session.flush()
    return orgs, users


def write_network_files(folder: Path) -> None:
    write_geo_database(
        folder / "hosting.mmdb",
        [
            GeoNetwork(NL_NET, "NL", NL_ASN, "NL Host"),
            GeoNetwork("203.0.113.128/25", "NL", SILENT_ASN, "Silent Host"),
            GeoNetwork(GB_NET, "GB", GB_ASN, "GB Host"),
        ],
    )
    (folder / "hosts").write_text(
        "203.0.113.10 photos.example.test img.example.test\n"
        "203.0.113.200 silent.example.test\n"
        "198.51.100.20 pics.example.test\n"
        "192.0.2.55 nowhere.example.test\n"
    )


@contextmanager
def takedown_world(
    sessions: sessionmaker[Session], tmp_path: Path, **settings_overrides: object
) -> Iterator[TakedownWorld]:
    write_network_files(tmp_path)
    with LocalMailbox(tmp_path / "mail", port=0) as mailbox, LocalSites() as sites:
        overrides: dict[str, object] = {
            "data_dir": tmp_path,
            "smtp_port": mailbox.port,
            "lea_window_hours": 0,
            "fetch_allow_networks": ["127.0.0.1/32"],
            "fetch_connect_override": f"127.0.0.1:{sites.port}",
            "proof_of_work_bits": 4,
        }
        overrides.update(settings_overrides)
        settings = load_settings(**overrides)
        with sessions() as session, session.begin():
            orgs, users = build_members(session)
            principals = {name: factories.principal(u) for name, u in users.items()}
        yield TakedownWorld(
            settings=settings,
            sessions=sessions,
            mailbox=mailbox,
            sites=sites,
            tools=toolkit_from_settings(settings),
            orgs=orgs,
            principals=principals,
        )
