"""The demo platform nl-photoshare in member mode: its own server beside the hub.

`alliance demo` builds the member's side in ``<data_dir>/member`` (the member's own data
folder):

- ``alliance.db``: its own SQLite database, migrated, holding the organisation, an
  administrator and a reviewer of its own, its upload service's API key, and an action
  rule that removes an upload matching the demo baseline bank closely;
- ``hub-key.pem`` (the hub's public signing key, pinned as a member pins it) and
  ``hub-api-key`` (nl-photoshare's API key at the hub, kept hashed there as every key);
- ``uploads/``: the platform's own storage, benign generated pictures — holiday snaps that
  match nothing, and a banked demo picture with a white border added and mirrored;
- ``dsa-token``: its token at the DSA Transparency Database stand-in;
- ``demo-member.json``: the seed it was built with, written last (no marker: build again).

`alliance serve` in demo mode runs what the member talks to (:func:`outside_world`): its
storage and removal hook (:class:`DemoPlatform`, which records each removal in
``removed.jsonl``), and the stand-ins for NCMEC's CyberTipline and the DSA Transparency
Database; writes the member's settings (:func:`settings_values`) to ``<member>/.env``;
and starts `alliance serve --member` with them once the hub answers.

Everything is synthetic and stays on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from alliance.accounts import services as accounts
from alliance.accounts.models import ApiKey
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.audit import EventType, record
from alliance.db import create_db_engine, make_session_factory, migrate
from alliance.db.base import utcnow
from alliance.demo import media
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.demo.loopback import HOST, LoopbackServer
from alliance.demo.world import BANKED, DemoLogin, demo_key, demo_password
from alliance.errors import ConfigurationError
from alliance.review import rules
from alliance.review.models import RuleAction
from alliance.review.schemas import RuleIn
from alliance.settings import Settings
from alliance.signing import Signer

PLATFORM = "nl-photoshare"
PLATFORM_NAME = "Example PhotoShare (NL)"
COUNTRY = ("NL", "Netherlands")
FOLDER = "member"
MARKER = "demo-member.json"
UPLOADS = "uploads"
REMOVED = "removed.jsonl"
ENV_FILE = ".env"
#: The hub's banks the member subscribes to.
BANKS = ("baseline-demo", "national-nl-demo")
#: The remove rule: a match of the demo baseline bank this close (PDQ bits) or closer.
RULE_BANK, RULE_DISTANCE = "baseline-demo", 10
ADMIN, REVIEWER = "photoshare-admin", "photoshare-reviewer"
#: Which banked demo picture (of world.BANKED) the platform's try-upload is an edit of.
TRY_PICTURE = BANKED[6]
TRY_UPLOAD = "framed-mirrored.jpg"
HOLIDAYS = 3
SYNC_MINUTES = 10
CYBERTIPLINE_USERNAME = "nl-photoshare-esp"


@dataclass(frozen=True)
class DemoMember:
    """What `alliance demo` tells the user about the demo member."""

    folder: Path
    seed: int
    logins: list[DemoLogin]
    upload_key: str  # its upload service's key at the member (never the hub's)
    built_now: bool

    @property
    def try_upload(self) -> Path:
        return self.folder / UPLOADS / TRY_UPLOAD


def folder_of(data_dir: Path) -> Path:
    return data_dir / FOLDER


def built_seed(data_dir: Path) -> int | None:
    """The seed the demo member in ``data_dir`` was built with; None when there is none."""
    try:
        marker = json.loads((folder_of(data_dir) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    seed = marker.get("seed") if isinstance(marker, dict) else None
    return seed if isinstance(seed, int) else None


def database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'alliance.db'}"


def hub_api_key(seed: int) -> str:
    return demo_key(seed, f"{PLATFORM}-member-server")


def upload_key(seed: int) -> str:
    return demo_key(seed, f"{PLATFORM}-upload-service")


def cybertipline_password(seed: int) -> str:
    return demo_password(seed, f"{PLATFORM}-cybertipline")


def dsa_token(seed: int) -> str:
    return hashlib.sha256(f"alliance-demo-dsa:{seed}:{PLATFORM}".encode()).hexdigest()


def logins(seed: int) -> list[DemoLogin]:
    return [
        DemoLogin(ADMIN, demo_password(seed, ADMIN), Role.org_admin, PLATFORM),
        DemoLogin(REVIEWER, demo_password(seed, REVIEWER), Role.reviewer, PLATFORM),
    ]


def try_picture(seed: int) -> bytes:
    """The upload to try: the banked demo picture TRY_PICTURE with a border, mirrored."""
    return media.jpeg(media.bordered_and_mirrored(media.picture(seed * 100 + TRY_PICTURE)))


def holiday_pictures(seed: int) -> dict[str, bytes]:
    """Uploads that match nothing."""
    return {
        f"holiday-{n + 1:02d}.jpg": media.jpeg(media.picture(seed * 1000 + 800 + n))
        for n in range(HOLIDAYS)
    }


# --- building -------------------------------------------------------------------------


def add_hub_key(session: Session, actor: Principal, seed: int) -> str:
    """nl-photoshare's API key at the hub for its member server (syncing, reporting to the
    police), created once; only its hash is kept, as for every key."""
    token = hub_api_key(seed)
    parsed = accounts.API_KEY_RE.match(token)
    assert parsed is not None  # demo_key makes keys of that form
    found = session.execute(select(ApiKey.id).where(ApiKey.prefix == parsed.group(1))).first()
    if found is None:
        accounts.create_api_key(
            session,
            actor,
            ApiKeyIn(name="member server", role=Role.reviewer, days=365, organisation=PLATFORM),
            max_days=365,
            token=token,
        )
    return token


def build(actor: Principal, settings: Settings, seed: int) -> DemoMember:
    """The member's side in ``<data_dir>/member`` (its own database, committed here, and
    its files); found as it is when built with ``seed``. A folder left half-built (no
    marker) is built again from nothing. Its key at the hub is :func:`add_hub_key`'s."""
    folder = folder_of(settings.data_dir)
    if built_seed(settings.data_dir) == seed:
        return DemoMember(folder, seed, logins(seed), upload_key(seed), built_now=False)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _secret(folder / "hub-api-key", hub_api_key(seed))
    (folder / "hub-key.pem").write_text(Signer.from_settings(settings).public_pem())
    _secret(folder / "dsa-token", dsa_token(seed))
    uploads = folder / UPLOADS
    uploads.mkdir()
    for name, data in holiday_pictures(seed).items():
        (uploads / name).write_bytes(data)
    (uploads / TRY_UPLOAD).write_bytes(try_picture(seed))
    _build_database(folder, actor, seed)
    (folder / MARKER).write_text(
        json.dumps({"format": "alliance.demo_member", "version": 1, "seed": seed}) + "\n"
    )
    return DemoMember(folder, seed, logins(seed), upload_key(seed), built_now=True)


