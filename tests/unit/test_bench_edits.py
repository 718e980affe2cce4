"""The random edits of the robustness benchmark (bench/edits.py) do what they say."""

from __future__ import annotations

import io

import numpy as np
import pytest
from bench import edits
from bench.pictures import natural, scene
from PIL import Image


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    return scene(7).resize((400, 300))


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def test_a_frame_adds_its_share_of_each_side(picture):
    framed = edits.frame(picture, 0.10, 0.20, 0.05, 0.30, colour=(1, 2, 3))
    assert framed.size == (400 + 20 + 120, 300 + 30 + 60)
    pixels = np.asarray(framed)
    assert (pixels[:30] == (1, 2, 3)).all() and (pixels[-60:] == (1, 2, 3)).all()
    assert (pixels[:, :20] == (1, 2, 3)).all() and (pixels[:, -120:] == (1, 2, 3)).all()
    assert (pixels[30:-60, 20:-120] == np.asarray(picture)).all()


def test_a_crop_removes_its_share_of_each_side(picture):
    cropped = edits.crop(picture, 0.10, 0.0, 0.05, 0.02)
    assert cropped.size == (400 - 20 - 8, 300 - 30)
    assert (np.asarray(cropped) == np.asarray(picture)[30:, 20:392]).all()


def test_edits_are_the_same_for_the_same_seed(picture):
    def drawn(seed: int) -> list[bytes]:
        rng = np.random.default_rng(seed)
        out = []
        for family in (*edits.FAMILIES, edits.COMBINATION):
            edit = edits.draw(family, rng, picture.size)
            out.append(edits.apply(edit, picture)[0])
        return out

    assert drawn(3) == drawn(3)
    assert drawn(3) != drawn(4)


def test_parameters_stay_within_their_families_ranges(picture):
    rng = np.random.default_rng(0)
    for _ in range(300):
        frame = edits.draw("frame", rng, picture.size).steps[0]
        sides = [frame.params[k] for k in ("top", "bottom", "left", "right")]
        if frame.kind == "frame":
            assert all(0.01 <= s <= 0.30 for s in sides)
        else:
            bars = sides[:2] if frame.kind == "letterbox" else sides[2:]
            assert bars[0] == bars[1] >= 0.01
            assert sum(sides) == pytest.approx(2 * bars[0])
        tilt = edits.draw("tilt", rng, picture.size).steps[0]
        assert 0.5 <= abs(tilt.params["angle"]) <= 7
        crop = edits.draw("crop", rng, picture.size).steps[0]
        assert 0 < edits.removed(crop) <= 0.10
        rescale = edits.draw("rescale", rng, picture.size).steps[0]
        assert 0.2 <= rescale.params["factor"] <= 2.0 and abs(rescale.params["stretch"]) <= 0.1
        combined = edits.draw(edits.COMBINATION, rng, picture.size)
        assert len({s.family for s in combined.steps}) == 2
        saved = edits.draw("dihedral", rng, picture.size)
        assert saved.format in ("PNG", "JPEG") and 60 <= saved.quality <= 95


def test_letterbox_and_pillarbox_pad_to_their_aspect_ratio(picture):
    rng = np.random.default_rng(1)
    seen: set[str] = set()
    while len(seen) < 2:
        edit = edits.draw("frame", rng, picture.size)
        step = edit.steps[0]
        if step.kind == "frame":
            continue
        seen.add(step.kind)
        width, height = _decoded(edits.apply(edit, picture)[0]).size
        assert width / height == pytest.approx(edits.ASPECTS[step.params["aspect"]], rel=0.01)


def test_an_overlay_measures_the_pixels_it_changed():
    picture = natural(3)
    band = edits.Step(
        "overlay", "band", {"seed": 1, "where": "top", "height": 0.08, "colour": (0, 0, 0)}
    )
    _, facts = edits.apply_step(band, picture)
    assert facts["covered"] == pytest.approx(0.08, abs=0.01)
    sticker = {"kind": "shape", "area": 0.05, "aspect": 1.0, "at": (0.5, 0.5)}
    stickers = edits.Step("overlay", "stickers", {"seed": 2, "area": 0.05, "stickers": [sticker]})
    _, facts = edits.apply_step(stickers, picture)
    assert 0 < facts["covered"] <= 0.051


def test_bands_name_the_drawn_amount():
    crop = edits.Step("crop", "side", {"top": 0.07, "bottom": 0.0, "left": 0.0, "right": 0.0})
    assert ("removed", "5-10 %") in edits.bands(crop, {})
    tilt = edits.Step("tilt", "expand", {"angle": -6.0, "colour": (0, 0, 0), "resample": "nearest"})
    assert ("angle", "5-7 deg") in edits.bands(tilt, {})
