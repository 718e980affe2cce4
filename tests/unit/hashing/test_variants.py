"""Robust-banking variants: each ordinary edit the bank covers is found by its single hash."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageOps

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


def _closest(bank: dict[str, pdq.PdqHash], data: bytes) -> tuple[int, str]:
    query = pdq.hash_file(data)
    return min((query.distance(h), name) for name, h in bank.items())


def test_variant_names_are_unique_and_fit_a_byte() -> None:
    assert len(set(variants.VARIANT_NAMES)) == len(variants.VARIANT_NAMES) <= 255
    assert variants.VARIANT_NAMES[0] == "original"


def test_every_variant_is_hashed(bank: dict[str, pdq.PdqHash]) -> None:
    # Not unletterbox: the photo has no border; not frame: it is no animation.
    assert set(bank) == set(variants.VARIANT_NAMES) - {"unletterbox", variants.ANIMATION_FRAME}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda im: ImageOps.expand(
                im, (im.width // 10, im.height // 10) * 2, fill=(255, 255, 255)
            ),
            "border_white_10",
        ),
        (lambda im: im.rotate(-2, Image.Resampling.BICUBIC), "tilt_cw_2"),
        (lambda im: im.crop((0, 0, round(im.width * 0.95), im.height)), "crop_right_95"),
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
    assert name.startswith(expected)


def test_tilt_and_frame_keep_shape_and_fill() -> None:
    luma = np.full((40, 60), 200.0, np.float32)
    tilted = variants.tilt(luma, 4.0)
    assert tilted.shape == luma.shape
    assert tilted[0, 0] == 0.0  # corners uncovered by the rotation are black
    framed = variants.frame(luma, 255.0, 0.1, 0.0)
    assert framed.shape == (48, 60)
    assert framed[0, 30] == 255.0


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
