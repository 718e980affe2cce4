"""One place maps errors to exit codes; every error class gets a distinct, documented code."""

from __future__ import annotations

import pytest

from alliance import errors
from alliance.cli.main import exit_code_for, main


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidInput("x"), 2),
        (errors.PayloadTooLarge("x"), 2),
        (errors.NotAuthenticated("x"), 3),
        (errors.PermissionDenied("x"), 3),
        (errors.NotFound("x"), 4),
        (errors.Conflict("x"), 5),
        (errors.RateLimited("x"), 6),
        (errors.ConfigurationError("x"), 7),
        (errors.DatabaseNotReady("x"), 7),
        (errors.NotConfigured("x"), 7),
        (errors.OutsideServiceFailed("x"), 1),
        (errors.AllianceError("x"), 1),
    ],
)
def test_exit_code_for(error: errors.AllianceError, code: int) -> None:
    assert exit_code_for(error) == code


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "Usage" in capsys.readouterr().out
