"""Deconfliction outputs, as the API, pages and CLI see them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from alliance.cooperation.models import TargetKind


class AlertMatch(BaseModel):
    match: Literal["exact", "near"] = Field(
        description="exact: the same content; near: a near duplicate (PDQ)"
    )
    hash: str = Field(description='the watching agency\'s own hash that matched, "md5:…"')
    distance: int | None = Field(default=None, description="PDQ distance of a near match")


class AlertOut(BaseModel):
    id: int
    organisation: str = Field(description="the watching agency the alert is for")
    source: str = Field(description="what registered the target: hold | series")
    source_reference: str = Field(description='the hold ("H-…") or series code')
    source_label: str | None = Field(
        default=None, description="what people call the source: a series' code name"
    )
    target_kind: TargetKind
    target_value: str
    subject: str | None = Field(
        description='what the toucher touched, as its platform calls it: an item "I-…", '
        "a seizure, ..."
    )
    count: int = Field(description="how many items touched the target in that one action")
    exact_count: int | None = Field(
        default=None, description="of count, the same content; empty on older alerts"
    )
    near_count: int | None = Field(
        default=None, description="of count, near duplicates (PDQ); empty on older alerts"
    )
    matches: list[AlertMatch] = Field(
        default_factory=list, description="which of the watching agency's hashes matched"
    )
    shared_note: str | None = Field(
        description="case details the touching agency chose to share; otherwise empty"
    )
    touched_by: str
    touched_by_organisation: str | None
    action: str = Field(description="report | match | assessment | seizure | ...")
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(default=None, description="the person who did")
    acknowledged_by_organisation: str | None = None