def _secret(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text + "\n")


def _build_database(folder: Path, actor: Principal, seed: int) -> None:
    engine = create_db_engine(database_url(folder))
    try:
        migrate.upgrade(engine)
        with make_session_factory(engine).begin() as session:
            code, name = COUNTRY
            accounts.add_jurisdiction(session, actor, JurisdictionIn(code=code, name=name))
            accounts.create_organisation(
                session,
                actor,
                OrganisationIn(
                    slug=PLATFORM, name=PLATFORM_NAME, kind=OrgKind.industry, country_code=code
                ),
            )
            for login in logins(seed):
                accounts.create_user(
                    session,
                    actor,
                    UserIn(
                        username=login.username,
                        display_name=login.username.replace("-", " ").capitalize(),
                        role=login.role,
                        organisation=PLATFORM,
                        password=login.password,
                    ),
                )
            accounts.create_api_key(
                session,
                actor,
                ApiKeyIn(
                    name="upload service", role=Role.reviewer, days=365, organisation=PLATFORM
                ),
                max_days=365,
                token=upload_key(seed),
            )
            admin = accounts.principal_for_user(accounts.get_user(session, actor, ADMIN))
            rules.add_rule(
                session,
                admin,
                RuleIn(bank=RULE_BANK, max_distance=RULE_DISTANCE, action=RuleAction.remove),
            )
            record(
                session,
                actor,
                EventType.DEMO_BUILT,
                "demo",
                seed,
                {"seed": seed, "member": PLATFORM},
            )
    finally:
        engine.dispose()


# --- running --------------------------------------------------------------------------


class DemoPlatform(LoopbackServer):
    """The demo platform's own infrastructure on 127.0.0.1: its storage (``GET
    /uploads/NAME``, the files of ``<member>/uploads``) and its removal hook (``POST
    /hooks/remove``, which records the removal in ``<member>/removed.jsonl``; ``GET
    /hooks/removed`` lists them). A real platform's hook would take the upload out of
    public view, keeping it for its reports; this one records only."""

    description = "the demo platform's storage"
    thread_name = "demo-platform"

    def __init__(self, folder: Path, port: int = 0) -> None:
        super().__init__(port)
        self.folder = folder
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Mount("/uploads", app=StaticFiles(directory=folder / UPLOADS, check_dir=False)),
                Route("/hooks/remove", self._remove, methods=["POST"]),
                Route("/hooks/removed", self._removed, methods=["GET"]),
            ]
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def removals(self) -> list[dict[str, Any]]:
        try:
            lines = (self.folder / REMOVED).read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    async def _remove(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("content_id"), str):
            return JSONResponse({"error": "a JSON object with content_id is needed"}, 400)
        removal = {"removed_at": utcnow().isoformat(), **body}
        with self._lock, (self.folder / REMOVED).open("a") as out:
            out.write(json.dumps(removal, sort_keys=True) + "\n")
        return JSONResponse({"removed": body["content_id"]})

    async def _removed(self, _request: Request) -> Response:
        return JSONResponse(self.removals())


