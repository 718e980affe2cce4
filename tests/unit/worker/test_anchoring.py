"""The worker signs the audit chain's head at the configured interval."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import SYSTEM, EventType, record
from alliance.audit.models import AuditAnchor
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.db.session import transaction
from alliance.settings import load_settings
from alliance.signing import Signer
from alliance.worker.runner import Worker, toolkit_from_settings

KEY = Signer.generate()


def _event(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        record(session, SYSTEM, EventType.ORG_UPDATED, "organisation", 1)


def _anchors(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.execute(select(func.count()).select_from(AuditAnchor)).scalar_one()


def test_anchor_if_due_signs_at_the_interval(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tools = toolkit_from_settings(load_settings(data_dir=tmp_path, audit_anchor_minutes=60))
    _event(sessions)
    _event(sessions)
    assert Worker(sessions, tools).anchor_if_due() is None  # no key: no anchoring
    worker = Worker(sessions, tools, signer=KEY)
    assert worker.anchor_if_due() == 2
    _event(sessions)
    assert worker.anchor_if_due() is None  # the newest anchor is not an hour old
    assert _anchors(sessions) == 1


def test_the_polling_loop_anchors(fresh_db_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    _event(sessions)
    tools = toolkit_from_settings(load_settings(data_dir=tmp_path))
    stop = threading.Event()
    thread = threading.Thread(
        target=Worker(sessions, tools, signer=KEY).run_forever, args=(stop, 0.05), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30  # a liveness bound, not a timing assertion
    while _anchors(sessions) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=30)
    assert _anchors(sessions) == 1
    engine.dispose()
