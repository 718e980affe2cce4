"""The member's side: send a confirmed case to the hub as an industry report, and read
what came of it.

Uses the members' hub client (:mod:`alliance.banks.hub_client`: the hub URL, the API key,
the hub's answers as :mod:`alliance.errors`). A send that fails on the way — no answer, a
timeout, a 5xx, a 429 — is sent again, with the same case reference: the hub makes one
report per case reference, so a send whose answer was lost is found, never duplicated.
A refusal (4xx) is final. Only the fields of :class:`IndustryReportIn` go: hashes and
metadata, never the media.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from alliance import errors
from alliance.banks import hub_client
from alliance.industry.schemas import IndustryReportIn, PlatformReportOut

PATH = "/api/v1/industry-reports"
#: Sends of one report before giving up, and the first wait between two (doubled each time).
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0


def _retryable(error: errors.AllianceError) -> bool:
    return isinstance(error, hub_client.HubError | errors.RateLimited)


def _with_retries(
    send: Callable[[], Any], *, attempts: int, backoff: float, sleep: Callable[[float], None]
) -> Any:
    wait = backoff
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except errors.AllianceError as exc:
            if not _retryable(exc) or attempt == attempts:
                raise
            pause = wait
            if isinstance(exc, errors.RateLimited):
                pause = max(wait, float(exc.retry_after_seconds))
            sleep(pause)
            wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover


class IndustryReports:
    """Industry reports through one HTTP client (``hub_client.make_client(url, key)``)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def submit(self, report: IndustryReportIn) -> PlatformReportOut:
        """Send the case; the hub's report of it (``created`` false when it had it already)."""
        body = report.model_dump(mode="json")
        answer = _with_retries(
            lambda: hub_client.post_json(self.client, PATH, body, ok=(200, 201)),
            attempts=self.attempts,
            backoff=self.backoff,
            sleep=self.sleep,
        )
        return self._parsed(answer, f"POST {PATH}")

    def status(self, reference: str) -> PlatformReportOut:
        """Where the report stands and its outcome, by the hub's reference or the case's."""
        path = f"{PATH}/{quote(reference, safe='')}"
        answer = _with_retries(
            lambda: hub_client.json_of(hub_client.get(self.client, path), f"GET {path}"),
            attempts=self.attempts,
            backoff=self.backoff,
            sleep=self.sleep,
        )
        return self._parsed(answer, f"GET {path}")

    @staticmethod
    def _parsed(answer: Any, what: str) -> PlatformReportOut:
        try:
            return PlatformReportOut.model_validate(answer)
        except ValueError:
            raise hub_client.HubError(f"the hub answered {what} with no report in it") from None


def connect(server: str, api_key: str, *, timeout: float = 30.0) -> IndustryReports:
    """Industry reports to the hub at ``server`` with the member's ``api_key``."""
    return IndustryReports(hub_client.make_client(server, api_key, timeout=timeout))
