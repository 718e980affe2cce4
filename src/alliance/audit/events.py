"""The vocabulary of audit events, ``subject:verb`` in the past tense."""

from enum import StrEnum


class EventType(StrEnum):
    LOGIN_SUCCEEDED = "auth:login.succeeded"
    LOGIN_FAILED = "auth:login.failed"
    LOGIN_RATE_LIMITED = "auth:login.rate_limited"
    LOGOUT = "auth:logout"
    API_KEY_REJECTED = "auth:api_key.rejected"
    CSRF_REJECTED = "auth:csrf.rejected"

    JURISDICTION_CREATED = "jurisdiction:created"
    ORG_CREATED = "org:created"
    ORG_UPDATED = "org:updated"
    USER_CREATED = "user:created"
    USER_DISABLED = "user:disabled"
    USER_ENABLED = "user:enabled"
    USER_PASSWORD_CHANGED = "user:password_changed"  # noqa: S105 - an event name
    API_KEY_CREATED = "api_key:created"
    API_KEY_REVOKED = "api_key:revoked"
    SHARE_GRANTED = "share:granted"
    SHARE_REVOKED = "share:revoked"

    BANK_CREATED = "bank:created"
    BANK_UPDATED = "bank:updated"
    BANK_ENTRIES_ADDED = "bank:entries_added"
    BANK_ENTRIES_REMOVED = "bank:entries_removed"
    BANK_ENTRY_VOTED = "bank:entry_voted"
    BANK_ENTRY_FLAGGED = "bank:entry_flagged"
    MATCH_FOUND = "match:found"
    MATCH_FEEDBACK = "match:feedback"

    DEMO_BUILT = "demo:built"
