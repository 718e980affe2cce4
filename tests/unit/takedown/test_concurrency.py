"""Concurrency with real connections: analysts claiming at once, workers sending at once.

Each thread has its own connection (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the one
writer in turn), against a fresh database that is really committed to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from alliance.accounts.permissions import Role
from alliance.db.session import transaction
from alliance.takedown import assessment, intake
from alliance.takedown.models import Classification, ContentItem, ItemStage, Notice
from alliance.takedown.schemas import AssessmentIn, ReportIn
from alliance.worker.runner import Worker
from tests import factories
from tests.support.takedown_world import TakedownWorld


def _report(world: TakedownWorld, urls: list[str]) -> list[str]:
    with transaction(world.sessions) as session:
        receipt = intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=urls)])[0]
    return [i.item for i in receipt.items]


def _run_threads(count: int, target: Callable[[], object]) -> None:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_analysts_never_share_an_item(world: TakedownWorld) -> None:
    _report(world, [f"http://photos.example.test/{n}.png" for n in range(30)])
    world.worker().run_until_idle()
    with transaction(world.sessions) as session:
        org = session.get_one(type(world.orgs["nl-hotline"]), world.orgs["nl-hotline"].id)
        analysts = [
            factories.principal(factories.user(session, org, Role.analyst, f"claimer-{n}"))
            for n in range(6)
        ]
    claimed: list[str] = []
    lock = threading.Lock()
    turn = iter(analysts)

    def claim_until_empty() -> None:
        with lock:
            analyst = next(turn)
        while True:
            with transaction(world.sessions) as session:
                item = assessment.claim_next(session, analyst, world.settings)
                if item is None:
                    return
                reference = item.reference
            with lock:
                claimed.append(reference)

    _run_threads(len(analysts), claim_until_empty)
    assert len(claimed) == 30 and len(set(claimed)) == 30


def test_two_workers_send_each_notice_once(world: TakedownWorld) -> None:
    refs = _report(world, [f"http://photos.example.test/{n}.png" for n in range(20)])
    world.worker().run_until_idle()
    for ref in refs:
        with transaction(world.sessions) as session:
            assessment.claim_item(session, world.principal("nl-analyst"), ref, world.settings)
            assessment.assess_item(
                session,
                world.principal("nl-analyst"),
                ref,
                AssessmentIn(classification=Classification.baseline),
                world.settings,
            )
    names = iter(["worker-a", "worker-b"])
    lock = threading.Lock()

    def work() -> None:
        with lock:
            name = next(names)
        Worker(world.sessions, world.tools, name=name, batch=3).run_until_idle()

    _run_threads(2, work)
    messages = world.mailbox.wait_for(20)
    assert len(messages) == 20
    assert len({m["Message-ID"] for m in messages}) == 20
    with world.sessions() as session:
        assert session.execute(select(func.count(Notice.id))).scalar_one() == 20
        stages = set(session.execute(select(ContentItem.stage)).scalars())
        assert stages == {ItemStage.notified}
