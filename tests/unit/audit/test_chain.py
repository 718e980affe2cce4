"""The audit chain detects editing, deleting, reordering and forging events."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from alliance.audit import SYSTEM, EventType, record
from alliance.audit.models import AuditEvent
from alliance.audit.services import GENESIS_HASH, AuditFilter, details_of, list_events, verify


def _events(session: Session, n: int = 5) -> list[AuditEvent]:
    return [
        record(session, SYSTEM, EventType.ORG_CREATED, "organisation", i, {"n": i, "name": "ü"})
        for i in range(1, n + 1)
    ]


def test_empty_log_verifies(session: Session) -> None:
    result = verify(session)
    assert result.ok and result.checked == 0


def test_events_are_chained(session: Session) -> None:
    events = _events(session)
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    result = verify(session)
    assert result.ok and result.checked == 5 and result.head_seq == 5


def test_details_round_trip_and_filters(session: Session) -> None:
    _events(session, 3)
    record(
        session, SYSTEM, EventType.USER_CREATED, "user", 7, {"username": "x"}, organisation_id=42
    )
    assert [e.subject_id for e in list_events(session, AuditFilter(event_type="user:"))] == ["7"]
    assert len(list_events(session, AuditFilter(organisation_id=42))) == 1
    assert len(list_events(session, AuditFilter(subject_type="organisation", subject_id="2"))) == 1
    assert len(list_events(session, AuditFilter(actor="system"))) == 4
    newest = list_events(session, AuditFilter(), limit=1)[0]
    assert details_of(newest) == {"username": "x"}


@pytest.mark.parametrize(
    ("statement", "broken_seq"),
    [
        ("UPDATE audit_events SET details = '[99]' WHERE seq = 3", 3),
        ("UPDATE audit_events SET actor = 'user:mallory' WHERE seq = 2", 2),
        ("UPDATE audit_events SET event_type = 'org:updated' WHERE seq = 5", 5),
        ("DELETE FROM audit_events WHERE seq = 2", 2),
        ("DELETE FROM audit_events WHERE seq = 1", 1),
        ("DELETE FROM audit_events WHERE seq = 5", 5),
    ],
    ids=[
        "edit-details",
        "edit-actor",
        "edit-newest",
        "delete-middle",
        "delete-first",
        "delete-newest",
    ],
)
def test_tampering_is_detected(session: Session, statement: str, broken_seq: int) -> None:
    _events(session)
    session.execute(text(statement))
    session.expire_all()
    result = verify(session)
    assert not result.ok
    assert result.broken_seq == broken_seq
    assert result.reason


def test_reordering_is_detected(session: Session) -> None:
    _events(session)
    # Swap the positions of events 2 and 4 (via a free sequence number).
    session.execute(text("UPDATE audit_events SET seq = 1000 WHERE seq = 2"))
    session.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 4"))
    session.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = 1000"))
    session.expire_all()
    result = verify(session)
    assert not result.ok and result.broken_seq == 2


def test_rewriting_the_tail_consistently_is_detected_by_the_head(session: Session) -> None:
    events = _events(session)
    # A forger who recomputes the last event's hash still disagrees with the head.
    from alliance.audit.services import event_hash

    last = events[-1]
    last.details = "[0]"
    last.hash = event_hash(last)
    session.flush()
    result = verify(session)
    assert not result.ok and result.broken_seq == 6


def test_naive_datetime_is_refused(session: Session) -> None:
    from datetime import datetime

    event = _events(session, 1)[0]
    event.occurred_at = datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
