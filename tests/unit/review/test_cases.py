"""Opening cases from matches: one case per content while undecided, rules fired and their
effects recorded, bad references refused with nothing written, counts kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.db.listing import Listing
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.review import cases, rules
from alliance.review.models import Case, CaseStatus, EffectOutcome, RuleAction
from alliance.review.schemas import ContentRef, RuleChangeIn, RuleIn
from alliance.settings import Settings
from tests.unit.review.conftest import Platform, content, match


def _events(session: Session, kind: EventType) -> int:
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type == kind)
    return int(session.execute(stmt).scalar_one())


def _cases(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


def test_a_case_opens_from_matches_and_a_second_match_adds_to_it(
    session: Session, platform: Platform, settings: Settings
) -> None:
    case = cases.open_case(
        session, platform.reviewer, content(), [match(distance=9)], settings=settings
    )
    assert case.status is CaseStatus.open and case.reference.startswith("RC-")
    assert (case.match_count, case.best_distance) == (1, 9)
    again = cases.open_case(
        session,
        platform.reviewer,
        content(),
        [match(distance=9), match("iwf", 7, distance=2)],
        settings=settings,
    )
    assert again.id == case.id and _cases(session) == 1
    assert [(m.bank, m.entry_id) for m in case.matches] == [("baseline-nl", 1), ("iwf", 7)]
    assert (case.match_count, case.best_distance) == (2, 2)
    assert _events(session, EventType.CASE_OPENED) == 1
    assert _events(session, EventType.CASE_MATCH_ADDED) == 2
    # Another platform's upload of the same id is its own case.
    other = cases.open_case(session, platform.outsider, content(), [match()], settings=settings)
    assert other.id != case.id
    assert cases.status_counts(session, platform.reviewer)[CaseStatus.open] == 1


def test_bad_media_references_are_refused_and_nothing_written(
    session: Session, platform: Platform, settings: Settings
) -> None:
    events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    for ref, field in [
        (ContentRef(content_id="c", media_path="../etc/passwd"), "media_path"),
        (ContentRef(content_id="c", media_path="/etc/passwd"), "media_path"),
        (ContentRef(content_id="c", media_url="http://203.0.113.9/x.png"), "media_url"),
        (ContentRef(content_id="c", media_url="http://127.0.0.1:1/media/../x.png"), "media_url"),
        (ContentRef(content_id="c", media_url="http://127.0.0.1:1/media/%2E%2E/x"), "media_url"),
        (ContentRef(content_id="c", media_url="http://127.0.0.1:1/media/a%2fb.png"), "media_url"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            cases.open_case(session, platform.reviewer, ref, [match()], settings=settings)
        assert refused.value.field == field
    with pytest.raises(InvalidInput, match="at least one match"):
        cases.open_case(session, platform.reviewer, content(), [], settings=settings)
    with pytest.raises(PermissionDenied):
        cases.open_case(session, platform.viewer, content(), [match()], settings=settings)
    assert _cases(session) == 0
    assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events


class _Hook(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, object]]] = []
    status = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).calls.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.calls, _Hook.status = [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/remove"
    server.shutdown()
    server.server_close()


def test_rules_fire_once_per_case_and_their_effects_are_recorded(
    session: Session, platform: Platform, settings: Settings, hook: str
) -> None:
    remove = rules.add_rule(
        session,
        platform.admin,
        RuleIn(bank="baseline-nl", max_distance=10, action=RuleAction.remove),
    )
    report = rules.add_rule(
        session, platform.admin, RuleIn(bank="*", max_distance=2, action=RuleAction.report)
    )
    far = rules.add_rule(
        session, platform.admin, RuleIn(bank="iwf", max_distance=1, action=RuleAction.queue)
    )
    with pytest.raises(PermissionDenied):
        rules.add_rule(
            session, platform.reviewer, RuleIn(bank="iwf", max_distance=1, action=RuleAction.queue)
        )
    hooked = settings.model_copy(update={"review_removal_hook_url": hook})
    case = cases.open_case(
        session, platform.reviewer, content(), [match(distance=6), match("iwf", 2, distance=5)],
        settings=hooked,
    )  # fmt: skip
    assert [(e.rule_id, e.outcome) for e in case.effects] == [(remove.id, EffectOutcome.removed)]
    assert _Hook.calls == [
        {"case": case.reference, "content_id": "upload-1", "bank": "baseline-nl", "entry_id": 1,
         "distance": 6}
    ]  # fmt: skip
    # A nearer match of the same content: the report rule fires; remove does not again.
    cases.open_case(
        session, platform.reviewer, content(), [match("iwf", 3, distance=1)], settings=hooked
    )
    assert [(e.rule_id, e.outcome) for e in case.effects] == [
        (remove.id, EffectOutcome.removed),
        (report.id, EffectOutcome.report_due),
        (far.id, EffectOutcome.queued),
    ]
    assert len(_Hook.calls) == 1
    assert _events(session, EventType.CASE_RULE_APPLIED) == 3


def test_remove_without_a_hook_or_with_a_failing_hook_says_so(
    session: Session, platform: Platform, settings: Settings, hook: str
) -> None:
    rule = rules.add_rule(
        session,
        platform.admin,
        RuleIn(bank="baseline-nl", max_distance=31, action=RuleAction.remove),
    )
    first = cases.open_case(session, platform.reviewer, content("a"), [match()], settings=settings)
    assert first.effects[0].outcome is EffectOutcome.no_hook
    assert "no removal hook" in first.effects[0].detail
    _Hook.status = 500
    failing = settings.model_copy(update={"review_removal_hook_url": hook})
    second = cases.open_case(session, platform.reviewer, content("b"), [match()], settings=failing)
    assert (second.effects[0].outcome, second.effects[0].detail) == (
        EffectOutcome.hook_failed,
        "the removal hook answered 500",
    )
    # A disabled rule fires no more.
    rules.change_rule(session, platform.admin, rule.id, RuleChangeIn(enabled=False))
    third = cases.open_case(session, platform.reviewer, content("c"), [match()], settings=settings)
    assert third.effects == []
    with pytest.raises(NotFound):
        rules.change_rule(session, platform.admin, 999999, RuleChangeIn(enabled=True))


def test_the_queue_lists_oldest_first_filters_and_counts(
    session: Session, platform: Platform, settings: Settings
) -> None:
    from datetime import timedelta

    from alliance.db.base import utcnow

    opened = [
        cases.open_case(
            session, platform.reviewer, content(f"c{i}"), [match(bank)], settings=settings
        )
        for i, bank in enumerate(["baseline-nl", "iwf", "baseline-nl"])
    ]
    opened[1].opened_at = utcnow() - timedelta(hours=settings.review_sla_hours + 1)
    session.flush()
    found, total, capped = cases.list_cases(
        session, platform.reviewer, Listing(), settings=settings
    )
    assert found[0].reference == opened[1].reference
    assert (total, capped) == (3, False)
    by_bank, total, _ = cases.list_cases(
        session,
        platform.reviewer,
        Listing(),
        cases.QueueFilter(bank="baseline-nl"),
        settings=settings,
    )
    assert {c.reference for c in by_bank} == {opened[0].reference, opened[2].reference}
    assert total == 2
    late, total, _ = cases.list_cases(
        session, platform.reviewer, Listing(), cases.QueueFilter(overdue=True), settings=settings
    )
    assert [c.reference for c in late] == [opened[1].reference] and total == 1
    assert cases.case_out(opened[1], settings).overdue
    # Another organisation sees none of them.
    assert cases.list_cases(session, platform.outsider, Listing(), settings=settings)[0] == []
    with pytest.raises(NotFound):
        cases.get_case(session, platform.outsider, opened[0].reference)
    assert cases.waiting_count(session, platform.reviewer) == 3


def test_the_queue_pages_by_age_both_ways_without_overlap(
    session: Session, platform: Platform, settings: Settings
) -> None:
    """Oldest first and newest first are the same order reversed, ties on the opening time
    broken by id; pages of either neither skip nor repeat a case (the queue reads its
    index forwards or backwards: alliance.review.cases._in_queue_order)."""
    from datetime import timedelta

    from alliance.db.base import utcnow

    opened = [
        cases.open_case(session, platform.reviewer, content(f"p{i}"), [match()], settings=settings)
        for i in range(7)
    ]
    moment = utcnow() - timedelta(hours=1)
    for i, case in enumerate(opened):
        case.opened_at = moment + timedelta(minutes=i // 3)  # three at one time, then ties
    session.flush()
    expected = [c.reference for c in sorted(opened, key=lambda c: (c.opened_at, c.id))]

    def pages(descending: bool) -> list[str]:
        seen: list[str] = []
        for offset in range(0, 8, 3):
            listing = Listing(sort="opened", descending=descending, limit=3, offset=offset)
            page, total, _ = cases.list_cases(
                session, platform.reviewer, listing, settings=settings
            )
            assert total == 7
            seen += [c.reference for c in page]
        return seen

    assert pages(descending=False) == expected
    assert pages(descending=True) == expected[::-1]
    with pytest.raises(InvalidInput, match="cannot sort by 'bank'"):
        cases.list_cases(session, platform.reviewer, Listing(sort="bank"), settings=settings)


def test_taking_a_case_assigns_it(session: Session, platform: Platform, settings: Settings) -> None:
    case = cases.open_case(session, platform.reviewer, content(), [match()], settings=settings)
    cases.assign_to_me(session, platform.second, case.reference)
    assert case.assignee == platform.second.audit_label
    assert _events(session, EventType.CASE_ASSIGNED) == 1


def test_media_root_refuses_links_out(tmp_path: Path, settings: Settings) -> None:
    from alliance.review.previews import media_file

    assert settings.review_media_root is not None
    (settings.review_media_root / "out").symlink_to(tmp_path)
    with pytest.raises(InvalidInput, match="leaves the media root"):
        media_file("out/secret.png", settings)
    assert media_file("uploads/u1.png", settings).name == "u1.png"
