"""What the web app needs at run time, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker
from starlette.templating import Jinja2Templates

from alliance.accounts.models import ApiKey, Organisation
from alliance.accounts.services import USE_NOTED_EVERY, LoginLimits
from alliance.banks.entry_cards import EntryCards
from alliance.banks.match_events import MatchEventWriter
from alliance.banks.models import Bank
from alliance.banks.signing import Signer
from alliance.cooperation.models import WatchedTarget
from alliance.member.deployment import MemberDeployment
from alliance.member.destinations import Destinations
from alliance.settings import Settings
from alliance.web.bookkeeping import RefusalAudit, Throttle
from alliance.web.recent_banks import RecentBanks
from alliance.web.recent_keys import RecentKeys
from alliance.web.recent_watches import RecentWatches

_WATCH_REGISTERED = "alliance_watch_registered"  # session info: a target was flushed


def _no_demo_urls() -> list[str]:
    return []


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secret_key: str
    templates: Jinja2Templates
    signer: Signer
    # The demo's pages that the public report form lists to try. `alliance serve` sets it
    # when it runs the demo's websites; the web app itself knows nothing of the demo.
    demo_urls: Callable[[], list[str]] = _no_demo_urls
    #: Member mode (`alliance serve --member`): the synced banks, their sync thread (run
    #: during the app's lifespan) and the storage fetcher; None on the hub.
    member: MemberDeployment | None = None
    #: Refusals audited in summary, keys and web sessions whose last use this process
    #: noted lately (alliance.web.bookkeeping).
    refusals: RefusalAudit = field(init=False)
    key_use: Throttle = field(default_factory=lambda: Throttle(USE_NOTED_EVERY.total_seconds()))
    session_use: Throttle = field(default_factory=lambda: Throttle(300))
    #: API keys accepted within the last second (alliance.web.recent_keys).
    recent_keys: RecentKeys = field(default_factory=RecentKeys)
    #: Every bank's row as read within the last half second (alliance.web.recent_banks).
    recent_banks: RecentBanks = field(default_factory=RecentBanks)
    #: Every hash a deconfliction target watches, checked within the last half second
    #: (alliance.web.recent_watches).
    recent_watches: RecentWatches = field(default_factory=RecentWatches)
    #: What match answers say of the entries met lately (alliance.banks.entry_cards).
    entry_cards: EntryCards = field(default_factory=EntryCards)
    #: This process's match events, written in batches off the request path; its thread
    #: runs during the app's lifespan (alliance.banks.match_events).
    match_events: MatchEventWriter = field(init=False)

    def __post_init__(self) -> None:
        self.refusals = RefusalAudit(self.sessions)
        self.match_events = MatchEventWriter(
            self.sessions, interval=self.settings.match_events_seconds
        )
        self.match_events.attach()

        def flushed(session: Session, _context: object) -> None:
            # A key revoked or changed (or its organisation) through this process is
            # refused at once; other processes read it again within recent_keys' second.
            changed = (*session.dirty, *session.deleted)
            if any(isinstance(o, ApiKey | Organisation) for o in changed):
                self.recent_keys.clear()
            # A bank changed here (its entries, its subscribers) is read again at once.
            if any(isinstance(o, Bank | Organisation) for o in (*changed, *session.new)):
                self.recent_banks.clear()
            if any(isinstance(o, Organisation) for o in changed):
                self.entry_cards.clear()  # a contributor renamed
            if any(isinstance(o, WatchedTarget) for o in session.new):
                session.info[_WATCH_REGISTERED] = True

        def committed(session: Session) -> None:
            # A hash target registered here is watched from its commit on. (Targets
            # ended, by bulk updates, are seen within the half second: until then they
            # only cost their hash's matches the slower lane.)
            if session.info.pop(_WATCH_REGISTERED, False):
                self.recent_watches.clear()

        event.listen(self.sessions, "after_flush", flushed)
        event.listen(self.sessions, "after_commit", committed)

    @property
    def destinations(self) -> Destinations:
        """Where a confirmed case's reports go (the police's through the member's hub)."""
        return Destinations(self.settings, self.member.profile if self.member else None)

    @property
    def login_limits(self) -> LoginLimits:
        s = self.settings
        return LoginLimits(
            window=timedelta(minutes=s.login_window_minutes),
            per_account=s.login_max_failures_per_account,
            per_address=s.login_max_failures_per_address,
        )


def app_state(request: Request) -> AppState:
    state = request.app.state.alliance
    assert isinstance(state, AppState)
    return state


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwarded
    (ALLIANCE_TRUSTED_PROXIES; see alliance.web.app.create_app)."""
    return request.client.host if request.client else "unknown"
