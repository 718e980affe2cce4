"""The item lifecycle: every allowed stage change, every refused one, and that nothing
outside :mod:`alliance.takedown.lifecycle` changes a stage."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.audit.services import SYSTEM
from alliance.db.base import utcnow
from alliance.errors import Conflict
from alliance.takedown import intake, lifecycle
from alliance.takedown.lifecycle import TRANSITIONS, transition
from alliance.takedown.models import (
    OPEN_STAGES,
    ActionStatus,
    ContentItem,
    EventKind,
    ItemEvent,
    ItemStage,
    ScheduledAction,
)
from alliance.takedown.schemas import ReportIn

ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
REFUSED = [(a, b) for a in ItemStage for b in ItemStage if b not in TRANSITIONS[a]]
URL = "http://photos.example.test/lifecycle/a.png"


def _item(session: Session, stage: ItemStage) -> ContentItem:
    """A reported item (with its due resolve action), put at ``stage`` for the test."""
    [receipt] = intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=[URL])])
    item = session.execute(
        select(ContentItem).where(ContentItem.reference == receipt.items[0].item)
    ).scalar_one()
    item.stage = stage
    session.flush()
    return item


def _events(session: Session, item: ContentItem) -> list[EventKind]:
    session.flush()
    query = select(ItemEvent.kind).where(ItemEvent.item_id == item.id).order_by(ItemEvent.id)
    return list(session.execute(query).scalars())


def _due(session: Session, item: ContentItem) -> int:
    session.flush()
    query = select(ScheduledAction).where(
        ScheduledAction.item_id == item.id, ScheduledAction.status == ActionStatus.due
    )
    return len(list(session.execute(query).scalars()))


def test_the_table_names_every_stage_and_only_open_items_move() -> None:
    assert set(TRANSITIONS) == set(ItemStage)
    for stage, targets in TRANSITIONS.items():
        assert stage not in targets  # staying is not a transition
        assert bool(targets) == (stage in OPEN_STAGES)  # removed and closed are final
        if stage in OPEN_STAGES:
            assert ItemStage.closed in targets  # an assessment may close any open item


@pytest.mark.parametrize(("start", "to"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_an_allowed_transition_moves_the_item_and_writes_its_event(
    session: Session, start: ItemStage, to: ItemStage
) -> None:
    item = _item(session, start)
    at = utcnow() - timedelta(minutes=5)
    transition(session, item, to, SYSTEM, EventKind.assessed, {"why": "test"}, at=at)
    assert item.stage is to
    assert _events(session, item)[-1] is EventKind.assessed
    event = (
        session.execute(
            select(ItemEvent).where(ItemEvent.item_id == item.id).order_by(ItemEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.details == {"why": "test"} and event.actor == "system"
    if to in OPEN_STAGES:
        assert item.open_url == URL and _due(session, item) == 1
        assert item.closed_at is None and item.removed_at is None
    else:
        # Closing frees the URL for a new report and cancels every due action.
        assert item.open_url is None and _due(session, item) == 0
        stamped = item.removed_at if to is ItemStage.removed else item.closed_at
        assert stamped == at


@pytest.mark.parametrize(("start", "to"), REFUSED[:1] + REFUSED[-1:])
def test_a_refused_transition_changes_nothing(
    session: Session, start: ItemStage, to: ItemStage
) -> None:
    item = _item(session, start)
    before = _events(session, item)
    with pytest.raises(Conflict, match=f"is {start.value}; it cannot become {to.value}"):
        transition(session, item, to, SYSTEM, EventKind.removed)
    assert item.stage is start and _events(session, item) == before
    assert item.open_url == URL and _due(session, item) == 1


def test_every_pair_outside_the_table_is_refused(session: Session) -> None:
    item = _item(session, ItemStage.received)
    assert len(REFUSED) + len(ALLOWED) == len(ItemStage) ** 2
    for start, to in REFUSED:
        item.stage = start
        with pytest.raises(Conflict):
            transition(session, item, to, SYSTEM, EventKind.assessed)
        assert item.stage is start


def test_only_the_lifecycle_assigns_an_item_stage() -> None:
    """Every live change of stage goes through transition(); the demo alone writes
    finished, backdated histories directly."""
    src = Path(lifecycle.__file__).parents[1]
    assigning = re.compile(r"\.stage\s*=[^=]")
    found = [
        f"{path.relative_to(src)}:{n}"
        for path in sorted(src.rglob("*.py"))
        if path != Path(lifecycle.__file__) and "demo" not in path.relative_to(src).parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if assigning.search(line)
    ]
    assert found == []


def _stage(item: ContentItem) -> ItemStage:
    """The item's stage now (read through a call, so that mypy does not keep an earlier
    narrowing across the lifecycle's changes)."""
    return item.stage


def test_a_step_that_stays_writes_its_event_and_one_that_moves_transitions(
    session: Session,
) -> None:
    item = _item(session, ItemStage.notified)
    lifecycle.record_step(session, item, None, SYSTEM, EventKind.notice_sent, {"sequence": 2})
    assert (
        _stage(item) is ItemStage.notified and _events(session, item)[-1] is EventKind.notice_sent
    )
    lifecycle.record_step(session, item, ItemStage.removed, SYSTEM, EventKind.removed)
    assert _stage(item) is ItemStage.removed and _events(session, item)[-1] is EventKind.removed
    assert item.open_url is None and _due(session, item) == 0
    with pytest.raises(Conflict):  # the table still decides
        lifecycle.record_step(session, item, ItemStage.notified, SYSTEM, EventKind.notice_sent)
