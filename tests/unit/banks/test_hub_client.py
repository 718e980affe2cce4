"""One mapping from the hub's answers to errors (and exit codes), for every member-side
client: sync, feedback and scan reporting."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from alliance import errors
from alliance.banks.hub_client import HubError, get, make_client, post_json
from alliance.banks.local_store import LocalBankStore
from alliance.banks.sync import sync
from alliance.cli.main import exit_code_for
from alliance.hashing.record import HashRecord
from alliance.hashing.signal_type import SignalHash
from alliance.scanner.reporting import report_for, submit
from alliance.scanner.services import ScanResult

SERVER = "http://alliance.example.test"


def _hub(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    return httpx.Client(base_url=SERVER, transport=httpx.MockTransport(handler))


def _error(message: str = "no") -> bytes:
    return b'{"error": {"code": "x", "message": "' + message.encode() + b'"}}'


@pytest.mark.parametrize(
    ("status", "error", "exit_code"),
    [
        (400, errors.InvalidInput, 2),
        (422, errors.InvalidInput, 2),
        (413, errors.PayloadTooLarge, 2),
        (401, errors.NotAuthenticated, 3),
        (403, errors.PermissionDenied, 3),
        (404, errors.NotFound, 4),
        (409, errors.Conflict, 5),
        (429, errors.RateLimited, 6),
        (500, HubError, 1),
        (503, HubError, 1),
        (302, HubError, 1),
    ],
)
def test_statuses_become_errors(
    status: int, error: type[errors.AllianceError], exit_code: int
) -> None:
    with _hub(status, _error("the hub says no")) as client, pytest.raises(error) as caught:
        get(client, "/api/v1/keys")
    assert type(caught.value) is error and exit_code_for(caught.value) == exit_code
    assert caught.value.message == (
        f"platform answered {status} for GET /api/v1/keys: the hub says no"
    )


def test_sync_feedback_and_reporting_share_the_mapping(tmp_path: Path) -> None:
    """The same 403 is the same error whichever member-side client met it."""
    record = ScanResult(
        HashRecord("", {"md5": SignalHash("0" * 32)}),
        matches=[{"bank": "b", "entry_id": 1, "signal_type": "md5", "distance": 0}],
    )
    report = report_for(record, "https://cdn.example.test/u/1.jpg")
    assert report is not None
    with _hub(403, _error()) as client:
        with pytest.raises(errors.PermissionDenied, match="403 for POST /api/v1/reports/batch"):
            submit(client, [report])
        with pytest.raises(errors.PermissionDenied, match="403 for POST /api/v1/banks/b/entries"):
            post_json(client, "/api/v1/banks/b/entries/1/feedback", {"verdict": "confirmed"})
        with pytest.raises(errors.PermissionDenied, match="403 for GET /api/v1/keys"):
            sync(client, LocalBankStore.open(tmp_path / "banks"), server=SERVER)


def test_rate_limit_keeps_retry_after() -> None:
    with (
        _hub(429, _error(), {"retry-after": "17"}) as client,
        pytest.raises(errors.RateLimited) as caught,
    ):
        get(client, "/api/v1/keys")
    assert caught.value.retry_after_seconds == 17


def test_the_hubs_message_cannot_write_to_the_terminal() -> None:
    hostile = "\x1b]0;owned\x07\x1b[2J" + "x" * 500
    with _hub(400, hostile.encode()) as client, pytest.raises(errors.InvalidInput) as caught:
        get(client, "/p")
    message = caught.value.message
    assert "\x1b" not in message and "\x07" not in message
    assert len(message) < 300


def test_unreachable_and_not_json() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        httpx.Client(base_url=SERVER, transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(HubError, match="cannot reach the platform: connection refused"),
    ):
        get(client, "/p")
    with _hub(200, b"<html>") as client, pytest.raises(HubError, match="not JSON"):
        post_json(client, "/p", {})


def test_make_client_wants_an_http_url() -> None:
    with pytest.raises(errors.ConfigurationError, match="http\\(s\\) URL"):
        make_client("ftp://example.test", "k")
    with make_client("https://alliance.example.test/", "alk_1") as client:
        assert str(client.base_url) == "https://alliance.example.test"
        assert client.headers["authorization"] == "Bearer alk_1"
