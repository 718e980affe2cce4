"""Two workers refreshing the URL list at once list each page once (a database of its own,
really committed to, so that the two transactions meet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.blocklists import urls
from alliance.blocklists.models import ListedUrl
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.db.session import transaction
from tests import factories


@pytest.fixture
def real_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_two_refreshes_at_once_list_each_page_once(real_engine: Engine) -> None:
    sessions = make_session_factory(real_engine)
    with transaction(sessions) as session:
        for n in range(20):
            factories.content_item(session, f"http://photos.example.test/{n}.png")
    start = threading.Barrier(2)
    listed: list[int] = []

    def refresh() -> None:
        start.wait()
        with transaction(sessions) as session:
            listed.append(len(urls.refresh(session).listed))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(listed) == [0, 20]
    with sessions() as session:
        assert session.execute(select(func.count(ListedUrl.id))).scalar_one() == 20
        events = session.execute(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.event_type == EventType.BLOCKLIST_URL_LISTED.value
            )
        ).scalar_one()
        assert events == 20
