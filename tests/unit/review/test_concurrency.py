"""Two uploads of the same content matched at the same moment open one case, holding both
matches (a database of its own, really committed to, so that the two transactions meet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from alliance.accounts.permissions import OrgKind, Role
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.db.session import transaction
from alliance.review import cases, decisions
from alliance.review.models import Case, CaseCount, CaseMatch, CaseStatus, DecisionKind
from alliance.review.schemas import DecisionIn
from alliance.settings import load_settings
from tests import factories
from tests.unit.review.conftest import content, match


@pytest.fixture
def real_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("opened_before", [False, True])
def test_the_same_content_at_once_opens_one_case(
    real_engine: Engine, tmp_path: Path, opened_before: bool
) -> None:
    sessions = make_session_factory(real_engine)
    settings = load_settings(data_dir=tmp_path, review_media_root=tmp_path)
    with transaction(sessions) as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewer = factories.principal(factories.user(session, org, Role.reviewer))
        if opened_before:  # then both add to it at once
            cases.open_case(session, reviewer, content(), [match(entry_id=9)], settings=settings)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def upload(entry_id: int) -> None:
        start.wait()
        try:
            with transaction(sessions) as session:
                cases.open_case(
                    session, reviewer, content(), [match(entry_id=entry_id)], settings=settings
                )
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        assert session.execute(select(func.count(Case.id))).scalar_one() == 1
        entries = session.execute(select(CaseMatch.entry_id).order_by(CaseMatch.entry_id))
        expected = [1, 2, 9] if opened_before else [1, 2]
        assert entries.scalars().all() == expected
        assert session.execute(select(Case.match_count)).scalar_one() == len(expected)
        count = session.execute(
            select(CaseCount.count).where(CaseCount.status == CaseStatus.open)
        ).scalar_one()
        assert count == 1


def test_two_reviewers_confirming_at_once_decide_in_turn(
    real_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(real_engine)
    settings = load_settings(
        data_dir=tmp_path, review_media_root=tmp_path, review_second_reviewer=True
    )
    with transaction(sessions) as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        reviewers = [
            factories.principal(factories.user(session, org, Role.reviewer)) for _ in range(2)
        ]
        reference = cases.open_case(
            session, reviewers[0], content(), [match()], settings=settings
        ).reference
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def confirm(n: int) -> None:
        start.wait()
        try:
            with transaction(sessions) as session:
                data = DecisionIn(decision=DecisionKind.confirm)
                decisions.decide(session, reviewers[n], reference, data, settings=settings)
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        case = session.execute(select(Case)).scalar_one()
        assert case.status is CaseStatus.confirmed
        assert [d.result for d in case.decisions] == [
            CaseStatus.awaiting_second_review,
            CaseStatus.confirmed,
        ]
