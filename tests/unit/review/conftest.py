"""A platform with reviewers, its media root of generated pictures, and settings for the
review queue's tests (on the rolled-back test session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.review.schemas import CaseMatch, ContentRef
from alliance.settings import Settings, load_settings
from tests import factories


@dataclass
class Platform:
    org: Organisation
    reviewer: Principal
    second: Principal
    admin: Principal
    viewer: Principal
    outsider: Principal


@pytest.fixture
def platform(session: Session) -> Platform:
    org = factories.organisation(session, OrgKind.industry, "US")
    other = factories.organisation(session, OrgKind.industry, "GB")
    return Platform(
        org=org,
        reviewer=factories.principal(factories.user(session, org, Role.reviewer)),
        second=factories.principal(factories.user(session, org, Role.reviewer)),
        admin=factories.principal(factories.user(session, org, Role.org_admin)),
        viewer=factories.principal(factories.user(session, org, Role.viewer)),
        outsider=factories.principal(factories.user(session, other, Role.reviewer)),
    )


def picture(path: Path, seed: int = 1) -> Path:
    """A benign generated colour picture: stripes and noise."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    pixels[::8, :, 0] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path)
    return path


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    picture(root / "uploads" / "u1.png")
    (root / "uploads" / "notes.txt").write_text("not a picture")
    return root


@pytest.fixture
def settings(media_root: Path, tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        review_media_root=media_root,
        review_media_url_prefixes=["http://127.0.0.1:1/media/"],
    )


def content(content_id: str = "upload-1", media_path: str | None = "uploads/u1.png") -> ContentRef:
    return ContentRef(content_id=content_id, media_path=media_path)


def match(bank: str = "baseline-nl", entry_id: int = 1, distance: int = 4) -> CaseMatch:
    return CaseMatch(
        bank=bank,
        entry_id=entry_id,
        category="A1",
        verification="verified",
        distance=distance,
        variant="original",
    )
