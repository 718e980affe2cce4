"""Robust-banking variants: each ordinary edit the bank covers is found by its single hash."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from alliance.hashing import parallel, pdq, variants

from .conftest import REFERENCE

PHOTO = REFERENCE / "bridge-mods/aaa-orig.jpg"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def bank() -> dict[str, pdq.PdqHash]:
    return variants.hash_variants(PHOTO)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(PHOTO) as image:
        return image.convert("RGB")


def _captioned(image: Image.Image) -> Image.Image:
    """Flat bands over the top and bottom 12 % (where meme captions go)."""
    out = image.copy()
    band = round(out.height * 0.12)
    out.paste((250, 250, 250), (0, 0, out.width, band))
    out.paste((20, 20, 20), (0, out.height - band, out.width, out.height))
    return out


def _banded(image: Image.Image) -> Image.Image:
    """A caption band with text over the top 5 % of the whole (framed) picture."""
    out = image.copy()
    band = round(out.height * 0.05)
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, out.width, band), fill=(240, 240, 20))
    draw.text((20, band / 2), "a caption on the band", fill=(0, 0, 0), anchor="lm")
    return out


def _closest(bank: dict[str, pdq.PdqHash], data: bytes) -> tuple[int, str]:
    query = pdq.hash_file(data)
    return min((query.distance(h), name) for name, h in bank.items())


def test_variant_names_are_unique_and_fit_a_byte() -> None:
    assert len(set(variants.VARIANT_NAMES)) == len(variants.VARIANT_NAMES) <= 255
    assert variants.VARIANT_NAMES[0] == "original"


def test_every_variant_is_hashed(bank: dict[str, pdq.PdqHash]) -> None:
    # Not unletterbox: the photo has no border; not frame: it is no animation.
    assert set(bank) == set(variants.BANK_VARIANT_NAMES) - {"unletterbox"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda im: im.rotate(-2, Image.Resampling.BICUBIC), "tilt_cw_2"),
        (lambda im: im.rotate(5, Image.Resampling.BICUBIC), "tilt_ccw_5"),
        (lambda im: im.crop((0, 0, round(im.width * 0.925), im.height)), "crop_right_7.5"),
        (
            lambda im: im.crop((0, round(im.height * 0.025), round(im.width * 0.9), im.height)),
            "crop_top_2.5_right_10",
        ),
    ],
)
def test_edits_match_their_banked_variant(
    bank: dict[str, pdq.PdqHash],
    photo: Image.Image,
    edit: Callable[[Image.Image], Image.Image],
    expected: str,
) -> None:
    distance, name = _closest(bank, _png(edit(photo)))
    assert distance <= pdq.MATCH_THRESHOLD
    assert name == expected


@pytest.mark.parametrize(
    ("edit", "form"),
    [
        # A frame of any width and colour, asymmetric, comes off on the query side.
        (lambda im: ImageOps.expand(im, (3, 40, 170, 11), fill=(250, 240, 30)), "unletterbox"),
        (lambda im: ImageOps.expand(im, (9, 9, 9, 9), fill=(255, 255, 255)), "unletterbox"),
        (lambda im: ImageOps.expand(im, (0, 260, 0, 260), fill=(0, 0, 0)), "unletterbox"),
        # A tilt with white corners, and one on a grown canvas, are repainted as banked.
        (
            lambda im: im.rotate(3.3, Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)),
            "untilt",
        ),
        (
            lambda im: im.rotate(-6.2, Image.Resampling.BICUBIC, expand=True, fillcolor=(9, 99, 9)),
            "untilt",
        ),
        # A mirrored copy that was also tilted meets the bank's tilt through its mirror.
        (
            lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).rotate(
                4, Image.Resampling.BICUBIC
            ),
            "flip_horizontal",
        ),
        # Turned back upright: on a grown canvas the whole picture meets its original...
        (
            lambda im: im.rotate(4.4, Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0)),
            "derotate",
        ),
        # ... and a frame added before the tilt comes off the upright picture.
        (
            lambda im: ImageOps.expand(im, (60, 30, 90, 120), fill=(40, 40, 40)).rotate(
                3.5, Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)
            ),
            "derotate_unletterbox",
        ),
        # A band laid over a frame (across the whole framed picture) stops the trim; the
        # loose trim goes on through it.
        (
            lambda im: _banded(ImageOps.expand(im, (40, 70, 50, 60), fill=(90, 90, 90))),
            "unletterbox_loose",
        ),
        # A crop before the tilt: the whole upright picture, the corners the canvas cut
        # off painted, meets the bank's crop ...
        (
            lambda im: im.crop((0, 0, im.width, round(im.height * 0.91))).rotate(
                5.5, Image.Resampling.BICUBIC
            ),
            "derotate_whole",
        ),
        # ... and a crop after it (the top corners cut away) is turned back by the corners
        # left.
        (
            lambda im: (t := im.rotate(-3.5, Image.Resampling.BICUBIC)).crop(
                (0, round(t.height * 0.08), round(t.width * 0.96), t.height)
            ),
            "derotate_cropped",
        ),
        # ... also of a grown canvas (whose centred picture the crop moved).
        (
            lambda im: (
                t := im.rotate(5, Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))
            ).crop((round(t.width * 0.07), 0, t.width, t.height)),
            "derotate_cropped",
        ),
        # Captions before the tilt: the upright picture's middle strip meets the bank's.
        (lambda im: _captioned(im).rotate(-2.5, Image.Resampling.BICUBIC), "derotate_middle_70"),
    ],
)
def test_query_forms_undo_frames_tilts_and_flips(
    bank: dict[str, pdq.PdqHash],
    photo: Image.Image,
    edit: Callable[[Image.Image], Image.Image],
    form: str,
) -> None:
    forms = variants.query_hashes(_png(edit(photo)))
    closest = min(forms[form].distance(h) for h in bank.values())
    assert closest <= pdq.MATCH_THRESHOLD


def test_a_tilted_query_sends_its_upright_forms_within_the_api_limit(photo: Image.Image) -> None:
    framed = ImageOps.expand(photo, (60, 30, 90, 120), fill=(40, 40, 40))
    forms = variants.query_hashes(_png(framed.rotate(-5, Image.Resampling.BICUBIC, expand=True)))
    assert {"untilt", "derotate", "derotate_unletterbox", "derotate_middle_70"} <= set(forms)
    assert {"derotate_half_top", "derotate_half_right"} <= set(forms)
    assert len(forms) <= variants.MAX_QUERY_FORMS


def test_query_forms_of_an_unedited_picture_start_with_its_own_hash(
    bank: dict[str, pdq.PdqHash],
) -> None:
    forms = variants.query_hashes(PHOTO)
    assert next(iter(forms)) == "original"
    assert forms["original"] == bank["original"]
    assert "unletterbox" not in forms and "untilt" not in forms
    # 8 turns of the picture, of its middle strip and of its 4 quarters, and its 4 halves
    # upright (the quarters' turns cover a turned copy's stickers), all distinct.
    assert len(forms) == 52
    assert {"half_top", "half_bottom", "half_left", "half_right"} <= set(forms)
    assert {"quarter_top_left", "quarter_bottom_right_flip_horizontal"} <= set(forms)


def _stuck(
    photo: Image.Image, share: float, *stickers: tuple[float, float, tuple[int, int, int]]
) -> Image.Image:
    """``photo`` with opaque square stickers of ``share`` of its area each: (x, y, colour),
    x and y the sticker's centre as fractions of the width and height, kept 10 pixels
    inside the picture."""
    stuck = photo.copy()
    width, height = stuck.size
    side = round((share * width * height) ** 0.5)
    for x, y, colour in stickers:
        left = min(max(round(width * x - side / 2), 10), width - side - 10)
        top = min(max(round(height * y - side / 2), 10), height - side - 10)
        stuck.paste(colour, (left, top, left + side, top + side))
    return stuck


def test_a_sticker_leaves_a_half_that_the_bank_keeps(
    bank: dict[str, pdq.PdqHash], photo: Image.Image
) -> None:
    # An opaque sticker of 8 % of the area in the lower right quarter.
    forms = variants.query_hashes(_png(_stuck(photo, 0.08, (1.0, 1.0, (255, 0, 200)))))
    assert forms["half_top"].distance(bank["half_top"]) <= pdq.MATCH_THRESHOLD
    assert forms["half_left"].distance(bank["half_left"]) <= pdq.MATCH_THRESHOLD


def test_stickers_in_every_half_leave_a_quarter_that_the_bank_keeps(
    bank: dict[str, pdq.PdqHash], photo: Image.Image
) -> None:
    # Two stickers of 4 % of the area each, one across the middle of the left side, one
    # across the middle of the bottom: every half is touched, the top right quarter is not.
    stuck = _stuck(photo, 0.04, (0.0, 0.5, (250, 210, 0)), (0.5, 1.0, (20, 90, 230)))
    forms = variants.query_hashes(_png(stuck))
    assert all(
        forms[h].distance(bank[h]) > pdq.MATCH_THRESHOLD for h in ("half_left", "half_bottom")
    )
    assert forms["quarter_top_right"].distance(bank["quarter_top_right"]) <= pdq.MATCH_THRESHOLD
    # Mirrored, the same quarter is the query's top left one, mirrored back.
    mirrored = variants.query_hashes(_png(ImageOps.mirror(stuck)))
    back = mirrored["quarter_top_left_flip_horizontal"]
    assert back.distance(bank["quarter_top_right"]) <= pdq.MATCH_THRESHOLD


def test_a_quarter_is_the_bank_quarter_cut_from_the_whole() -> None:
    """The query's quarter (pdq.Filtered.part of a rectangle) hashes the pixels the bank's
    quarter (variants.crop) holds."""
    rng = np.random.default_rng(3)
    luma = np.kron(rng.uniform(0, 255, (25, 31)), np.ones((9, 9))).astype(np.float32)
    whole = pdq.Filtered(luma)
    rows, cols = luma.shape
    for name, top, bottom, left, right in variants.QUARTERS:
        cut = variants.crop(luma, top, bottom, left, right)
        kept_rows = (round(rows * top), rows - round(rows * bottom))
        kept_cols = (round(cols * left), cols - round(cols * right))
        blocks = whole.part(rows=kept_rows, cols=kept_cols)
        assert pdq.pdq_from_block(blocks["original"]) == pdq.pdq_from_luma(cut), name
        mirrored = pdq.pdq_from_block(blocks["flip_horizontal"])
        assert mirrored == pdq.pdq_from_luma(np.ascontiguousarray(cut[:, ::-1])), name


def test_tilt_keeps_shape_and_fill() -> None:
    luma = np.full((40, 60), 200.0, np.float32)
    tilted = variants.tilt(luma, 4.0)
    assert tilted.shape == luma.shape
    assert tilted[0, 0] == 0.0  # corners uncovered by the rotation are black


def test_middle_strip_leaves_out_top_and_bottom() -> None:
    luma = np.arange(100 * 30, dtype=np.float32).reshape(100, 30)
    middle = variants.strip(luma, 0.15)
    assert middle.shape == (70, 30)
    assert middle[0, 0] == luma[15, 0]


def test_a_flat_middle_strip_is_not_banked() -> None:
    # Detail only at the top and bottom: the middle's bits would be noise.
    rng = np.random.default_rng(7)
    pixels = np.full((200, 200), 128, np.uint8)
    pixels[:30] = rng.integers(0, 256, (30, 200))
    pixels[170:] = rng.integers(0, 256, (30, 200))
    forms = variants.hash_variants(_png(Image.fromarray(pixels)))
    assert "middle_70" not in forms
    assert "original" in forms


def _negate(value: int) -> int:
    return -value


def test_map_in_processes_keeps_order_and_limits_blas() -> None:
    items = list(range(50))
    assert list(parallel.map_in_processes(_negate, items, 2)) == [-i for i in items]
    assert list(parallel.map_in_processes(_negate, items, 1)) == [-i for i in items]
    assert parallel.chunk_size(10_000, 2) == 16
    assert parallel.chunk_size(400, 2) == 6
    assert parallel.chunk_size(3, 2) == 1


def test_bank_halves_are_cut_inside_the_frame() -> None:
    """A framed entry's halves are its picture's halves, as a query cuts them, not bands
    of frame (which meet unrelated flat pictures)."""
    rng = np.random.default_rng(5)
    coarse = rng.uniform(0, 255, (18, 22)).astype(np.float32)
    picture = np.kron(coarse, np.ones((16, 16), np.float32))  # 288 x 352, detailed edges
    picture += rng.uniform(0, 24, picture.shape).astype(np.float32)  # and no flat quarter
    framed = np.full((288 + 70, 352 + 50), 235.0, np.float32)
    framed[30:318, 20:372] = picture
    plain = variants.luma_variants(picture, crops=False, tilts=False, thumbnails=False)
    inside = variants.luma_variants(framed, crops=False, tilts=False, thumbnails=False)
    for name, *_ in (*variants.HALVES, *variants.QUARTERS):
        assert np.array_equal(plain[name], inside[name]), name


def test_a_flat_quarter_is_neither_banked_nor_sent() -> None:
    """A disc on black: each quarter is mostly the outline of the disc, which unrelated
    pictures share; the halves are kept."""
    rows, cols = np.mgrid[:400, :400]
    rng = np.random.default_rng(9)
    inside = (rows - 200) ** 2 + (cols - 200) ** 2 < 190**2
    disc = np.where(inside, rng.uniform(60, 250, (400, 400)), 0.0).astype(np.uint8)
    banked = variants.luma_variants(disc.astype(np.float32), crops=False, tilts=False)
    assert {"half_top", "half_left"} <= set(banked)
    assert not {name for name, *_ in variants.QUARTERS} & set(banked)
    forms = variants.query_hashes(_png(Image.fromarray(disc)))
    assert not any(name.startswith("quarter_") for name in forms)
