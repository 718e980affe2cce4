"""Running `alliance` commands in-process against a database of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from alliance.cli import context
from alliance.cli.main import main
from alliance.settings import get_settings


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@contextmanager
def cli_runner(
    database_url: str,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    columns: int = 200,
    migrate: bool = False,
) -> Iterator[Run]:
    """``run("orgs", "list")`` → exit code and captured output; settings and the engine
    are read afresh for the test and forgotten after it."""
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ALLIANCE_OPERATOR", "tester")
    monkeypatch.setenv("COLUMNS", str(columns))
    # Rich reads COLUMNS when a console is made, and the CLI's consoles are made on import,
    # which under pytest-xdist may happen before this fixture runs.
    from alliance.cli import output

    monkeypatch.setattr(output.console, "width", columns)
    monkeypatch.setattr(output.err_console, "width", columns)
    get_settings.cache_clear()
    context.engine.cache_clear()

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    try:
        if migrate:
            assert invoke("db", "upgrade").code == 0
        yield invoke
    finally:
        if context.engine.cache_info().currsize:
            context.engine().dispose()
        get_settings.cache_clear()
        context.engine.cache_clear()
