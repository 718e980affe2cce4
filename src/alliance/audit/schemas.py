"""Audit records as the API and CLI show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ANCHOR_TYPE: Literal["alliance.audit_anchor"] = "alliance.audit_anchor"
ANCHOR_VERSION: Literal[1] = 1
MAX_SEQ = 2**63 - 1


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor: str
    organisation_id: int | None
    event_type: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]
    hash: str


class VerifyResult(BaseModel):
    ok: bool
    checked: int = Field(description="events whose hash and position were recomputed")
    head_seq: int
    broken_seq: int | None = None
    reason: str | None = None
    anchors_checked: int = Field(
        0, description="signed heads (stored and given) the chain was compared with"
    )
    anchor_signed_at: str | None = Field(
        None, description="when the signed head that the chain contradicts was signed"
    )
    anchored_seq: int | None = Field(
        None, description="the head this verification signed (an intact chain only)"
    )


class SignedHead(BaseModel):
    """An audit anchor: the chain's head signed with the platform key, as exported (one
    JSON line of `alliance audit anchor export`). The signature covers every other field."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["alliance.audit_anchor"] = ANCHOR_TYPE
    version: Literal[1] = ANCHOR_VERSION
    platform: str = Field(min_length=1, max_length=200)
    seq: int = Field(ge=1, le=MAX_SEQ, description="events in the chain when it was signed")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="hash of event `seq`")
    signed_at: str = Field(max_length=40, description="UTC, ISO 8601")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="fingerprint of the platform's public key"
    )
    signature: str = Field(max_length=200, description="base64 Ed25519")

    @field_validator("signed_at")
    @classmethod
    def _aware_time(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise ValueError("signed_at needs a time zone")
        return value
