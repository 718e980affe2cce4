"""A takedown world on a database of its own that is really committed to: for the tests
where several connections (analysts, workers) act at once, or where the statements
counted must be the worker's alone. A module may define its own ``world`` instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from tests.support.takedown_world import TakedownWorld, takedown_world


@pytest.fixture
def real_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def world(real_engine: Engine, tmp_path: Path) -> Iterator[TakedownWorld]:
    with takedown_world(make_session_factory(real_engine), tmp_path) as w:
        yield w
