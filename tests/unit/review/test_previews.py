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
from tests.support.pinned import LocalServer, local_server
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


# --- the URL fetch: member mode's pinned, allow-listed fetcher (alliance.hosting.storage) ----


@pytest.fixture
def pictures(tmp_path: Path) -> Iterator[LocalServer]:
    """The platform's storage on 127.0.0.1: a picture, and a path that redirects to it."""
    data = picture(tmp_path / "u4.png", seed=4).read_bytes()
    with local_server({"/media/u4.png": (200, {"Content-Type": "image/png"}, data)}) as server:
        server.routes = {  # the redirect's target names the port, known now
            **server.routes,
            "/media/moved.png": (
                302,
                {"Location": f"http://127.0.0.1:{server.port}/media/u4.png"},
                b"",
            ),
        }
        yield server


def _with_url(
    session: Session, platform: Platform, settings: Settings, url: str, name: str = "u4"
) -> str:
    """A case whose media is ``url``, set on the row as it stands (the opening check is
    :func:`alliance.review.cases.url_allowed`'s; the fetch checks again, on its own)."""
    case = cases.open_case(session, platform.reviewer, content(name), [match()], settings=settings)
    case.media_url, case.media_path = url, None
    session.flush()
    return case.reference


def test_a_preview_is_fetched_from_the_checked_address_by_its_name(
    session: Session, platform: Platform, settings: Settings, pictures: LocalServer, tmp_path: Path
) -> None:
    (tmp_path / "hosts").write_text("127.0.0.1 media.example.test\n")  # the data dir's hosts file
    prefix = f"http://media.example.test:{pictures.port}/media/"
    allowed = settings.model_copy(update={"review_media_url_prefixes": [prefix]})
    ref = ContentRef(content_id="u4", media_url=prefix + "u4.png")
    case = cases.open_case(session, platform.reviewer, ref, [match()], settings=allowed)
    assert previews.preview(session, platform.reviewer, case.reference, settings=allowed).found
    [arrival] = pictures.arrivals
    assert arrival.path == "/media/u4.png"
    assert arrival.host == f"media.example.test:{pictures.port}"


def test_a_preview_url_that_redirects_is_not_followed(
    session: Session, platform: Platform, settings: Settings, pictures: LocalServer
) -> None:
    prefix = f"http://127.0.0.1:{pictures.port}/media/"
    allowed = settings.model_copy(update={"review_media_url_prefixes": [prefix]})
    reference = _with_url(session, platform, allowed, prefix + "moved.png")
    shown = previews.preview(session, platform.reviewer, reference, settings=allowed)
    assert not shown.found and shown.data == previews.placeholder()
    assert "302" in shown.reason and "redirects are not followed" in shown.reason
    assert [a.path for a in pictures.arrivals] == ["/media/moved.png"]  # not the target


def test_a_preview_url_whose_host_resolves_privately_is_refused(
    session: Session, platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "hosts").write_text(
        "10.20.0.7 bucket.example.test\n169.254.169.254 metadata.example.test\n"
    )
    prefixes = ["http://bucket.example.test/media/", "http://metadata.example.test/latest/"]
    allowed = settings.model_copy(update={"review_media_url_prefixes": prefixes})
    for url, words in [
        ("http://bucket.example.test/media/a.png", r"private 10\.20\.0\.7"),
        ("http://metadata.example.test/latest/meta-data", r"link-local 169\.254\.169\.254"),
    ]:
        reference = _with_url(session, platform, allowed, url, name=url)
        for draw in (previews.preview, previews.revealed):
            with pytest.raises(InvalidInput, match=words + ".*ALLIANCE_REVIEW_MEDIA_NETWORKS"):
                draw(session, platform.reviewer, reference, settings=allowed)
    revealed = select(AuditEvent).where(AuditEvent.event_type == EventType.CASE_MEDIA_REVEALED)
    assert session.execute(revealed).first() is None


@pytest.mark.parametrize(
    "path",
    [
        "%2e%2e/secret.png",  # ../ encoded
        "%2E%2E%2Fsecret.png",
        "a%2fb.png",  # an encoded slash
        "x%40203.0.113.9/a.png",  # an encoded @
        "..%5csecret.png",  # an encoded backslash
        "./u4.png",  # a dot segment, plain
    ],
)
def test_a_preview_url_with_encoded_tricks_is_refused_and_nothing_is_fetched(
    session: Session, platform: Platform, settings: Settings, pictures: LocalServer, path: str
) -> None:
    prefix = f"http://127.0.0.1:{pictures.port}/media/"
    allowed = settings.model_copy(update={"review_media_url_prefixes": [prefix]})
    reference = _with_url(session, platform, allowed, prefix + path)
    with pytest.raises(InvalidInput):
        previews.preview(session, platform.reviewer, reference, settings=allowed)
    assert pictures.arrivals == []


def test_a_preview_url_must_be_under_the_prefix_path_not_only_its_text(
    session: Session, platform: Platform, settings: Settings, pictures: LocalServer
) -> None:
    """``.../media`` as a prefix covers ``/media/...``, not ``/media-private/...``, which a
    comparison of text alone would let through."""
    base = f"http://127.0.0.1:{pictures.port}/media"
    allowed = settings.model_copy(update={"review_media_url_prefixes": [base]})
    reference = _with_url(session, platform, allowed, base + "-private/u4.png")
    with pytest.raises(InvalidInput, match="not under an allowed storage prefix"):
        previews.preview(session, platform.reviewer, reference, settings=allowed)
    assert pictures.arrivals == []
