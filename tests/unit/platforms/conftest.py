"""Cases for the CyberTipline tests: benign files and documentation addresses only."""

from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from alliance.demo.cybertipline import StandInCyberTipline

CASE: dict[str, Any] = {
    "incident": {
        "type": "Child Pornography (possession, manufacture, and distribution)",
        "time": "2026-11-30T10:15:00+01:00",
        "annotations": ["sextortion"],
    },
    "web_pages": [{"urls": ["https://media.example.test/p/1"], "third_party_hosted": False}],
    "reporter": {
        "organisation": "Example Platform <Trust & Safety>",
        "reporting_person": {
            "first_name": "Ada",
            "last_name": "Reviewer",
            "email": "safety@example.test",
        },
        "legal_url": "https://example.test/legal",
    },
    "reported_user": {
        "account_id": "u-123",
        "screen_name": "someone",
        "ip_events": [
            {"ip": "192.0.2.10", "time": "2026-11-30T09:00:00Z", "event": "Upload", "port": 443},
            {"ip": "2001:db8::1", "time": "2026-11-29T09:00:00Z", "event": "Login"},
        ],
    },
    "files": [
        {
            "file_name": "first.png",
            "classification": "A1",
            "annotations": ["viral"],
            "publicly_available": False,
            "viewed_by_platform": True,
        },
        {"file_name": "second.png", "relevance": "Supplemental Reported"},
    ],
    "additional_info": "Found by a hash match, confirmed by two reviewers.",
}


def picture(name: str) -> bytes:
    """A benign picture: a flat colour derived from ``name``."""
    colour = tuple(hashlib.sha256(name.encode()).digest()[:3])
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def case_data(**changes: Any) -> dict[str, Any]:
    """The standard case, its files' hashes filled in, with top-level ``changes``."""
    data = copy.deepcopy(CASE)
    for file in data["files"]:
        content = picture(file["file_name"])
        file["hashes"] = {
            "md5": hashlib.md5(content, usedforsecurity=False).hexdigest(),
            "sha1": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    data.update(changes)
    return data


@pytest.fixture
def stand_in() -> Iterator[StandInCyberTipline]:
    with StandInCyberTipline() as server:
        yield server
