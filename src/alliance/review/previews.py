"""Previews of a case's media, from the platform's own storage only.

The file is read where the case says the platform keeps it: a path under
``ALLIANCE_REVIEW_MEDIA_ROOT`` (resolved, links followed, and refused unless it is still
under the root) or a URL under one of ``ALLIANCE_REVIEW_MEDIA_URL_PREFIXES``, fetched as
member mode fetches its storage (:mod:`alliance.hosting.storage`: the host resolved once
and refused when it resolves to a private address outside
``ALLIANCE_REVIEW_MEDIA_NETWORKS``, the connection pinned to the address checked, no
redirect followed). Nothing is stored or cached: each preview is drawn from the file when
asked, and served with ``Cache-Control: no-store``.

By default the preview is small, in greyscale and strongly blurred: enough to see that
there is a picture and its layout, not what it shows. :func:`revealed` draws it without
the blur (still greyscale, which reviewers' wellness guidance asks for) and audits the
view every time. A file that is missing, unreadable or not a picture gives a placeholder,
never an error page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.errors import ConfigurationError, InvalidInput, NotFound
from alliance.hosting.resolver import resolver_from_settings
from alliance.hosting.storage import SettingNames, StorageFailed, StorageFetcher
from alliance.review.cases import get_case, url_allowed
from alliance.review.models import Case
from alliance.settings import Settings, get_settings

#: The longest side of a preview, blurred and revealed.
PREVIEW_SIDE = 240
REVEAL_SIDE = 480
#: The blur's radius as a fraction of the preview's longest side: shapes, no detail.
BLUR_FRACTION = 1 / 10
#: Decoding a picture of more pixels than this is refused (a decompression bomb).
MAX_PIXELS = 50_000_000
#: What the media fetcher names in its refusals.
MEDIA_SETTINGS = SettingNames(
    prefixes="ALLIANCE_REVIEW_MEDIA_URL_PREFIXES",
    networks="ALLIANCE_REVIEW_MEDIA_NETWORKS",
    max_bytes="ALLIANCE_REVIEW_PREVIEW_MAX_BYTES",
)


@dataclass(frozen=True)
class Preview:
    data: bytes
    media_type: str
    #: False: the placeholder (no file, or not a picture), with the reason.
    found: bool
    reason: str = ""


class MediaUnavailable(Exception):
    """The case's file cannot be read; the preview becomes the placeholder."""


def preview(
    session: Session, principal: Principal, reference: str, *, settings: Settings | None = None
) -> Preview:
    """The blurred, greyscale preview of the case's media (or the placeholder)."""
    case = get_case(session, principal, reference)
    return _drawn(case, settings or get_settings(), blur=True)


def revealed(
    session: Session, principal: Principal, reference: str, *, settings: Settings | None = None
) -> Preview:
    """The unblurred preview, to a principal who may reveal; audited every time."""
    case = get_case(session, principal, reference)
    authorize(principal, Permission.MEDIA_REVEAL, case)
    shown = _drawn(case, settings or get_settings(), blur=False)
    record(
        session,
        principal,
        EventType.CASE_MEDIA_REVEALED,
        "review_case",
        case.reference,
        {"found": shown.found},
    )
    return shown


def _drawn(case: Case, settings: Settings, *, blur: bool) -> Preview:
    try:
        raw = read_media(case, settings)
        return Preview(render(raw, blur=blur), "image/png", True)
    except MediaUnavailable as exc:
        return Preview(placeholder(), "image/png", False, str(exc))


def read_media(case: Case, settings: Settings, *, max_bytes: int | None = None) -> bytes:
    """The case's file, from the platform's own storage only (up to ``max_bytes``, by
    default ``ALLIANCE_REVIEW_PREVIEW_MAX_BYTES``); MediaUnavailable when it cannot be."""
    return read_stored(case.media_path, case.media_url, settings, max_bytes=max_bytes)


