"""A member's HTTP client for the hub: the one place where the hub's answers become errors.

Member-side commands (``alliance sync``, ``alliance feedback``, ``alliance scan --report``)
call the hub's API with an API key. Whatever they call, an answer other than the one
expected becomes the same error of :mod:`alliance.errors` (and so the same CLI exit code):

=========  =====================  ====
status     error                  exit
=========  =====================  ====
400, 422   ``InvalidInput``       2
413        ``PayloadTooLarge``    2
401        ``NotAuthenticated``   3
403        ``PermissionDenied``   3
404        ``NotFound``           4
409        ``Conflict``           5
429        ``RateLimited``        6
other      ``HubError``           1   (5xx, redirects, no answer at all)
=========  =====================  ====

The hub's own message is shown with the status, cut short and stripped of control
characters: the answer may come from a mirror or a proxy, and must not be able to write
escape sequences to the operator's terminal. It lives in ``banks`` because the member side
starts here (sync); the scanner, which already depends on ``banks``, reports through it.
It imports only :mod:`alliance.errors` and ``httpx``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import httpx

from alliance import errors

MESSAGE_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class HubError(errors.AllianceError):
    """The hub could not be reached, or answered in a way no error class describes."""

    code = "hub_error"


STATUS_ERRORS: dict[int, type[errors.AllianceError]] = {
    400: errors.InvalidInput,
    401: errors.NotAuthenticated,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    413: errors.PayloadTooLarge,
    422: errors.InvalidInput,
}


def _message(response: httpx.Response) -> str:
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text
    return _CONTROL.sub(" ", message)[:MESSAGE_CHARS].strip()


def error_for(response: httpx.Response, what: str) -> errors.AllianceError:
    """The error for an unexpected answer to ``what`` (e.g. ``GET /api/v1/keys``)."""
    text = f"platform answered {response.status_code} for {what}: {_message(response)}"
    if response.status_code == 429:
        try:
            retry = int(response.headers.get("retry-after", "60"))
        except ValueError:
            retry = 60
        return errors.RateLimited(text, retry_after_seconds=retry)
    return STATUS_ERRORS.get(response.status_code, HubError)(text)


def call(
    what: str, request: Callable[[], httpx.Response], *, ok: Collection[int] = (200,)
) -> httpx.Response:
    """Send ``request``; its response if the status is in ``ok``, else the mapped error."""
    try:
        response = request()
    except httpx.HTTPError as exc:
        raise HubError(f"cannot reach the platform: {exc}") from None
    if response.status_code not in ok:
        raise error_for(response, what)
    return response


def json_of(response: httpx.Response, what: str) -> Any:
    """The JSON body of an accepted answer; a body that is not JSON is the hub's fault."""
    try:
        return response.json()
    except ValueError:
        raise HubError(f"platform answered {what} with something that is not JSON") from None


def get(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return call(f"GET {path}", lambda: client.get(path, params=params))


def post_json(
    client: httpx.Client,
    path: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    ok: Collection[int] = (200, 201),
) -> Any:
    what = f"POST {path}"
    response = call(what, lambda: client.post(path, json=body, headers=headers), ok=ok)
    return json_of(response, what)


def make_client(server: str, api_key: str, *, timeout: float = 60.0) -> httpx.Client:
    if not server.startswith(("https://", "http://")):
        raise errors.ConfigurationError(f"--server must be an http(s) URL, not {server!r}")
    return httpx.Client(
        base_url=server.rstrip("/"), timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
    )
