"""Audit records as the API and CLI show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    checked: int
    head_seq: int
    broken_seq: int | None = None
    reason: str | None = None
