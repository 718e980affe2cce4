"""The worker loop: claim due actions, perform each, repeat.

Run as many ``alliance worker`` processes as PostgreSQL needs (claims skip rows another
worker has locked); on SQLite run one (``alliance serve`` runs one in a thread in the demo).

Given the platform's signing key, the polling loop also signs the audit chain's head every
``ALLIANCE_AUDIT_ANCHOR_MINUTES`` (:mod:`alliance.audit.anchors`).

The URL list for blocking follows takedown (:mod:`alliance.blocklists.urls`): after each
round that performed actions (a re-check that found a page removed closes its item) and
once a minute (assessments are made on the pages and the API), the worker brings the list
in line, so a removed page leaves it in the next delta. Takedown knows nothing of the list.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import anchors
from alliance.audit.services import TamperDetected
from alliance.blocklists import urls as blocklist_urls
from alliance.db.session import transaction
from alliance.hosting.addresses import parse_networks
from alliance.hosting.connect import PinnedConnector
from alliance.hosting.fetch import SafeFetcher
from alliance.hosting.geo import GeoDatabase
from alliance.hosting.resolver import resolver_from_settings
from alliance.settings import Settings
from alliance.signing import Signer
from alliance.takedown import schedule
from alliance.takedown.actions import Outcome, Toolkit, perform, perform_notices, retry_later
from alliance.takedown.models import ActionKind, NoticeChannel
from alliance.takedown.notices import NoticeSender, sender_for

log = logging.getLogger(__name__)

ANCHOR_LOOK_SECONDS = 60.0  # how often the polling loop asks whether an anchor is due
LIST_REFRESH_SECONDS = 60.0  # how often the polling loop brings the URL list in line


def toolkit_from_settings(settings: Settings) -> Toolkit:
    resolver = resolver_from_settings(settings)
    allow = parse_networks(settings.resolved_fetch_allow_networks())
    fetcher = SafeFetcher(
        resolver,
        allow=allow,
        max_bytes=settings.fetch_max_bytes,
        timeout=settings.fetch_timeout_seconds,
        connect_override=settings.resolved_fetch_connect_override(),
    )
    # Webhooks connect like re-checks (checked address, same allow-list), but always to
    # the provider's own address: the demo's stand-in web host is for re-checks only.
    webhooks = PinnedConnector(resolver, allow=allow, timeout=settings.fetch_timeout_seconds)

    kept: dict[NoticeChannel, NoticeSender] = {}  # one SMTP connection kept open

    def senders(channel: NoticeChannel) -> NoticeSender:
        if channel not in kept:
            kept[channel] = sender_for(channel.value, settings, webhooks)
        return kept[channel]

    return Toolkit(
        settings=settings,
        resolver=resolver,
        geo=GeoDatabase.from_settings(settings),
        fetcher=fetcher,
        sender_for=senders,
    )


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        tools: Toolkit,
        *,
        name: str | None = None,
        batch: int = 50,
        signer: Signer | None = None,
    ) -> None:
        self.sessions = sessions
        self.tools = tools
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.batch = batch
        self.signer = signer

    def run_once(self, limit: int | None = None) -> list[Outcome]:
        """Claim what is due now and perform it; the outcomes, in the order claimed.

        The claimed notices go together (a few statements for the batch, not a dozen a
        notice: :func:`~alliance.takedown.actions.perform_notices`), then the other
        actions one by one."""
        with transaction(self.sessions) as session:
            claimed = [
                (a.id, a.kind) for a in schedule.claim_due(session, self.name, limit or self.batch)
            ]
        done: dict[int, Outcome] = {}
        notices = [action_id for action_id, kind in claimed if kind is ActionKind.notice]
        if notices:
            try:
                sent = perform_notices(self.sessions, self.tools, notices, self.name)
            except Exception as exc:  # it retries its own failures; this is a last resort
                log.exception("notice batch failed")
                sent = [self._failed(a, ActionKind.notice, exc) for a in notices]
            done |= {outcome.action_id: outcome for outcome in sent}
        for action_id, kind in claimed:
            if kind is ActionKind.notice:
                continue
            try:
                done[action_id] = perform(self.sessions, self.tools, action_id, kind, self.name)
            except Exception as exc:  # one bad action must not stop the others
                log.exception("action %s (%s) failed", action_id, kind)
                done[action_id] = self._failed(action_id, kind, exc)
        return [done[action_id] for action_id, _ in claimed]

    def refresh_lists(self) -> blocklist_urls.Refreshed | None:
        """List confirmed live pages and delist removed ones (None if it failed: logged,
        and the next round tries again)."""
        try:
            with transaction(self.sessions) as session:
                return blocklist_urls.refresh(session)
        except Exception:
            log.exception("the URL list was not refreshed")
            return None

    def _failed(self, action_id: int, kind: ActionKind, exc: Exception) -> Outcome:
        retry_later(self.sessions, [action_id], self.name, f"{type(exc).__name__}: {exc}")
        return Outcome(action_id, kind, f"error: {type(exc).__name__}")

    def run_until_idle(self, max_rounds: int = 1000) -> list[Outcome]:
        """Perform everything due now, including what that makes due now (tests, CLI)."""
        outcomes: list[Outcome] = []
        for _ in range(max_rounds):
            done = self.run_once()
            if not done:
                break
            outcomes += done
        if outcomes:
            self.refresh_lists()
        return outcomes

    def anchor_if_due(self) -> int | None:
        """Sign the audit chain's head when the newest anchor is older than
        ``audit_anchor_minutes``; the sequence number signed, or None."""
        if self.signer is None:
            return None
        settings = self.tools.settings
        with transaction(self.sessions) as session:
            anchor = anchors.sign_head_if_due(
                session, self.signer, settings.platform_name, settings.audit_anchor_minutes
            )
            return anchor.seq if anchor is not None else None

    def _anchor_quietly(self) -> None:
        try:
            self.anchor_if_due()
        except TamperDetected as exc:  # not signed; `alliance audit verify` says more
            log.error("audit chain not anchored: %s", exc.message)
        except Exception:  # the database may be briefly away
            log.exception("audit anchoring failed")

    def run_forever(
        self,
        stop: threading.Event,
        poll_seconds: float,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        next_anchor_look = next_refresh = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_anchor_look:
                self._anchor_quietly()
                next_anchor_look = time.monotonic() + ANCHOR_LOOK_SECONDS
            if time.monotonic() >= next_refresh:  # assessments, holds ended, appeals
                self.refresh_lists()
                next_refresh = time.monotonic() + LIST_REFRESH_SECONDS
            try:
                outcomes = self.run_once()
            except Exception:  # the database may be briefly away; keep polling
                log.exception("worker round failed")
                outcomes = []
            if outcomes:  # a re-check may have found a page removed
                self.refresh_lists()
            for outcome in outcomes:
                if on_outcome is not None:
                    on_outcome(outcome)
            if not outcomes:
                stop.wait(poll_seconds)
