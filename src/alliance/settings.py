"""Deployment settings, read from the environment (prefix ``ALLIANCE_``) or a ``.env`` file.

Every field carries a description: ``alliance settings`` prints them with secrets masked.
"""

from __future__ import annotations

import ipaddress
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from alliance.errors import ConfigurationError


class Mode(StrEnum):
    demo = "demo"
    development = "development"
    production = "production"


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
DEMO_SITES_PORT = 8026  # default port of the demo's stand-in web host


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ALLIANCE_", env_file=".env", extra="ignore", validate_default=True
    )

    mode: Mode = Field(
        Mode.demo,
        description="demo | development | production. Production refuses to start without "
        "an explicit secret key and never generates one.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Folder for the embedded SQLite database, the generated demo secret "
        "and other local state. Created when missing.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the database. Empty: SQLite file <data_dir>/alliance.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs CSRF tokens. Required in production; in demo and "
        "development a random one is generated once and kept in <data_dir>/secret_key.",
    )
    signing_key_file: Path | None = Field(
        None,
        description="PEM file with the Ed25519 private key that signs bank snapshots and "
        "deltas. Required in production; in demo and development one is generated once "
        "as <data_dir>/signing_key.pem.",
    )
    platform_name: str = Field(
        "alliance",
        min_length=1,
        max_length=200,
        description="This platform's name in the signed heads of its audit chain (audit "
        "anchors), so that anchors of two deployments are not confused.",
    )
    audit_anchor_minutes: float = Field(
        60,
        gt=0,
        description="The worker signs the audit chain's head (an anchor) this often when "
        "new events were added; `alliance audit verify` and `anchor export` sign it too.",
    )
    host: str = Field("127.0.0.1", description="Address `alliance serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `alliance serve` listens on.")
    max_concurrent_requests: int = Field(
        16,
        ge=1,
        le=1000,
        description="Requests the web server handles at once; the rest wait their turn "
        "(ALLIANCE_REQUEST_QUEUE_SECONDS) or get 503 with Retry-After. The database pool "
        "and the thread limit are sized from it (docs/platform.md): with PostgreSQL, "
        "each `alliance serve` worker process opens up to this + 8 connections.",
    )
    request_queue_seconds: float = Field(
        2,
        gt=0,
        le=60,
        description="Longest a request waits for its turn when the server is full before "
        "it is answered 503 with Retry-After.",
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description="How long an idle keep-alive connection stays open. Longer than the "
        "idle timeout of clients and load balancers in front (httpx 5 s, nginx 60 s), so "
        "the client always closes first: a server closing as a client reuses the "
        "connection resets that request.",
    )
    request_body_seconds: float = Field(
        20,
        gt=0,
        le=600,
        description="A request body (up to ALLIANCE_MAX_BODY_BYTES) must arrive within this "
        "many seconds, before the request takes a turn; larger uploads must then keep coming "
        "at least every this many seconds and at ALLIANCE_MIN_UPLOAD_BYTES_PER_SECOND on "
        "average. Slower bodies get 408, so slow senders cannot hold the server's turns.",
    )
    min_upload_bytes_per_second: int = Field(
        16_384,
        ge=0,
        description="Slowest average rate accepted for the part of an upload past "
        "ALLIANCE_MAX_BODY_BYTES (measured after the first ALLIANCE_REQUEST_BODY_SECONDS); "
        "0 turns the check off.",
    )
    database_wait_seconds: float = Field(
        10,
        gt=0,
        le=300,
        description="Longest a web request waits for a database connection or for "
        "SQLite's one writer (behind a long import, say) before it is answered 503 with "
        "Retry-After. Commands and workers wait 30 s.",
    )
    match_events_seconds: float = Field(
        0.15,
        gt=0,
        le=5,
        description="Longest a match event waits in a web server process before it is "
        "written with others in one batch (the match is answered first). A graceful stop "
        "writes them all; a crash loses those of about the last this many seconds per "
        "process (docs/scale.md).",
    )
    sync_max_manifest_age_hours: float = Field(
        24,
        gt=0,
        description="alliance sync refuses a signed bank manifest issued longer ago than this: "
        "a mirror or proxy replaying the newest manifest it saw would otherwise hold a member "
        "at an old copy without an error (a freeze).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. 127.0.0.1/32, 10.0.0.0/8) of reverse "
        "proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. Empty: the peer's "
        "own address is the client's (per-address login and public-report limits count it).",
    )
    session_hours: int = Field(
        8, ge=1, le=24 * 7, description="A web login lasts this many hours of inactivity."
    )
    secure_cookies: bool = Field(
        False,
        description="Mark cookies Secure (HTTPS only). Turn on behind TLS; production "
        "deployments must serve over HTTPS.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body accepted (bytes); larger ones get 413.",
    )
    max_upload_bytes: int = Field(
        50 * 1_048_576,
        ge=1024,
        description="Largest media upload accepted by POST /api/v1/match/file (bytes); it is "
        "hashed in memory and never stored.",
    )
    max_hash_file_bytes: int = Field(
        512 * 1_048_576,
        ge=1024,
        description="Largest hash-set file accepted (bytes): a seizure for triage, a media "
        "records import or a bank import. A million-file seizure as JSON lines is ~300 MB.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window over which failed logins are counted."
    )
    login_max_failures_per_account: int = Field(
        5, ge=1, description="Failed logins for one account within the window before 429."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address within the window before 429."
    )
    api_key_max_days: int = Field(
        365, ge=1, description="Longest lifetime an API key may be given, in days."
    )

    disclosure_k: int = Field(
        5,
        ge=1,
        le=1000,
        description="Figures shown outside the country they describe (the alliance-wide "
        "distribution of capability self-assessments, report cells) hide any count of "
        "fewer than this many countries or cases.",
    )
    report_cache_seconds: float = Field(
        300,
        ge=0,
        le=86400,
        description="The progress report's pages (live and published) use figures computed "
        "at most this many seconds ago, and say as of when; 0 computes them on every visit. "
        "Computing them reads every workflow table, for every member country.",
    )

    # Notice and takedown.
    lea_window_hours: float = Field(
        24,
        ge=0,
        description="After an item is routed, the hosting country's LEA has this many hours "
        "to act (place a hold) before any notice goes out.",
    )
    renotice_hours: float = Field(
        24, gt=0, description="A notice is sent again every this many hours until removal."
    )
    escalate_after_days: float = Field(
        3,
        gt=0,
        description="Days after the first notice without removal before the hosting "
        "country's hotline and LEA are told the provider is slow.",
    )
    recheck_hours: float = Field(6, gt=0, description="Hours between re-checks of a notified URL.")
    hold_default_days: int = Field(
        30, ge=1, description="Lifetime of a new investigation hold unless one is given."
    )
    hold_max_days: int = Field(
        180, ge=1, description="Longest an investigation hold may run before it is renewed."
    )
    claim_minutes: int = Field(
        30,
        ge=1,
        description="An analyst's claim on an item lapses after this many minutes, so an "
        "abandoned item returns to the queue.",
    )
    notifier_name: str = Field(
        "Alliance demo hotline",
        description="Name in notices: who is notifying (EU DSA Art. 16(2)(c)).",
    )
    notifier_status: str = Field(
        "hotline",
        description="Status of the notifier named in notices: hotline | trusted_flagger | "
        "law_enforcement (EU DSA Art. 22).",
    )
    notifier_email: str = Field(
        "notices@alliance.example.test",
        description="From address of notices by e-mail.",
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server notices are sent through.")
    smtp_port: int = Field(8025, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_starttls: bool = Field(False, description="Use STARTTLS with the SMTP server.")
    smtp_username: str = Field("", description="SMTP login; empty: no authentication.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    cybertipline_url: str = Field(
        "",
        description="Base address of NCMEC's CyberTipline reporting API, for a platform "
        "that reports with `alliance cybertipline send`: NCMEC's test or production "
        "address, or a stand-in. No default: empty, nothing is sent.",
    )
    cybertipline_username: str = Field("", description="The member's CyberTipline login.")
    cybertipline_password: SecretStr = Field(
        SecretStr(""), description="The member's CyberTipline password."
    )
    cybertipline_timeout_seconds: float = Field(
        60.0, gt=0, le=3600, description="How long one CyberTipline call may take."
    )
    cybertipline_reporter_first_name: str = Field(
        "",
        description="The person at the platform whom NCMEC and the police may reach about a "
        "report (its reportingPerson): first name. With the last name and e-mail below, "
        "required to file a review case's report (`alliance review cybertipline`).",
    )
    cybertipline_reporter_last_name: str = Field(
        "", description="The CyberTipline reporting person's last name."
    )
    cybertipline_reporter_email: str = Field(
        "",
        description="The CyberTipline reporting person's e-mail address (a trust-and-safety "
        "team's address serves).",
    )
    geo_country_db: Path | None = Field(
        None,
        description="MaxMind-format .mmdb with country by IP (e.g. GeoLite2-Country). "
        "Empty: <data_dir>/hosting.mmdb when it exists (the demo writes one).",
    )
    geo_asn_db: Path | None = Field(
        None,
        description="MaxMind-format .mmdb with ASN by IP (e.g. GeoLite2-ASN). "
        "Empty: the same file as the country database.",
    )
    static_hosts_file: Path | None = Field(
        None,
        description="A hosts-format file (IP NAME...) consulted before DNS. The demo writes "
        "<data_dir>/hosts for its .example.test sites.",
    )
    fetch_allow_networks: list[str] = Field(
        default_factory=list,
        description="Networks the re-check client may fetch from although they are "
        "private or loopback (tests use 127.0.0.1/32). Empty in production.",
    )
    fetch_connect_override: str = Field(
        "",
        description="host:port every re-check connects to instead of the URL's own address "
        "(the Host header still names the site). For the demo's local stand-in web host; "
        "refused in production. Empty in demo mode: 127.0.0.1:8026 when the demo world exists.",
    )
    demo_sites_port: int = Field(
        DEMO_SITES_PORT,
        ge=1,
        le=65535,
        description="Demo only: port of the stand-in web host for the demo's .example.test "
        "sites (`alliance serve` starts it in demo mode, beside the demo SMTP mailbox on "
        "ALLIANCE_SMTP_PORT).",
    )
    demo_member: bool = Field(
        True,
        description="Demo only: `alliance serve` also starts the demo platform nl-photoshare "
        "in member mode (a second process, its own database in <data_dir>/member), when "
        "`alliance demo` built it; false: the hub alone.",
    )
    demo_member_port: int = Field(
        8001,
        ge=1,
        le=65535,
        description="Demo only: port of the demo platform's member server on 127.0.0.1.",
    )
    demo_member_storage_port: int = Field(
        8029,
        ge=1,
        le=65535,
        description="Demo only: port on 127.0.0.1 of the demo platform's own storage (its "
        "uploads, which its member server fetches and previews) and of its removal hook.",
    )
    fetch_max_bytes: int = Field(
        20 * 1_048_576, ge=1024, description="Largest response body a re-check reads."
    )
    fetch_timeout_seconds: float = Field(
        15, gt=0, description="Time limit of one re-check request."
    )
    public_reports_per_hour: int = Field(
        30, ge=1, description="Public reports accepted per client address per hour."
    )
    proof_of_work_bits: int = Field(
        16,
        ge=0,
        le=28,
        description="Leading zero bits of SHA-256 a public report's proof of work needs "
        "(a captcha without an outside service); 0 turns it off.",
    )
    worker_poll_seconds: float = Field(
        2, gt=0, description="How often `alliance worker` looks for due actions."
    )
    serve_worker: bool = Field(
        True,
        description="`alliance serve` runs a worker thread in-process (demo). Turn off when "
        "separate `alliance worker` processes run.",
    )
    dsa_url: str = Field(
        "",
        description="The EU DSA Transparency Database API that `alliance dsa submit` sends "
        "statements of reasons to (the Commission's site or its sandbox). No default: "
        "nothing is sent until it is set, or --url is given.",
    )
    dsa_token_file: Path | None = Field(
        None,
        description="File holding the platform's Transparency Database API token (Bearer), "
        "for `alliance dsa submit` when --token-file is not given.",
    )
    dsa_complaint: str = Field(
        "",
        max_length=1000,
        description="How a user contests a removal with you (DSA Art. 20, your internal "
        "complaint-handling system): a page or an address, e.g. "
        "'https://photos.example.test/appeals, quoting the reference'. Written into the "
        "statement of reasons the uploader reads (Art. 17(3)(f)); required to send a review "
        "case's statement of reasons (`alliance review dsa`, the case page, the API).",
    )

    # Member mode (`alliance serve --member`): a platform's own deployment, syncing the
    # banks it subscribes to from the alliance's hub (docs/platforms.md, "Member mode").
    member_hub_url: str = Field(
        "",
        description="Member mode: the alliance hub's address (https://...) that the "
        "subscribed banks are synced from. Required by `alliance serve --member`.",
    )
    member_hub_public_key_file: Path | None = Field(
        None,
        description="Member mode: PEM of the hub's Ed25519 public key (GET /api/v1/keys on "
        "the hub, checked by its fingerprint); every synced document must verify with it. "
        "Required by `alliance serve --member`.",
    )
    member_api_key_file: Path | None = Field(
        None,
        description="Member mode: file holding the member's API key at the hub (alk_...), "
        "used to sync. Required by `alliance serve --member`; never put the key itself "
        "in the environment.",
    )
    member_organisation: str = Field(
        "",
        description="Member mode: the member's organisation slug at the hub; a signed "
        "manifest for anyone else is refused. Empty: the one pinned by the first sync.",
    )
    member_banks: list[str] = Field(
        default_factory=list,
        description="Member mode: the hub's banks this member subscribes to (JSON list of "
        "names). Empty: every bank the hub's signed manifest grants it. A bank held but no "
        "longer listed is dropped from the local copy.",
    )
    member_store_dir: Path | None = Field(
        None,
        description="Member mode: folder of the synced banks' verified local copy. "
        "Empty: <data_dir>/banks (the folder `alliance sync` uses).",
    )
    member_sync_minutes: float = Field(
        60,
        gt=0,
        le=7 * 24 * 60,
        description="Member mode: minutes between syncs of the subscribed banks, on average.",
    )
    member_sync_jitter: float = Field(
        0.2,
        ge=0,
        lt=1,
        description="Member mode: each wait between syncs is drawn within plus or minus this "
        "share of ALLIANCE_MEMBER_SYNC_MINUTES, so members do not all ask the hub at once.",
    )
    member_storage_urls: list[str] = Field(
        default_factory=list,
        description="Member mode: URL prefixes of the member's own storage (JSON list, e.g. "
        '["http://127.0.0.1:9000/uploads/"]). POST /api/v1/member/match/url fetches only '
        "URLs under one of them; anything else is refused. Empty: URLs are refused.",
    )
    member_storage_networks: list[str] = Field(
        default_factory=list,
        description="Member mode: private networks (e.g. 10.20.0.0/16) the storage's hosts "
        "may resolve to. Loopback is always allowed; any other private, link-local or "
        "reserved address is refused even under an allowed prefix.",
    )

    review_second_reviewer: bool = Field(
        False,
        description="Review queue: a confirmation needs a second, different reviewer before "
        "the case is confirmed.",
    )
    review_sla_hours: float = Field(
        24,
        gt=0,
        description="Review queue: a case still undecided this many hours after it opened is "
        "overdue (shown and filtered as such).",
    )
    review_media_root: Path | None = Field(
        None,
        description="Review queue: the folder of the platform's own media. A case's file is "
        "a path under it; previews read only from here (and the URL prefixes below). Empty: "
        "none, except in demo mode <data_dir>/review-media when the demo wrote it.",
    )
    review_media_url_prefixes: list[str] = Field(
        default_factory=list,
        description="Review queue: URL prefixes of the platform's own media storage that "
        "previews may fetch from (e.g. https://media.internal.example.test/uploads/). "
        "Empty: no URL is accepted.",
    )
    review_media_networks: list[str] = Field(
        default_factory=list,
        description="Review queue: private networks (e.g. 10.20.0.0/16) the media storage's "
        "hosts may resolve to. Loopback is always allowed; any other private, link-local or "
        "reserved address is refused even under an allowed prefix.",
    )
    review_removal_hook_url: str = Field(
        "",
        description="Review queue: the platform's removal hook, POSTed {case, content_id} "
        "when a 'remove' action rule fires. Empty: the rule's effect says no hook is set.",
    )
    review_hook_timeout_seconds: float = Field(
        5, gt=0, description="Review queue: time limit of one call of the removal hook."
    )
    review_preview_max_bytes: int = Field(
        20 * 1_048_576, ge=1024, description="Review queue: largest media file a preview reads."
    )

    @field_validator("review_media_url_prefixes")
    @classmethod
    def _media_prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not prefix.startswith(("https://", "http://")) or prefix.count("/") < 3:
                raise ValueError(
                    f"{prefix!r} is not an http(s) URL prefix with a path (scheme://host/...)"
                )
        return value

    @field_validator("review_removal_hook_url")
    @classmethod
    def _hook_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("trusted_proxies", "member_storage_networks", "review_media_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an address or network") from None
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.mode is Mode.production and not self.secret_key.get_secret_value():
            raise ValueError(
                "ALLIANCE_SECRET_KEY must be set in production mode "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'alliance.db'}"

    def resolved_secret_key(self) -> str:
        """The configured secret key, or (outside production) the one kept in the data dir."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        if self.mode is Mode.production:  # pragma: no cover - the validator refuses this
            raise ConfigurationError("ALLIANCE_SECRET_KEY must be set in production mode")
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def resolved_geo_country_db(self) -> Path | None:
        if self.geo_country_db is not None:
            return self.geo_country_db
        default = self.data_dir / "hosting.mmdb"
        return default if default.exists() else None

    def resolved_geo_asn_db(self) -> Path | None:
        return self.geo_asn_db if self.geo_asn_db is not None else self.resolved_geo_country_db()

    def resolved_static_hosts_file(self) -> Path | None:
        if self.static_hosts_file is not None:
            return self.static_hosts_file
        default = self.data_dir / "hosts"
        return default if default.exists() else None

    def resolved_fetch_connect_override(self) -> str | None:
        if self.fetch_connect_override:
            if self.mode is Mode.production:
                raise ConfigurationError("ALLIANCE_FETCH_CONNECT_OVERRIDE is for demos only")
            return self.fetch_connect_override
        if self.mode is Mode.demo and (self.data_dir / "demo-sites.json").exists():
            return f"127.0.0.1:{self.demo_sites_port}"
        return None

    def resolved_fetch_allow_networks(self) -> list[str]:
        """The allow-list; the demo's stand-in web host on loopback is allowed in demo mode."""
        override = self.resolved_fetch_connect_override()
        if override and override.rsplit(":", 1)[0] in ("127.0.0.1", "localhost"):
            return [*self.fetch_allow_networks, "127.0.0.1/32"]
        return list(self.fetch_allow_networks)

    def resolved_member_store_dir(self) -> Path:
        return self.member_store_dir or self.data_dir / "banks"

    def resolved_review_media_root(self) -> Path | None:
        """The platform's media folder; the demo's generated pictures in demo mode."""
        if self.review_media_root is not None:
            return self.review_media_root
        default = self.data_dir / "review-media"
        return default if self.mode is Mode.demo and default.is_dir() else None

    def resolved_signing_key_file(self) -> Path:
        """The configured signing key file, or (outside production) the data dir's."""
        if self.signing_key_file is not None:
            return self.signing_key_file
        if self.mode is Mode.production:
            raise ConfigurationError(
                "ALLIANCE_SIGNING_KEY_FILE must be set in production mode "
                "(alliance keys signing-key --out FILE makes one)"
            )
        return self.data_dir / "signing_key.pem"

    def masked(self) -> dict[str, Any]:
        """The effective settings as a dict, secrets and database passwords masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else "(generated in data dir)"
            elif name == "database_url":
                value = _mask_url_password(self.effective_database_url)
            elif isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out


def _mask_url_password(url: str) -> str:
    parsed = make_url(url)
    return parsed.render_as_string(hide_password=True)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation problems into one clear ConfigurationError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
