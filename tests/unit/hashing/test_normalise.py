"""Query-side normalisation: frames of any width and colour, tilts with any fill."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from alliance.hashing import media, normalise, pdq, variants

from .conftest import REFERENCE

PHOTO = REFERENCE / "bridge-mods/aaa-orig.jpg"


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(PHOTO) as image:
        small = image.convert("RGB")
    small.thumbnail((640, 640))
    return small


def _luma(image: Image.Image, quality: int | None = None) -> normalise.Luma:
    if quality is None:
        return media.luminance(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return media.luminance(pdq.decode(out.getvalue())[0])


@pytest.mark.parametrize(
    ("sides", "colour", "quality"),
    [
        ((3, 40, 170, 11), (250, 240, 30), None),  # asymmetric, any colour
        ((0, 120, 0, 120), (0, 0, 0), 70),  # letterbox bars, JPEG-noisy edges
        ((200, 0, 200, 0), (255, 255, 255), 85),  # pillarbox to a wide aspect
        ((6, 6, 6, 6), (128, 128, 128), 90),  # a thin mount
    ],
)
def test_a_frame_of_any_width_and_colour_comes_off(
    photo: Image.Image,
    sides: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    quality: int | None,
) -> None:
    framed = _luma(ImageOps.expand(photo, sides, fill=colour), quality)
    box = normalise.trim_box(framed)
    assert box is not None
    top, bottom, left, right = box
    # Within a JPEG block of the picture's own edge (ringing stops the trim early).
    assert abs(top - sides[1]) <= 8 and abs(left - sides[0]) <= 8
    assert abs(framed.shape[0] - bottom - sides[3]) <= 8
    assert abs(framed.shape[1] - right - sides[2]) <= 8


def test_a_picture_without_a_frame_is_left_alone(photo: Image.Image) -> None:
    assert normalise.trim_box(_luma(photo)) is None
    # A smooth gradient is picture, not frame, even where its lines are flat: at most the
    # few lines within the colour drift go (the bank trims its original the same way).
    ramp = np.tile(np.linspace(20, 230, 300, dtype=np.float32)[:, None], (1, 400))
    ramp[100:200, 150:250] = 0.0
    box = normalise.trim_box(ramp)
    assert box is None or (box[0] <= 6 and box[1] >= 294 and (box[2], box[3]) == (0, 400))


def test_a_noised_frame_still_comes_off(photo: Image.Image) -> None:
    framed = _luma(ImageOps.expand(photo, (50, 50, 50, 50), fill=(30, 60, 200)))
    noisy = framed + np.random.default_rng(3).normal(0, 12, framed.shape).astype(np.float32)
    box = normalise.trim_box(noisy)
    assert box is not None
    assert abs(box[0] - 50) <= 3 and abs(box[2] - 50) <= 3


def test_text_over_a_frame_is_trimmed_on_through(photo: Image.Image) -> None:
    sides = (30, 80, 60, 50)  # left, top, right, bottom
    framed = ImageOps.expand(photo, sides, fill=(0, 0, 0))
    draw = ImageDraw.Draw(framed)
    # A caption across the top frame and a band over part of the bottom one, as a meme
    # maker or a caption tool lays them over the whole framed picture.
    draw.text((framed.width / 2, 20), "CAPTION TEXT OVER THE FRAME", fill=(255, 255, 255),
              font=ImageFont.load_default(size=36), anchor="ma", stroke_width=2,
              stroke_fill=(0, 0, 0))  # fmt: skip
    draw.rectangle((0, framed.height - 30, framed.width, framed.height - 10), fill=(200, 40, 40))
    luma = _luma(framed)
    box = normalise.trim_box(luma)
    assert box is not None
    assert box[0] < 40  # the strict trim stops at the text (and at the band)
    assert framed.height - box[1] < 30
    loose = normalise.loose_trim_box(luma, box)
    assert loose is not None
    top, bottom, left, right = loose
    assert abs(top - 80) <= 2 and abs(framed.height - bottom - 50) <= 2
    assert abs(left - 30) <= 2 and abs(framed.width - right - 60) <= 2
    # A frame without anything over it: the strict trim already has it all.
    plain = _luma(ImageOps.expand(photo, sides, fill=(0, 0, 0)))
    assert normalise.loose_trim_box(plain, normalise.trim_box(plain)) is None


def test_a_band_under_dense_caption_text_is_trimmed_on_through(photo: Image.Image) -> None:
    """Lines where the ink covers most of the band (bold capitals, an outline) are not
    flat; the band goes on below them, and the loose trim takes it to its end."""
    banded = ImageOps.expand(photo, (0, 70, 0, 0), fill=(60, 40, 140))
    draw = ImageDraw.Draw(banded)
    font = ImageFont.load_default(size=40)
    draw.text((4, 14), "WWW MMM WWW MMM WWW MMM", fill=(255, 255, 255), font=font,
              stroke_width=3, stroke_fill=(0, 0, 0))  # fmt: skip
    luma = _luma(banded)
    inked = np.abs(luma[14:60] - luma[2, 0]) > normalise.BORDER_TOLERANCE
    assert inked.mean(axis=1).max() > 1 - normalise.LOOSE_FLAT_SHARE  # a line mostly ink
    box = normalise.trim_box(luma)
    assert box is not None and box[0] < 30  # stopped at the text
    loose = normalise.loose_trim_box(luma, box)
    assert loose is not None and abs(loose[0] - 70) <= 2


@pytest.mark.parametrize(
    ("degrees", "expand", "fill"),
    [
        (3.0, False, (255, 255, 255)),
        (-5.5, False, (0, 0, 0)),
        (6.5, True, (200, 30, 90)),
        (-2.0, True, (255, 255, 255)),
    ],
)
def test_a_tilt_is_found_with_any_fill(
    photo: Image.Image, degrees: float, expand: bool, fill: tuple[int, int, int]
) -> None:
    tilted = photo.rotate(degrees, Image.Resampling.BICUBIC, expand=expand, fillcolor=fill)
    found = normalise.find_tilt(_luma(tilted, 85))
    assert found is not None
    # Refined on the picture: near enough to repaint the corners (the bank has the angle)
    assert abs(found.degrees - degrees) <= 0.5
    assert found.expanded is expand
    straight = normalise.untilt(_luma(tilted, 85), found)
    assert straight is not None
    assert abs(straight.shape[0] / photo.height - 1) <= 0.03
    assert abs(straight.shape[1] / photo.width - 1) <= 0.03
    assert straight[0, 0] == 0.0  # repainted black, as the bank's tilts


@pytest.mark.parametrize(
    ("degrees", "fill"), [(1.6, (255, 255, 255)), (-1.6, (90, 200, 60)), (2.2, (0, 0, 0))]
)
def test_a_small_tilt_of_a_small_picture_is_found(
    photo: Image.Image, degrees: float, fill: tuple[int, int, int]
) -> None:
    # Corners a few pixels deep: lost on a coarse copy, read on a finer one.
    small = photo.resize((320, 240), Image.Resampling.BICUBIC)
    tilted = small.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=fill)
    found = normalise.find_tilt(_luma(tilted, 90))
    assert found is not None and not found.expanded
    assert abs(found.degrees - degrees) <= 0.5


def test_untilt_leaves_the_picture_and_its_edge_as_the_bank_tilts_them(photo: Image.Image) -> None:
    luma = _luma(photo)
    tilted = variants.tilt(luma, 3.0)  # the bank's form: black corners
    straight = normalise.untilt(tilted, normalise.Tilt(3.0, False, 0.0))
    assert straight is not None
    # Nothing of the picture is painted over, its anti-aliased edge included.
    assert np.abs(straight - tilted).max() <= 1.0
    white = photo.rotate(3.0, Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    repainted = normalise.untilt(_luma(white), normalise.Tilt(3.0, False, 255.0))
    assert repainted is not None
    banked = pdq.pdq_from_luma(tilted)
    assert pdq.pdq_from_luma(repainted).distance(banked) <= 12


@pytest.mark.parametrize("expand", [False, True])
def test_derotate_turns_the_picture_back_and_keeps_what_was_seen(
    photo: Image.Image, expand: bool
) -> None:
    luma = _luma(photo)
    tilted = photo.rotate(5.0, Image.Resampling.BICUBIC, expand=expand, fillcolor=(255, 0, 0))
    back, seen = normalise.derotate(_luma(tilted), normalise.Tilt(5.0, expand, 76.0))
    assert abs(back.shape[0] - luma.shape[0]) <= 2 and abs(back.shape[1] - luma.shape[1]) <= 2
    rows, cols = seen.shape
    if expand:  # the whole picture, a pixel less a side
        assert (rows, cols) == (back.shape[0] - 2, back.shape[1] - 2)
    else:  # an even crop: 5 degrees cut off about 6 % a side of this 8:5 picture
        assert 0.86 <= rows / luma.shape[0] <= 0.9 and 0.86 <= cols / luma.shape[1] <= 0.9

    # Upright again: the seen part is the picture's own pixels (the middle of each, a
    # pixel of rounding either way), not a tilted copy of them.
    def middle(a: normalise.Luma) -> normalise.Luma:
        top, left = (a.shape[0] - rows) // 2 + 4, (a.shape[1] - cols) // 2 + 4
        return a[top : top + rows - 8, left : left + cols - 8]

    assert np.abs(middle(seen) - middle(luma)).mean() < 6
    assert np.abs(middle(seen) - middle(_luma(tilted))).mean() > 12


@pytest.mark.parametrize(
    ("degrees", "fill", "cut"),
    [
        (2.5, (0, 0, 0), (0.09, 0.0, 0.0, 0.05)),  # the top corners cut away
        (-4.0, (0, 0, 0), (0.0, 0.07, 0.03, 0.0)),  # the bottom-left one
        (6.0, (40, 160, 220), (0.03, 0.03, 0.03, 0.03)),  # all shrunk, one is like the fill
        (-1.5, (0, 0, 0), (0.0, 0.0, 0.06, 0.0)),  # a small tilt, one side off
    ],
)
def test_a_tilt_cropped_afterwards_is_found_and_turned_back(
    photo: Image.Image,
    degrees: float,
    fill: tuple[int, int, int],
    cut: tuple[float, float, float, float],
) -> None:
    tilted = photo.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=fill)
    top, bottom, left, right = cut
    width, height = tilted.size
    box = (round(width * left), round(height * top), width - round(width * right),
           height - round(height * bottom))  # fmt: skip
    luma = _luma(tilted.crop(box), 85)
    found = normalise.find_cropped_tilt(luma)
    assert found is not None and len(found.corners) >= 2
    assert abs(found.degrees - degrees) <= 0.3
    upright = normalise.derotate_cropped(luma, found)
    assert upright is not None
    # Upright again, it meets one of the bank's forms of the picture (its crops, or the
    # whole picture where the crop only shrank the corners); the copy as it is does not.
    out = io.BytesIO()
    photo.save(out, "PNG")
    bank = variants.hash_variants(out.getvalue()).values()
    nearest = min(pdq.pdq_from_luma(upright).distance(h) for h in bank)
    assert nearest <= 31
    assert nearest < min(pdq.pdq_from_luma(luma).distance(h) for h in bank)


def test_a_cropped_tilt_is_not_read_into_an_upright_picture(photo: Image.Image) -> None:
    assert normalise.find_cropped_tilt(_luma(photo, 85)) is None
    dark = np.full((300, 400), 10.0, np.float32)
    dark[40:260, 60:340] = np.linspace(60, 220, 280, dtype=np.float32)  # a dark surround
    assert normalise.find_cropped_tilt(dark) is None
    vignette = np.fromfunction(
        lambda y, x: 255 - np.hypot(y - 150, x - 200), (300, 400), dtype=np.float32
    )  # dark corners, but no straight edge
    assert normalise.find_cropped_tilt(np.clip(vignette * 2 - 200, 0, 255)) is None


def test_unseen_pixels_are_painted_with_their_neighbourhood() -> None:
    luma = np.tile(np.linspace(220, 20, 64, dtype=np.float32), (48, 1))
    seen = np.ones(luma.shape, dtype=bool)
    seen[:6, :6] = False  # a corner the canvas cut off
    painted = normalise.fill_unseen(np.where(seen, luma, 0.0).astype(np.float32), seen)
    assert np.array_equal(painted[seen], luma[seen])
    assert np.abs(painted[:6, :6] - luma[:6, :6]).max() < 25  # black was 200 off
    assert normalise.fill_unseen(luma, np.ones(luma.shape, dtype=bool)) is not None


def test_an_upright_picture_or_a_plain_background_is_no_tilt(photo: Image.Image) -> None:
    assert normalise.find_tilt(_luma(photo, 85)) is None
    plain = np.full((300, 400), 255.0, np.float32)
    plain[100:200, 150:250] = 40.0  # a dark object on white: corners alike, no tilt
    assert normalise.find_tilt(plain) is None


@pytest.mark.parametrize("size", [(1, 1), (2, 5), (40, 3), (33, 33)])
def test_a_tiny_picture_is_searched_by_its_own_hash(size: tuple[int, int]) -> None:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty slice on the way
        assert list(variants.query_hashes(out.getvalue())) == ["original"]
