"""Deconfliction outputs, as the API, pages and CLI see them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from alliance.cooperation.models import TargetKind


class AlertOut(BaseModel):
    id: int
    source: str = Field(description="what registered the target: hold | series")
    source_reference: str = Field(description='the hold ("H-…") or series code')
    target_kind: TargetKind
    target_value: str
    subject: str | None = Field(
        description='what the toucher touched, as its platform calls it: an item "I-…", '
        "a seizure, ..."
    )
    count: int = Field(description="how many items touched the target in that one action")
    shared_note: str | None = Field(
        description="case details the touching agency chose to share; otherwise empty"
    )
    touched_by: str
    touched_by_organisation: str | None
    action: str = Field(description="report | match | assessment | seizure | ...")
    created_at: datetime
    acknowledged_at: datetime | None