@dataclass
class OutsideWorld:
    """What the demo member talks to, running: its storage and hook, and the stand-ins."""

    platform: DemoPlatform
    cybertipline: StandInCyberTipline
    dsa: StandInTransparencyDatabase


def check_ports(settings: Settings) -> None:
    """ConfigurationError when the member's or its storage's port on 127.0.0.1 is taken."""
    for port in (settings.demo_member_port, settings.demo_member_storage_port):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                raise ConfigurationError(
                    f"port {port} on {HOST} is taken (another `alliance serve` in demo mode?): "
                    "set ALLIANCE_DEMO_MEMBER_PORT / ALLIANCE_DEMO_MEMBER_STORAGE_PORT to free "
                    "ports, or ALLIANCE_DEMO_MEMBER=false to serve the hub alone"
                ) from None


@contextmanager
def outside_world(folder: Path, seed: int, *, storage_port: int = 0) -> Iterator[OutsideWorld]:
    """The member's storage and removal hook (on ``storage_port``; 0: a free port) and the
    CyberTipline and DSA Transparency Database stand-ins (free ports), until the end."""
    with ExitStack() as stack:
        platform = stack.enter_context(DemoPlatform(folder, storage_port))
        cybertipline = stack.enter_context(
            StandInCyberTipline(CYBERTIPLINE_USERNAME, cybertipline_password(seed))
        )
        dsa = stack.enter_context(StandInTransparencyDatabase(dsa_token(seed)))
        yield OutsideWorld(platform, cybertipline, dsa)


def settings_values(
    folder: Path, seed: int, hub_url: str, port: int, world: OutsideWorld
) -> dict[str, Any]:
    """The member's settings (field names of :class:`~alliance.settings.Settings`): its own
    data folder and database, the profile of a member of ``hub_url``, its storage, removal
    hook and the stand-ins of ``world``."""
    storage = f"{world.platform.url}/{UPLOADS}/"
    return {
        "mode": "demo",
        "data_dir": folder,
        "database_url": database_url(folder),
        "host": HOST,
        "port": port,
        "platform_name": PLATFORM,
        "member_hub_url": hub_url,
        "member_hub_public_key_file": folder / "hub-key.pem",
        "member_api_key_file": folder / "hub-api-key",
        "member_organisation": PLATFORM,
        "member_banks": list(BANKS),
        "member_sync_minutes": SYNC_MINUTES,
        "member_storage_urls": [storage],
        "review_media_url_prefixes": [storage],
        "review_removal_hook_url": f"{world.platform.url}/hooks/remove",
        "cybertipline_url": world.cybertipline.base_url,
        "cybertipline_username": CYBERTIPLINE_USERNAME,
        "cybertipline_password": cybertipline_password(seed),
        # The person NCMEC and the police may reach about a report (a synthetic one).
        "cybertipline_reporter_first_name": "Demo",
        "cybertipline_reporter_last_name": "Reviewer",
        "cybertipline_reporter_email": "safety@nl-photoshare.example.test",
        "dsa_url": world.dsa.url,
        "dsa_token_file": folder / "dsa-token",
        # How an uploader contests a removal: the statement of reasons they read says it.
        "dsa_complaint": "write to appeals@nl-photoshare.example.test, quoting the reference",
    }


def environment(values: Mapping[str, Any]) -> dict[str, str]:
    """``values`` as ``ALLIANCE_*`` environment variables (lists as JSON)."""
    return {
        f"ALLIANCE_{name.upper()}": json.dumps(value) if isinstance(value, list) else str(value)
        for name, value in values.items()
    }


def write_env_file(folder: Path, env: Mapping[str, str]) -> Path:
    """``<member>/.env``: the member's settings while the demo runs, for commands run in
    that folder (`cd var/member && alliance review police ...`)."""
    path = folder / ENV_FILE
    lines = [
        "# The demo member nl-photoshare's settings, written by `alliance serve` (demo mode)",
        "# each time it starts the member. Commands run in this folder read them.",
        *(f"{name}={_quoted(value)}" for name, value in env.items()),
    ]
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def _quoted(value: str) -> str:
    return "'" + value + "'" if any(c in value for c in ' "#[$') else value
