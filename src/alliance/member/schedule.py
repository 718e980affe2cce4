"""The member's synced banks, kept current by a background thread.

:class:`BankSchedule` syncs the banks the member subscribes to from the hub every
ALLIANCE_MEMBER_SYNC_MINUTES, each wait drawn within ± ALLIANCE_MEMBER_SYNC_JITTER of it
(so members do not all ask the hub at the same moment), one sync at a time. A sync is
:func:`alliance.banks.sync.sync`: it acts only on the hub's signed manifest, verifies every
document with the hub's pinned key before applying it, and never goes back to an older
copy. The matcher answers from a store loaded whole and swapped in after the sync
(:class:`alliance.banks.replica.Replica`), so a query never sees half a sync; a failed
sync leaves the last store answering, is logged and audited, and is tried again at the
next turn. :meth:`BankSchedule.stop` ends the thread (a graceful stop of the server).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType, record
from alliance.audit.services import SYSTEM
from alliance.banks.hub_client import make_client
from alliance.banks.local_store import LocalBankStore
from alliance.banks.replica import Health, Replica
from alliance.banks.sync import SyncReport, sync
from alliance.db.base import utcnow
from alliance.db.session import writing
from alliance.member.profile import MemberProfile

log = logging.getLogger(__name__)

#: Makes the HTTP client a sync talks to the hub through (tests: one served in-process).
Connect = Callable[[], httpx.Client]


class BankSchedule:
    """The synced banks one member server answers from, and their sync thread."""

    def __init__(
        self,
        profile: MemberProfile,
        sessions: sessionmaker[Session],
        *,
        max_manifest_age: timedelta,
        connect: Connect | None = None,
    ) -> None:
        self.profile = profile
        self._sessions = sessions
        self._max_age = max_manifest_age
        self._connect = connect or (lambda: make_client(profile.hub_url, profile.api_key))
        self.replica = Replica(
            profile.store_dir, self._sync, interval=profile.sync_seconds, jitter=profile.sync_jitter
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def store(self) -> LocalBankStore:
        """The store answering now (a sync swaps in a new one whole)."""
        return self.replica.store

    @property
    def health(self) -> Health:
        return self.replica.health

    def _sync(self, store: LocalBankStore) -> SyncReport:
        with self._connect() as client:
            return sync(
                client,
                store,
                server=self.profile.hub_url,
                public_key_pem=self.profile.hub_public_key_pem,
                member=self.profile.organisation,
                max_manifest_age=self._max_age,
                only=self.profile.banks,
            )

    def run_once(self) -> SyncReport:
        """One sync now (waiting for one under way), audited; its error raised."""
        try:
            report = self.replica.refresh()
        except Exception as exc:
            with writing(self._sessions) as session:
                record(
                    session,
                    SYSTEM,
                    EventType.MEMBER_SYNC_FAILED,
                    "member_sync",
                    self.profile.hub_url,
                    {"error": f"{type(exc).__name__}: {exc}"[:1000]},
                )
            raise
        if report.applied or report.dropped:
            with writing(self._sessions) as session:
                record(
                    session,
                    SYSTEM,
                    EventType.MEMBER_SYNC_APPLIED,
                    "member_sync",
                    self.profile.hub_url,
                    {
                        "applied": {r.bank: r.checkpoint for r in report.applied},
                        "dropped": report.dropped,
                        "not_granted": report.not_granted,
                    },
                )
        if report.not_granted:
            log.warning(
                "the hub does not grant this member: %s (ALLIANCE_MEMBER_BANKS)",
                ", ".join(report.not_granted),
            )
        return report

    def start(self) -> None:
        """Sync on schedule in a background thread (the first time: :meth:`first_wait`),
        until :meth:`stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="member-sync", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """End the thread (a sync under way finishes first: it is never half-applied)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def first_wait(self) -> float:
        """Seconds before the first sync: at once when the copy is older than a turn (or
        there is none), else the rest of the turn, so a restart does not ask the hub again."""
        issued = self.replica.store.state.get("manifest_issued_at")
        if issued is None:
            return 0.0
        age = (utcnow() - datetime.fromisoformat(issued)).total_seconds()
        return max(0.0, min(self.replica.next_wait() - age, self.profile.sync_seconds))

    def _run(self) -> None:
        wait = self.first_wait()
        while not self._stop.wait(wait):
            try:
                self.run_once()
            except Exception as exc:  # answered from the last store; tried next turn
                log.warning("member sync failed; answering from the last copy: %s", exc)
            wait = self.replica.next_wait()
