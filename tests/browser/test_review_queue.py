"""In a real browser: a platform's reviewer opens the review queue, sees a case's media
blurred, reveals it (audited) and confirms the case (issue 20, part 2).

The server is `alliance serve` on a database of the test's own (no demo world): one
platform, one reviewer, one case opened from a match, its media a generated picture under
the platform's media root."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.review import cases
from alliance.review.models import Case, CaseStatus
from alliance.review.schemas import CaseMatch, ContentRef
from alliance.settings import load_settings
from tests import factories
from tests.support.server import free_port, live_serve
from tests.unit.review.conftest import picture

pytestmark = pytest.mark.browser


@pytest.fixture
def review_server(databases: Any, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The server's URL, the database's URL and the open case's reference."""
    url = databases.new_url()
    engine = create_db_engine(url)
    upgrade(engine)
    media = tmp_path / "media"
    picture(media / "uploads" / "u1.png")
    settings = load_settings(data_dir=tmp_path / "var", review_media_root=media)
    with make_session_factory(engine).begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US", slug="photos-platform")
        factories.user(session, org, Role.reviewer, username="rq-reviewer")
        uploader = factories.principal(factories.user(session, org, Role.reviewer))
        case = cases.open_case(
            session,
            uploader,
            ContentRef(content_id="upload-1", media_path="uploads/u1.png"),
            [CaseMatch(bank="baseline-nl", entry_id=7, category="A1", distance=5)],
            settings=settings,
        )
        reference = case.reference
    engine.dispose()
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
        "ALLIANCE_MODE": "development",
        "ALLIANCE_REVIEW_MEDIA_ROOT": str(media),
        "ALLIANCE_SERVE_WORKER": "false",
        "ALLIANCE_SMTP_PORT": str(free_port()),
    }
    with live_serve(env, tmp_path / "serve.log", start_seconds=30) as base:
        yield base, url, reference


def _smoothness(data: bytes) -> tuple[str, float]:
    image = Image.open(io.BytesIO(data))
    pixels = np.asarray(image.convert("L"), dtype=np.float64)
    return image.mode, float(np.abs(np.diff(pixels, axis=1)).mean())


def test_open_the_queue_see_blurred_reveal_and_confirm(
    review_server: tuple[str, str, str], browser_page: Any
) -> None:
    base, db_url, reference = review_server
    page = browser_page
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "rq-reviewer")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    page.goto(f"{base}/review")
    page.locator("[data-testid=review-cases]").get_by_role("link", name=reference).click()
    page.wait_for_url(f"{base}/review/cases/{reference}")

    blurred = page.locator("[data-testid=media-blurred]")
    blurred.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=blurred.element_handle()
    )
    shown = page.request.get(f"{base}/review/cases/{reference}/preview")
    assert shown.headers["cache-control"] == "no-store"
    mode, blur = _smoothness(shown.body())
    assert mode == "L"

    page.locator("[data-testid=reveal] button").click()
    revealed = page.locator("[data-testid=media-revealed]")
    revealed.wait_for()
    source = revealed.get_attribute("src") or ""
    assert source.startswith("data:image/png;base64,")
    import base64

    mode, sharp = _smoothness(base64.b64decode(source.split(",", 1)[1]))
    assert mode == "L" and sharp > blur * 5  # the reveal is the picture, not the blur

    page.select_option("[data-testid=decide] select[name=decision]", "confirm")
    page.fill("[data-testid=decide] textarea[name=reason]", "the listed picture")
    page.locator("[data-testid=decide] button[type=submit]").click()
    page.locator("[data-testid=notice]").wait_for()
    assert page.locator("[data-testid=case-status]").inner_text() == "Confirmed"

    engine = create_db_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
            assert case.status is CaseStatus.confirmed
            kinds = (
                session.execute(
                    select(AuditEvent.event_type).where(AuditEvent.subject_id == reference)
                )
                .scalars()
                .all()
            )
            assert EventType.CASE_MEDIA_REVEALED.value in kinds
            assert EventType.CASE_DECIDED.value in kinds
    finally:
        engine.dispose()
