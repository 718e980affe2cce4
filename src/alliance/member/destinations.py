"""Where a confirmed case's reports go, from the settings: NCMEC's CyberTipline, the EU's
DSA Transparency Database, and the police through the alliance's hub.

Nothing has a default address: a report whose destination is not configured is refused
with the settings to set (:class:`NotConfigured`: 503 in the API), and the case page says
so instead of offering the button. The police's report goes to the hub of the member profile
(``ALLIANCE_MEMBER_HUB_URL`` with the key of ``ALLIANCE_MEMBER_API_KEY_FILE``); a platform
that reviews on the hub itself (no member profile) files it with the hub's own services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.policy import Principal
from alliance.errors import ConfigurationError, NotConfigured
from alliance.industry import client as industry_client
from alliance.member.police import HubInProcess, PoliceChannel
from alliance.member.profile import MemberProfile
from alliance.platforms.cybertipline.client import CyberTipline, Retry, make_http_client
from alliance.platforms.dsa.client import TransparencyDatabase
from alliance.settings import Settings

#: The first wait between two tries of a step (doubled each time), for every destination.
BACKOFF_SECONDS = 1.0
#: Tries of one step before a run stops (the progress kept, to resume).
TRIES = 4


@dataclass(frozen=True)
class Destinations:
    settings: Settings
    #: The member profile (member mode), whose hub the police's reports go through.
    member: MemberProfile | None = None

    # What is missing, for the page -------------------------------------------------------

    def cybertipline_missing(self) -> str | None:
        s = self.settings
        if not s.cybertipline_url or not s.cybertipline_username:
            return (
                "set ALLIANCE_CYBERTIPLINE_URL, ALLIANCE_CYBERTIPLINE_USERNAME and "
                "ALLIANCE_CYBERTIPLINE_PASSWORD (NCMEC's test address first)"
            )
        names = (
            s.cybertipline_reporter_first_name,
            s.cybertipline_reporter_last_name,
            s.cybertipline_reporter_email,
        )
        if not all(n.strip() for n in names):
            return (
                "set ALLIANCE_CYBERTIPLINE_REPORTER_FIRST_NAME, _LAST_NAME and _EMAIL (the "
                "person NCMEC and the police may reach about a report)"
            )
        return None

    def dsa_missing(self) -> str | None:
        s = self.settings
        if not s.dsa_url or s.dsa_token_file is None:
            return "set ALLIANCE_DSA_URL and ALLIANCE_DSA_TOKEN_FILE (the database's sandbox first)"
        if not s.dsa_complaint.strip():
            return (
                "set ALLIANCE_DSA_COMPLAINT (how a user contests a removal with you: the "
                "statement of reasons they read says it)"
            )
        return None

    @property
    def police_through(self) -> str:
        return self.member.hub_url if self.member is not None else "this server (the hub)"

    # The clients -------------------------------------------------------------------------

    @contextmanager
    def cybertipline(self) -> Iterator[CyberTipline]:
        """The CyberTipline client, for the ``with`` block."""
        missing = self.cybertipline_missing()
        if missing:
            raise NotConfigured(f"the CyberTipline is not configured: {missing}")
        s = self.settings
        http = make_http_client(
            s.cybertipline_url,
            s.cybertipline_username,
            s.cybertipline_password.get_secret_value(),
            timeout=s.cybertipline_timeout_seconds,
        )
        with http:
            yield CyberTipline(http, retry=Retry(attempts=TRIES, backoff_seconds=BACKOFF_SECONDS))

    @contextmanager
    def dsa(self) -> Iterator[TransparencyDatabase]:
        """The Transparency Database client, for the ``with`` block."""
        missing = self.dsa_missing()
        if missing:
            raise NotConfigured(f"the DSA Transparency Database is not configured: {missing}")
        path = self.settings.dsa_token_file
        assert path is not None  # dsa_missing
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NotConfigured(
                f"ALLIANCE_DSA_TOKEN_FILE: {path} cannot be read ({exc.strerror})"
            ) from None
        try:
            database = TransparencyDatabase(
                self.settings.dsa_url, token, tries=TRIES, backoff=BACKOFF_SECONDS
            )
        except ConfigurationError as exc:  # an empty token, a URL that is not http(s)
            raise NotConfigured(f"the DSA Transparency Database: {exc.message}") from None
        with database:
            yield database

    @contextmanager
    def police(
        self, sessions: sessionmaker[Session], principal: Principal
    ) -> Iterator[PoliceChannel]:
        """The hub's industry reports: over its API in member mode, else this server's."""
        if self.member is None:
            yield HubInProcess(sessions, principal, self.settings)
            return
        reports = industry_client.connect(self.member.hub_url, self.member.api_key)
        reports.backoff = BACKOFF_SECONDS
        reports.attempts = TRIES
        with reports.client:
            yield reports
