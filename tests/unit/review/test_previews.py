"""Previews: greyscale and blurred from the platform's own storage; reveal audited; a
missing or non-picture file gives the placeholder; no path outside the media root."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.review import cases, previews
from alliance.review.schemas import ContentRef
from alliance.settings import Settings
from tests.unit.review.conftest import Platform, content, match, picture


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _sharpness(image: Image.Image) -> float:
    """Mean absolute difference of neighbouring pixels: high for detail, low for a blur."""
    pixels = np.asarray(image.convert("L"), dtype=np.float64)
    return float(np.abs(np.diff(pixels, axis=1)).mean())


def test_the_preview_is_greyscale_small_and_blurred_and_reveal_is_audited(
    session: Session, platform: Platform, settings: Settings, media_root: Path
) -> None:
    case = cases.open_case(session, platform.reviewer, content(), [match()], settings=settings)
    original = Image.open(media_root / "uploads" / "u1.png")
    shown = previews.preview(session, platform.reviewer, case.reference, settings=settings)
    assert shown.found and shown.media_type == "image/png"
    blurred = _image(shown.data)
    assert blurred.mode == "L" and max(blurred.size) <= previews.PREVIEW_SIDE
    assert shown.data != (media_root / "uploads" / "u1.png").read_bytes()
    original_grey = original.convert("L").resize(blurred.size)
    assert _sharpness(blurred) < _sharpness(original_grey) / 5
    audited = select(AuditEvent).where(AuditEvent.event_type == EventType.CASE_MEDIA_REVEALED)
    assert session.execute(audited).first() is None

    revealed = previews.revealed(session, platform.reviewer, case.reference, settings=settings)
    clear = _image(revealed.data)
    assert clear.mode == "L" and _sharpness(clear) > _sharpness(blurred) * 5
    previews.revealed(session, platform.second, case.reference, settings=settings)
    events = session.execute(audited).scalars().all()
    assert [e.actor for e in events] == [platform.reviewer.audit_label, platform.second.audit_label]
    with pytest.raises(PermissionDenied):
        previews.revealed(session, platform.viewer, case.reference, settings=settings)
    with pytest.raises(NotFound):
        previews.revealed(session, platform.outsider, case.reference, settings=settings)


def test_a_missing_or_non_picture_file_gives_the_placeholder(
    session: Session, platform: Platform, settings: Settings
) -> None:
    for name, path in [("gone", "uploads/gone.png"), ("text", "uploads/notes.txt")]:
        case = cases.open_case(
            session, platform.reviewer, content(name, path), [match()], settings=settings
        )
        shown = previews.preview(session, platform.reviewer, case.reference, settings=settings)
        assert not shown.found and shown.data == previews.placeholder()
        assert _image(shown.data).size == (previews.PREVIEW_SIDE, previews.PREVIEW_SIDE)


def test_paths_outside_the_media_root_are_refused(settings: Settings) -> None:
    for bad in ["../secret.png", "uploads/../../secret.png", "/etc/passwd"]:
        with pytest.raises(InvalidInput):
            previews.media_file(bad, settings)


class _Storage(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path != "/media/u2.png":
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[str]:
    _Storage.body = picture(tmp_path / "u2.png", seed=2).read_bytes()
    server = HTTPServer(("127.0.0.1", 0), _Storage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/media/"
    server.shutdown()
    server.server_close()


def test_a_url_under_an_allowed_prefix_is_read_from_the_platforms_storage(
    session: Session, platform: Platform, settings: Settings, storage: str
) -> None:
    allowed = settings.model_copy(update={"review_media_url_prefixes": [storage]})
    ref = ContentRef(content_id="u2", media_url=storage + "u2.png")
    case = cases.open_case(session, platform.reviewer, ref, [match()], settings=allowed)
    assert previews.preview(session, platform.reviewer, case.reference, settings=allowed).found
    missing = ContentRef(content_id="u3", media_url=storage + "u3.png")
    gone = cases.open_case(session, platform.reviewer, missing, [match()], settings=allowed)
    shown = previews.preview(session, platform.reviewer, gone.reference, settings=allowed)
    assert not shown.found and "404" in shown.reason
