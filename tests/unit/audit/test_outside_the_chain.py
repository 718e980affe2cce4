"""Every row of the events table is accounted for: events inserted outside the chain —
numbered 0 or below, after the head, twice, or not at all — are tampering however well
they are hashed, for the chain alone and against an exported anchor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from alliance.audit.anchors import (
    sign_head,
    stored,
    verify_and_sign,
    verify_chain,
)
from alliance.audit.models import AuditHead
from alliance.audit.services import GENESIS_HASH, TamperDetected, broken_message, verify
from alliance.db import create_db_engine
from tests.support.audit_forgery import (
    KEY,
    PLATFORM,
    add_events,
    export_anchors,
    forget_anchors,
    insert_event,
)
from tests.support.cli import Run


def _zero(session: Session) -> None:
    insert_event(session, 0)


def _negative(session: Session) -> None:
    insert_event(session, -1)


def _zero_and_negative(session: Session) -> None:  # the red team's reproduction
    insert_event(session, 0)
    insert_event(session, -1, prev_hash=GENESIS_HASH)


def _after_the_head(session: Session) -> None:  # follows event 5 as a real one would
    insert_event(session, 6)
    insert_event(session, 7)


def _far_after_the_head(session: Session) -> None:
    insert_event(session, 9, prev_hash=session.get_one(AuditHead, 1).hash)


FORGERIES: list[tuple[Callable[[Session], None], int, str]] = [
    (_zero, 0, "event 0 before event 1, where the chain starts: inserted outside the chain"),
    (_negative, -1, "event -1 before event 1"),
    (_zero_and_negative, -1, "events -1, 0 before event 1"),
    (_after_the_head, 6, "events 6 to 7 after the head (event 5): inserted beyond the chain"),
    (_far_after_the_head, 9, "event 9 after the head (event 5), with no event 6 before it"),
]
IDS = ["seq-0", "seq-negative", "seq-0-and-negative", "after-the-head", "far-after-the-head"]


@pytest.mark.parametrize(("forge", "broken_seq", "message"), FORGERIES, ids=IDS)
def test_an_event_outside_the_chain_fails_plain_verify(
    session: Session, forge: Callable[[Session], None], broken_seq: int, message: str
) -> None:
    add_events(session, 5)
    assert verify(session).ok
    forge(session)
    result = verify(session)
    assert not result.ok
    assert (result.broken_seq, result.head_seq) == (broken_seq, 5)
    assert message in (result.reason or "")
    assert broken_message(result).startswith(f"audit chain broken at event {broken_seq}: ")
    if broken_seq < 1:
        assert "intact" not in broken_message(result)
    else:  # the events before it were checked
        assert "(5 events before it are intact)" in broken_message(result)
    assert not verify_chain(session, KEY.public_key).ok


@pytest.mark.parametrize(("forge", "broken_seq", "message"), FORGERIES, ids=IDS)
def test_an_event_outside_the_chain_fails_against_an_exported_anchor(
    session: Session, forge: Callable[[Session], None], broken_seq: int, message: str
) -> None:
    add_events(session, 5)
    exported = export_anchors(session)
    forge(session)
    forget_anchors(session)
    result = verify_chain(session, KEY.public_key, given=exported, platform=PLATFORM)
    assert not result.ok
    assert result.broken_seq == broken_seq
    assert message in (result.reason or "")
    signed = verify_and_sign(session, KEY, PLATFORM, given=exported)
    assert not signed.ok and signed.anchored_seq is None
    assert stored(session) == []  # a chain with strays is not signed


@pytest.mark.parametrize(
    "forge", [_zero, _negative, _far_after_the_head], ids=["seq-0", "seq-negative", "far"]
)
def test_the_head_is_not_signed_over_events_outside_the_chain(
    session: Session, forge: Callable[[Session], None]
) -> None:
    """The worker's signing walks only from the newest stored anchor: it still sees them."""
    add_events(session, 5)
    sign_head(session, KEY, PLATFORM)
    forge(session)
    add_events(session, 1)  # event 6, a real one
    with pytest.raises(TamperDetected, match="the head was not signed"):
        sign_head(session, KEY, PLATFORM)
    assert [a.seq for a in stored(session)] == [5]


def test_a_clean_chain_still_passes_with_and_without_anchors(session: Session) -> None:
    add_events(session, 5)
    exported = export_anchors(session)
    add_events(session, 2)
    result = verify(session, batch=2)  # batch boundaries everywhere
    assert result.ok and (result.checked, result.head_seq) == (7, 7)
    result = verify_and_sign(session, KEY, PLATFORM, given=exported)
    assert result.ok, result.reason
    assert (result.checked, result.anchored_seq) == (7, 7)


@pytest.fixture
def without_constraints(session: Session, backend: str) -> Session:
    """The table as someone who can also alter it leaves it (PostgreSQL: DDL is rolled
    back with the test's transaction)."""
    if backend != "postgresql":
        pytest.skip("altering constraints inside the test's transaction needs PostgreSQL")
    session.execute(text("ALTER TABLE audit_events DROP CONSTRAINT uq_audit_events_seq"))
    session.execute(text("ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL"))
    return session


@pytest.mark.parametrize("batch", [5000, 2], ids=["mid-batch", "at-batch-boundary"])
def test_a_duplicated_event_is_tampering(without_constraints: Session, batch: int) -> None:
    session = without_constraints
    add_events(session, 5)
    before = session.execute(text("SELECT hash FROM audit_events WHERE seq = 1")).scalar_one()
    insert_event(session, 2, prev_hash=before)
    result = verify(session, batch=batch)
    assert not result.ok
    assert result.broken_seq == 2
    assert "event 2 more than once: inserted" in (result.reason or "")
    assert "(1 events before it are intact)" in broken_message(result)


def test_an_unnumbered_event_is_tampering(without_constraints: Session) -> None:
    session = without_constraints
    add_events(session, 3)
    row = insert_event(session, 99)
    session.execute(text("UPDATE audit_events SET seq = NULL WHERE id = :id"), {"id": row.id})
    session.expire_all()
    result = verify(session)
    assert not result.ok and result.broken_seq is None
    assert "an event without a sequence number" in (result.reason or "")
    assert broken_message(result).startswith("audit chain broken: an event without")


def test_the_cli_exits_1_for_events_inserted_outside_the_chain(
    run: Run, tmp_path: Path, fresh_db_url: str
) -> None:
    """The red team's reproduction: an exported anchor, then events 0 and -1 inserted."""
    for code, name in (("NL", "Netherlands"), ("GB", "United Kingdom"), ("SE", "Sweden")):
        assert run("jurisdictions", "add", code, name).code == 0
    out = tmp_path / "anchors.jsonl"
    assert run("audit", "anchor", "export", "--out", str(out)).code == 0
    assert run("audit", "verify", "--anchor", str(out)).code == 0
    engine = create_db_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        _zero_and_negative(session)
        forget_anchors(session)
    engine.dispose()
    for args in (("--anchor", str(out)), ()):
        broken = run("audit", "verify", *args)
        assert broken.code == 1, broken.out
        assert "audit chain broken at event -1: events -1, 0 before event 1" in broken.err
        assert "audit chain intact" not in broken.out
    listed = run("audit", "list", "--format", "json")
    assert listed.code == 0  # still listed: the evidence stays visible to verify