def read_stored(
    media_path: str | None,
    media_url: str | None,
    settings: Settings,
    *,
    max_bytes: int | None = None,
) -> bytes:
    """The file a case names (its path under the media root, or its URL), as
    :func:`read_media` reads it."""
    limit = max_bytes if max_bytes is not None else settings.review_preview_max_bytes
    if media_path is not None:
        return _read_path(media_path, settings, limit)
    if media_url is not None:
        return _read_url(media_url, settings, limit)
    raise MediaUnavailable("the case names no media")


def media_file(relative: str, settings: Settings) -> Path:
    """The file ``relative`` names under the media root; refused when it leaves the root
    (``..``, an absolute path, a link pointing outside)."""
    root = settings.resolved_review_media_root()
    if root is None:
        raise InvalidInput("no media root is configured (ALLIANCE_REVIEW_MEDIA_ROOT)")
    base = root.resolve()
    target = (base / relative).resolve()
    if Path(relative).is_absolute() or not target.is_relative_to(base):
        raise InvalidInput("the media path leaves the media root", field="media_path")
    return target


def _read_path(relative: str, settings: Settings, limit: int) -> bytes:
    target = media_file(relative, settings)
    try:
        if target.stat().st_size > limit:
            raise MediaUnavailable(f"the file is larger than {limit} bytes")
        return target.read_bytes()
    except OSError as exc:
        raise MediaUnavailable(f"the file cannot be read ({type(exc).__name__})") from None


def media_fetcher(settings: Settings, *, max_bytes: int | None = None) -> StorageFetcher:
    """The fetcher of the platform's media storage: only under the URL prefixes, only to
    loopback, public addresses and ALLIANCE_REVIEW_MEDIA_NETWORKS."""
    try:
        return StorageFetcher(
            settings.review_media_url_prefixes,
            resolver_from_settings(settings),
            networks=settings.review_media_networks,
            max_bytes=max_bytes if max_bytes is not None else settings.review_preview_max_bytes,
            timeout=settings.fetch_timeout_seconds,
            names=MEDIA_SETTINGS,
        )
    except InvalidInput as exc:
        raise ConfigurationError(f"ALLIANCE_REVIEW_MEDIA_URL_PREFIXES: {exc.message}") from None


def _read_url(url: str, settings: Settings, limit: int) -> bytes:
    """The file at ``url``; InvalidInput when the URL is not the storage's (nothing was
    fetched), MediaUnavailable when the storage did not give it."""
    if not url_allowed(url, settings):
        raise InvalidInput("the media URL is not under an allow-listed prefix", field="media_url")
    fetcher = media_fetcher(settings, max_bytes=limit)
    try:
        return fetcher.fetch(url)[1]
    except (StorageFailed, NotFound) as exc:
        raise MediaUnavailable(exc.message) from None
    finally:
        fetcher.close()


def render(raw: bytes, *, blur: bool) -> bytes:
    """The picture in greyscale, at most :data:`PREVIEW_SIDE` (blurred) or
    :data:`REVEAL_SIDE` (revealed) on its longest side, as PNG."""
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise MediaUnavailable("the picture is too large to draw")
            opened.draft("L", (REVEAL_SIDE, REVEAL_SIDE))  # JPEG: decode at a smaller scale
            picture = ImageOps.exif_transpose(opened).convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaUnavailable(f"the file is not a picture ({type(exc).__name__})") from None
    side = PREVIEW_SIDE if blur else REVEAL_SIDE
    picture.thumbnail((side, side))
    if blur:
        radius = max(picture.size) * BLUR_FRACTION
        picture = picture.filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def placeholder() -> bytes:
    """A grey tile with a crossed frame: no picture to show."""
    side = PREVIEW_SIDE
    picture = Image.new("L", (side, side), 200)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, side - 1, side - 1), outline=120, width=3)
    draw.line((0, 0, side - 1, side - 1), fill=150, width=2)
    draw.line((0, side - 1, side - 1, 0), fill=150, width=2)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
