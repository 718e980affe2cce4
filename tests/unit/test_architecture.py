"""The layers of docs/architecture.md hold, and each contract that keeps them bites.

The contracts are import-linter's, declared in ``pyproject.toml`` (``[tool.importlinter]``);
``make lint`` runs ``lint-imports`` too, but this test is what makes ``make test`` in a fresh
clone fail on a crossing. Each crossing below is made in a copy of the source, so the
contracts are shown to catch it, not merely to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(checkout: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on ``checkout``'s own ``src/`` (not whatever is installed)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout / "src")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_layers_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "crossing", "report"),
    [
        pytest.param(
            "web/pages/__init__.py",
            "import alliance.demo.takedown",
            "alliance.web is not allowed to import alliance.demo",
            id="a page imports the demo",
        ),
        pytest.param(
            "cli/accounts.py",
            "import alliance.demo.world",
            "alliance.cli is not allowed to import alliance.demo",
            id="a CLI command other than demo and serve imports the demo",
        ),
        pytest.param(
            "hashing/__init__.py",
            "import alliance.db.base",
            "alliance.hashing is not allowed to import alliance.db",
            id="the engine imports the platform",
        ),
        pytest.param(
            "matching/__init__.py",
            "import sqlalchemy",
            "alliance.matching is not allowed to import sqlalchemy",
            id="the engine imports a database library",
        ),
        pytest.param(
            "audit/__init__.py",
            "import alliance.banks.models",
            "alliance.audit is not allowed to import alliance.banks",
            id="the platform imports a domain",
        ),
        pytest.param(
            "takedown/__init__.py",
            "import alliance.web.state",
            "alliance.takedown is not allowed to import alliance.web",
            id="a domain imports an interface",
        ),
        pytest.param(
            "victims/__init__.py",
            "import fastapi",
            "alliance.victims is not allowed to import fastapi",
            id="a domain imports the web framework",
        ),
        pytest.param(
            "hosting/__init__.py",
            "import alliance.takedown.models",
            "No cycles are allowed in alliance",
            id="two domains import each other",
        ),
        pytest.param(
            "worker/__init__.py",
            "import alliance.web.app",
            "alliance.worker is not allowed to import alliance.web",
            id="the worker imports the web app",
        ),
    ],
)
def test_a_crossing_breaks_a_contract(
    tmp_path: Path, module: str, crossing: str, report: str
) -> None:
    checkout = copy_of_checkout(tmp_path)
    target = checkout / "src" / "alliance" / module
    target.write_text(target.read_text() + f"\n{crossing}\n")
    result = lint_imports(checkout)
    assert result.returncode == 1, result.stdout + result.stderr
    assert report in result.stdout


def test_a_package_without_a_layer_breaks_the_layers(tmp_path: Path) -> None:
    checkout = copy_of_checkout(tmp_path)
    (checkout / "src" / "alliance" / "unlayered").mkdir()
    (checkout / "src" / "alliance" / "unlayered" / "__init__.py").write_text('"""New."""\n')
    result = lint_imports(checkout)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "alliance.unlayered" in result.stdout


def copy_of_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    shutil.copytree(
        ROOT / "src",
        checkout / "src",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.egg-info"),
    )
    shutil.copy(ROOT / "pyproject.toml", checkout)
    return checkout
