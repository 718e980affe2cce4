"""``alliance`` imports a command's module when the command runs: ``alliance --help``
lists every command from :data:`alliance.cli.main.COMMANDS` without importing them, and
``alliance hash`` imports the hashing engine, not the web framework, the ORM or the demo.
(The start-up time itself is measured by ``make bench``, never asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alliance.cli.main import COMMANDS, inner_main, load_command

#: What only some commands need: the web app, the ORM, the demo, SciPy.
HEAVY = ("fastapi", "starlette", "sqlalchemy", "alembic", "jinja2", "alliance.demo", "scipy")


def _imported_by(*argv: str) -> tuple[list[str], str]:
    """The heavy modules imported by ``alliance ARGV`` in a fresh interpreter, and what
    the command printed."""
    script = (
        "import json, sys\n"
        "from alliance.cli.main import main\n"
        f"code = main({list(argv)!r})\n"
        f"heavy = sorted({{m.split('.')[0] if not m.startswith('alliance.') else m "
        f"for m in sys.modules if m.startswith({HEAVY!r})}})\n"
        "print(json.dumps({'code': code, 'heavy': heavy}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return report["heavy"], done.stdout


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    heavy, shown = _imported_by("--help")
    assert heavy == []
    for name in COMMANDS:
        assert f" {name} " in shown
    assert not any(m.startswith("alliance.cli.") and m != "alliance.cli.main" for m in heavy)


def test_hash_imports_the_engine_only(tmp_path: Path) -> None:
    picture = tmp_path / "gradient.png"
    ramp = np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (64, 1))
    Image.fromarray(ramp).save(picture)
    heavy, shown = _imported_by("hash", str(picture))
    assert heavy == []
    assert json.loads(shown.splitlines()[0])["path"] == str(picture)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_summary_is_the_commands_own_help(name: str) -> None:
    """The summary ``alliance --help`` shows is the first paragraph of the help the
    command shows itself (a docstring or a Typer group's help)."""
    own = " ".join((load_command(name).help or "").strip().split("\n\n")[0].split())
    assert own == COMMANDS[name].summary


@pytest.mark.parametrize("name", ["banks", "hash", "index", "settings"])
def test_a_command_shows_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert inner_main([name, "--help"]) == 0
    assert "Usage: alliance " + name in " ".join(capsys.readouterr().out.split())


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert inner_main(["bnaks"]) == 2
    assert "banks" in capsys.readouterr().err
