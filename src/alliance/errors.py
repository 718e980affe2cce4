"""The one exception hierarchy of Alliance.

Every error that a user can cause derives from :class:`AllianceError`; the web layer maps
the classes below to HTTP statuses in one handler and the CLI maps them to exit codes in
one ``main()``. Domain packages subclass these beside the services that raise them.

::

    AllianceError
    ├── InvalidInput          bad value, bad file, bad format        → 400 / exit 2
    │   ├── PayloadTooLarge   body or file over the configured limit → 413 / exit 2
    │   └── RequestTimeout    a request body that arrives too slowly → 408
    ├── NotAuthenticated      no or bad credentials                  → 401 / exit 3
    ├── PermissionDenied      authenticated, but not allowed          → 403 / exit 3
    ├── NotFound              no such record (or not visible to you) → 404 / exit 4
    ├── Conflict              duplicate, wrong state                 → 409 / exit 5
    ├── RateLimited           too many attempts                      → 429 / exit 6
    ├── OutsideServiceFailed  a service we called failed or refused  → 502 / exit 1
    └── ConfigurationError    deployment is misconfigured            → 500 / exit 7
        ├── DatabaseNotReady  unreachable or migrations not at head  → 503 / exit 7
        └── NotConfigured     what this needs is not set up here     → 503 / exit 7
"""

from __future__ import annotations

from typing import Any


class AllianceError(Exception):
    """Base of every error Alliance raises on purpose; ``str(error)`` is safe to show."""

    code = "error"
    #: What an API answer carries beside the message, when there is more to say than one
    #: line (e.g. where a report stopped); safe to show, like the message.
    details: list[dict[str, Any]] | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The input at fault, when one is (a form shows the message beside it).
        self.field = field


class InvalidInput(AllianceError):
    code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class RequestTimeout(InvalidInput):
    code = "request_timeout"


class NotAuthenticated(AllianceError):
    code = "not_authenticated"


class PermissionDenied(AllianceError):
    code = "permission_denied"


class NotFound(AllianceError):
    code = "not_found"


class Conflict(AllianceError):
    code = "conflict"


class RateLimited(AllianceError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int = 60) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class OutsideServiceFailed(AllianceError):
    """A service outside Alliance (NCMEC, the DSA Transparency Database, the hub of a
    member) failed or refused a step after its retries: not the caller's fault, nor ours."""

    code = "outside_service_failed"


class ConfigurationError(AllianceError):
    code = "configuration_error"


class DatabaseNotReady(ConfigurationError):
    code = "database_not_ready"


class NotConfigured(ConfigurationError):
    """An optional part this request needs is not set up on this server (an outside
    service's address or credentials): the server works, this part is unavailable."""

    code = "not_configured"
