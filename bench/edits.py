"""Random ordinary edits of a picture, for the robustness benchmark (issue 18).

An :class:`Edit` is one or two :class:`Step` s and the format the result is saved in; every
parameter is drawn from a seeded generator over the whole range of its family (nothing is
chosen by looking at what the matcher handles):

- ``frame``: a uniform frame, each side 1-30 % of that side drawn on its own, in black,
  white, grey or any colour; or letterbox (top and bottom) or pillarbox (left and right)
  bars that pad the picture to a common aspect ratio (1:1 ... 21:9, 9:16), as wide as
  that takes;
- ``tilt``: rotation by 0.5-7 degrees either way, the corners black, white, any colour,
  or the canvas grown to hold the whole picture (black corners);
- ``crop``: up to 10 % off one side, off two adjacent sides (a corner: each drawn on its
  own), or off all four (a centre crop);
- ``overlay``: meme captions (top, bottom or both), a caption band, a translucent
  watermark across the picture (any place, angle, opacity, size), or 1-3 stickers
  (shapes, emoji-like faces, patches of another picture) anywhere, up to 10 % of the area;
  the share of pixels the overlay changed is measured (:data:`Facts` ``covered``);
- ``photometric``: JPEG at quality 20-95, Gaussian blur (radius 0.5-2.5), Gaussian noise
  (sigma 2-20), brightness, contrast, saturation or gamma x0.6-1.4, greyscale,
  sharpening (unsharp mask);
- ``rescale``: x0.2-2.0 with any of Pillow's resampling filters, a third of the time with
  the aspect ratio changed by up to +-10 %;
- ``dihedral``: one of the 7 flips and rotations by multiples of 90 degrees;
- ``combination``: two different families above, in random order.

Every edit is then saved as PNG or as JPEG of quality 60-95 (half the time each).
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from bench.pictures import natural, scene, words

FAMILIES = ("frame", "tilt", "crop", "overlay", "photometric", "rescale", "dihedral")
COMBINATION = "combination"

#: Measured facts of an applied step (``covered``: share of the pixels an overlay changed).
Facts = dict[str, float]
RGB = tuple[int, int, int]

#: Aspect ratios (width / height) that letterbox and pillarbox bars pad to.
ASPECTS: dict[str, float] = {
    "9:16": 9 / 16, "2:3": 2 / 3, "3:4": 3 / 4, "4:5": 4 / 5, "1:1": 1.0, "5:4": 5 / 4,
    "4:3": 4 / 3, "3:2": 3 / 2, "16:9": 16 / 9, "1.85:1": 1.85, "2:1": 2.0, "21:9": 21 / 9,
}  # fmt: skip

FILTERS: dict[str, Image.Resampling] = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
ROTATION_FILTERS = ("nearest", "bilinear", "bicubic")

DIHEDRAL: dict[str, Image.Transpose] = {
    "flip left-right": Image.Transpose.FLIP_LEFT_RIGHT,
    "flip top-bottom": Image.Transpose.FLIP_TOP_BOTTOM,
    "rotate 90": Image.Transpose.ROTATE_90,
    "rotate 180": Image.Transpose.ROTATE_180,
    "rotate 270": Image.Transpose.ROTATE_270,
    "transpose": Image.Transpose.TRANSPOSE,
    "transverse": Image.Transpose.TRANSVERSE,
}

PHOTOMETRIC = (
    "jpeg", "blur", "noise", "brightness", "contrast", "saturation", "gamma", "greyscale",
    "sharpen",
)  # fmt: skip


@dataclass
class Step:
    """One edit of one family; ``params`` hold every drawn value (and a ``seed`` for the
    randomness inside, such as noise or the words of a caption)."""

    family: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Edit:
    family: str  # one of FAMILIES, or COMBINATION
    steps: tuple[Step, ...]
    format: str  # "PNG" or "JPEG"
    quality: int  # of the JPEG


# --- drawing ---------------------------------------------------------------------------


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def _colour(rng: np.random.Generator) -> tuple[str, RGB]:
    """Black, white or grey a fifth of the time each, any colour two fifths."""
    kind = str(rng.choice(["black", "white", "grey", "colour"], p=[0.2, 0.2, 0.2, 0.4]))
    if kind == "black":
        return kind, (0, 0, 0)
    if kind == "white":
        return kind, (255, 255, 255)
    if kind == "grey":
        v = int(rng.integers(32, 225))
        return kind, (v, v, v)
    r, g, b = (int(c) for c in rng.integers(0, 256, 3))
    return kind, (r, g, b)


def _draw_frame(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    width, height = size
    colour_kind, colour = _colour(rng)
    kind = str(rng.choice(["frame", "letterbox", "pillarbox"], p=[0.6, 0.2, 0.2]))
    # Bars of at least 1 % of the side: the target aspect must differ enough.
    taller = [n for n, a in ASPECTS.items() if (width / a - height) / (2 * height) >= 0.01]
    wider = [n for n, a in ASPECTS.items() if (height * a - width) / (2 * width) >= 0.01]
    if kind == "letterbox" and not taller:
        kind = "pillarbox"
    if kind == "pillarbox" and not wider:
        kind = "letterbox"
    params: dict[str, Any] = {"colour": colour, "colour_kind": colour_kind}
    if kind == "frame":
        top, bottom, left, right = (float(v) for v in rng.uniform(0.01, 0.30, 4))
    elif kind == "letterbox":
        target = str(rng.choice(taller))
        top = bottom = (width / ASPECTS[target] - height) / (2 * height)
        left = right = 0.0
        params["aspect"] = target
    else:
        target = str(rng.choice(wider))
        left = right = (height * ASPECTS[target] - width) / (2 * width)
        top = bottom = 0.0
        params["aspect"] = target
    params.update(top=top, bottom=bottom, left=left, right=right)
    return Step("frame", kind, params)


def _draw_tilt(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    angle = float(rng.uniform(0.5, 7.0)) * float(rng.choice([-1.0, 1.0]))
    kind = str(rng.choice(["black", "white", "colour", "expand"]))
    colour: RGB = (0, 0, 0)
    if kind == "white":
        colour = (255, 255, 255)
    elif kind == "colour":
        r, g, b = (int(c) for c in rng.integers(0, 256, 3))
        colour = (r, g, b)
    resample = str(rng.choice(ROTATION_FILTERS))
    return Step("tilt", kind, {"angle": angle, "colour": colour, "resample": resample})


def _draw_crop(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    kind = str(rng.choice(["side", "corner", "centre"]))
    edges = dict.fromkeys(("top", "bottom", "left", "right"), 0.0)
    if kind == "side":
        edges[str(rng.choice(list(edges)))] = float(rng.uniform(0.005, 0.10))
    elif kind == "corner":
        edges[str(rng.choice(["top", "bottom"]))] = float(rng.uniform(0.005, 0.10))
        edges[str(rng.choice(["left", "right"]))] = float(rng.uniform(0.005, 0.10))
    else:
        share = float(rng.uniform(0.005, 0.10))  # of each axis, half on either side
        edges = dict.fromkeys(edges, share / 2)
    return Step("crop", kind, edges)


def _draw_overlay(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    kind = str(rng.choice(["meme", "band", "watermark", "stickers"]))
    params: dict[str, Any] = {"seed": _seed(rng)}
    if kind == "meme":
        params["where"] = str(rng.choice(["top", "bottom", "both"]))
        params["font"] = float(rng.uniform(0.05, 0.12))  # of the height
        params["colour"] = _colour(rng)[1] if rng.random() < 0.3 else (255, 255, 255)
    elif kind == "band":
        params["where"] = str(rng.choice(["top", "bottom"]))
        params["height"] = float(rng.uniform(0.02, 0.10))
        params["colour"] = _colour(rng)[1]
    elif kind == "watermark":
        params["font"] = float(rng.uniform(0.04, 0.15))
        params["angle"] = float(rng.uniform(-45, 45))
        params["opacity"] = float(rng.uniform(0.15, 0.6))
        params["colour"] = _colour(rng)[1]
        params["centre"] = (float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9)))
    else:
        count = int(rng.integers(1, 4))
        area = float(rng.uniform(0.005, 0.10))
        params["area"] = area
        params["stickers"] = [
            {
                "kind": str(rng.choice(["shape", "emoji", "patch"])),
                "area": float(a) * area,
                "aspect": float(math.exp(rng.uniform(math.log(0.5), math.log(2.0)))),
                "at": (float(rng.random()), float(rng.random())),
            }
            for a in rng.dirichlet(np.ones(count))
        ]
    return Step("overlay", kind, params)


def _draw_photometric(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    kind = str(rng.choice(PHOTOMETRIC))
    params: dict[str, Any] = {"seed": _seed(rng)}
    if kind == "jpeg":
        params["quality"] = int(rng.integers(20, 96))
    elif kind == "blur":
        params["radius"] = float(rng.uniform(0.5, 2.5))
    elif kind == "noise":
        params["sigma"] = float(rng.uniform(2, 20))
    elif kind in ("brightness", "contrast", "saturation", "gamma"):
        params["factor"] = float(rng.uniform(0.6, 1.4))
    elif kind == "sharpen":
        params["radius"] = float(rng.uniform(0.5, 3.0))
        params["percent"] = int(rng.integers(50, 251))
        params["threshold"] = int(rng.integers(0, 5))
    return Step("photometric", kind, params)


def _draw_rescale(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    factor = float(rng.uniform(0.2, 2.0))
    stretch = float(rng.uniform(-0.10, 0.10)) if rng.random() < 1 / 3 else 0.0
    axis = str(rng.choice(["width", "height"]))
    kind = str(rng.choice(list(FILTERS)))
    return Step("rescale", kind, {"factor": factor, "stretch": stretch, "axis": axis})


def _draw_dihedral(rng: np.random.Generator, size: tuple[int, int]) -> Step:
    return Step("dihedral", str(rng.choice(list(DIHEDRAL))))


_DRAW: dict[str, Callable[[np.random.Generator, tuple[int, int]], Step]] = {
    "frame": _draw_frame,
    "tilt": _draw_tilt,
    "crop": _draw_crop,
    "overlay": _draw_overlay,
    "photometric": _draw_photometric,
    "rescale": _draw_rescale,
    "dihedral": _draw_dihedral,
}


def draw(family: str, rng: np.random.Generator, size: tuple[int, int]) -> Edit:
    """A random edit of ``family`` (or :data:`COMBINATION`) for a picture of ``size``."""
    if family == COMBINATION:
        first, second = (str(f) for f in rng.choice(FAMILIES, 2, replace=False))
        steps: tuple[Step, ...] = (_DRAW[first](rng, size), _DRAW[second](rng, size))
    else:
        steps = (_DRAW[family](rng, size),)
    jpeg = bool(rng.random() < 0.5)
    return Edit(family, steps, "JPEG" if jpeg else "PNG", int(rng.integers(60, 96)))


# --- applying --------------------------------------------------------------------------


def frame(
    image: Image.Image, top: float, bottom: float, left: float, right: float, colour: RGB
) -> Image.Image:
    """``image`` inside a uniform frame; each side a share of the image's own side."""
    width, height = image.size
    x, y = round(width * left), round(height * top)
    size = (width + x + round(width * right), height + y + round(height * bottom))
    canvas = Image.new("RGB", size, colour)
    canvas.paste(image, (x, y))
    return canvas


def crop(image: Image.Image, top: float, bottom: float, left: float, right: float) -> Image.Image:
    """``image`` without these shares of its height (top, bottom) and width (left, right)."""
    width, height = image.size
    return image.crop(
        (round(width * left), round(height * top),
         width - round(width * right), height - round(height * bottom))
    )  # fmt: skip


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(round(size), 6))


def _fitted(text: str, size: float, width: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size``, smaller if the text would be wider than ``width``."""
    font = _font(size)
    length = font.getlength(text)
    if length > width:
        font = _font(size * width / length)
    return font


def _words(rng: np.random.Generator, low: int, high: int) -> str:
    return words(rng, int(rng.integers(low, high + 1))).upper()


def _meme(image: Image.Image, p: dict[str, Any]) -> Image.Image:
    rng = np.random.default_rng(p["seed"])
    out = image.copy()
    draw = ImageDraw.Draw(out)
    width, height = out.size
    size = p["font"] * height
    margin = height * rng.uniform(0.01, 0.05)
    places = ["top", "bottom"] if p["where"] == "both" else [p["where"]]
    for where in places:
        text = _words(rng, 1, 5)
        font = _fitted(text, size, width * 0.95)
        stroke = max(1, round(getattr(font, "size", size) / 12))
        y, anchor = (margin, "ma") if where == "top" else (height - margin, "md")
        draw.text((width / 2, y), text, fill=p["colour"], font=font, anchor=anchor,
                  stroke_width=stroke, stroke_fill=(0, 0, 0))  # fmt: skip
    return out


def _band(image: Image.Image, p: dict[str, Any]) -> Image.Image:
    rng = np.random.default_rng(p["seed"])
    out = image.copy()
    draw = ImageDraw.Draw(out)
    width, height = out.size
    band = max(1, round(height * p["height"]))
    y0 = 0 if p["where"] == "top" else height - band
    draw.rectangle((0, y0, width, y0 + band - 1), fill=p["colour"])
    ink = (0, 0, 0) if sum(p["colour"]) > 384 else (255, 255, 255)
    text = _words(rng, 2, 8).lower()
    font = _fitted(text, band * 0.6, width * 0.9)
    draw.text((width * 0.05, y0 + band / 2), text, fill=ink, font=font, anchor="lm")
    return out


def _watermark(image: Image.Image, p: dict[str, Any]) -> Image.Image:
    rng = np.random.default_rng(p["seed"])
    width, height = image.size
    text = _words(rng, 1, 3).lower()
    font = _font(p["font"] * height)
    left, top, right, bottom = font.getbbox(text)
    stamp = Image.new("RGBA", (int(right - left) + 4, int(bottom - top) + 4))
    alpha = round(255 * p["opacity"])
    ImageDraw.Draw(stamp).text((2 - left, 2 - top), text, fill=(*p["colour"], alpha), font=font)
    stamp = stamp.rotate(p["angle"], Image.Resampling.BICUBIC, expand=True)
    x = round(width * p["centre"][0] - stamp.width / 2)
    y = round(height * p["centre"][1] - stamp.height / 2)
    layer = Image.new("RGBA", image.size)
    layer.paste(stamp, (x, y))
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _sticker(kind: str, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """An opaque sticker (RGBA, transparent outside its shape)."""
    width, height = size
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    out = Image.new("RGBA", size)
    draw = ImageDraw.Draw(out)
    box = (0, 0, width - 1, height - 1)
    if kind == "patch":  # a piece of another picture (generated, in no bank)
        maker = natural if rng.random() < 0.5 else scene
        donor = maker(int(rng.integers(2**31)) + 2**32).convert("RGBA")
        w, h = min(width, donor.width), min(height, donor.height)
        piece = donor.crop((0, 0, w, h)).resize(size, Image.Resampling.BILINEAR)
        out.paste(piece)
    elif kind == "emoji":
        draw.ellipse(box, fill=(255, 204, 0, 255), outline=(60, 40, 0, 255),
                     width=max(1, min(size) // 20))  # fmt: skip
        for ex in (0.33, 0.67):
            draw.ellipse((width * (ex - 0.07), height * 0.28, width * (ex + 0.07), height * 0.45),
                         fill=(40, 30, 0, 255))  # fmt: skip
        draw.arc((width * 0.25, height * 0.35, width * 0.75, height * 0.78), 20, 160,
                 fill=(40, 30, 0, 255), width=max(1, min(size) // 15))  # fmt: skip
    else:
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse(box, fill=(*colour, 255))
        elif shape == 1:
            draw.rectangle(box, fill=(*colour, 255))
        else:
            points = [(float(x) * width, float(y) * height) for x, y in rng.random((5, 2))]
            draw.polygon(points, fill=(*colour, 255))
    return out


def _stickers(image: Image.Image, p: dict[str, Any]) -> Image.Image:
    rng = np.random.default_rng(p["seed"])
    out = image.convert("RGBA")
    width, height = out.size
    for sticker in p["stickers"]:
        pixels = sticker["area"] * width * height
        w = min(width, max(2, round(math.sqrt(pixels * sticker["aspect"]))))
        h = min(height, max(2, round(pixels / w)))
        x = round((width - w) * sticker["at"][0])
        y = round((height - h) * sticker["at"][1])
        piece = _sticker(sticker["kind"], (w, h), rng)
        out.alpha_composite(piece, (x, y))
    return out.convert("RGB")


_OVERLAYS: dict[str, Callable[[Image.Image, dict[str, Any]], Image.Image]] = {
    "meme": _meme,
    "band": _band,
    "watermark": _watermark,
    "stickers": _stickers,
}


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    with Image.open(out) as decoded:
        return decoded.convert("RGB")


def _photometric(image: Image.Image, kind: str, p: dict[str, Any]) -> Image.Image:
    if kind == "jpeg":
        return _jpeg_roundtrip(image, p["quality"])
    if kind == "blur":
        return image.filter(ImageFilter.GaussianBlur(p["radius"]))
    if kind == "noise":
        rng = np.random.default_rng(p["seed"])
        noisy = np.asarray(image, np.float32) + rng.normal(0, p["sigma"], (*image.size[::-1], 3))
        return Image.fromarray(np.clip(noisy, 0, 255).round().astype(np.uint8))
    if kind == "brightness":
        return ImageEnhance.Brightness(image).enhance(p["factor"])
    if kind == "contrast":
        return ImageEnhance.Contrast(image).enhance(p["factor"])
    if kind == "saturation":
        return ImageEnhance.Color(image).enhance(p["factor"])
    if kind == "gamma":
        table = [round(255 * (i / 255) ** p["factor"]) for i in range(256)]
        return image.point(table * 3)
    if kind == "greyscale":
        return image.convert("L").convert("RGB")
    assert kind == "sharpen"
    return image.filter(ImageFilter.UnsharpMask(p["radius"], p["percent"], p["threshold"]))


def _rescale(image: Image.Image, kind: str, p: dict[str, Any]) -> Image.Image:
    width, height = image.size
    sx = sy = p["factor"]
    if p["axis"] == "width":
        sx *= 1 + p["stretch"]
    else:
        sy *= 1 + p["stretch"]
    size = (max(1, round(width * sx)), max(1, round(height * sy)))
    return image.resize(size, FILTERS[kind])


def apply_step(step: Step, image: Image.Image) -> tuple[Image.Image, Facts]:
    """The edited picture (RGB), and what was measured on it."""
    p = step.params
    if step.family == "frame":
        edges = (p["top"], p["bottom"], p["left"], p["right"])
        return frame(image, *edges, colour=p["colour"]), {}
    if step.family == "tilt":
        expand = step.kind == "expand"
        out = image.rotate(p["angle"], FILTERS[p["resample"]], expand=expand,
                           fillcolor=p["colour"])  # fmt: skip
        return out, {}
    if step.family == "crop":
        return crop(image, p["top"], p["bottom"], p["left"], p["right"]), {}
    if step.family == "overlay":
        out = _OVERLAYS[step.kind](image, p)
        changed = np.any(np.asarray(out) != np.asarray(image), axis=2)
        return out, {"covered": float(changed.mean())}
    if step.family == "photometric":
        return _photometric(image, step.kind, p), {}
    if step.family == "rescale":
        return _rescale(image, step.kind, p), {}
    assert step.family == "dihedral"
    return image.transpose(DIHEDRAL[step.kind]), {}


def apply(edit: Edit, image: Image.Image) -> tuple[bytes, list[Facts]]:
    """The edited file, and the facts measured at each step."""
    facts = []
    for step in edit.steps:
        image, measured = apply_step(step, image.convert("RGB"))
        facts.append(measured)
    out = io.BytesIO()
    if edit.format == "JPEG":
        image.save(out, "JPEG", quality=edit.quality)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue(), facts


# --- describing ------------------------------------------------------------------------


def _band_of(value: float, edges: tuple[float, ...], unit: str) -> str:
    """The band of ``value`` between consecutive ``edges`` (the last band open)."""
    for low, high in itertools.pairwise(edges):
        if value <= high:
            return f"{low:g}-{high:g} {unit}"
    return f"> {edges[-1]:g} {unit}"


def widest(step: Step) -> float:
    """A frame step's widest side, as a share of the image's side."""
    return float(max(step.params[k] for k in ("top", "bottom", "left", "right")))


def removed(step: Step) -> float:
    """A crop step's larger share removed from one axis."""
    p = step.params
    return float(max(p["top"] + p["bottom"], p["left"] + p["right"]))


def _strength(step: Step) -> str:
    """Which half of its range a photometric step's parameter was drawn in."""
    p = step.params
    if step.kind == "jpeg":
        return "q20-57" if p["quality"] <= 57 else "q58-95"
    if step.kind == "blur":
        return "r0.5-1.5" if p["radius"] <= 1.5 else "r1.5-2.5"
    if step.kind == "noise":
        return "sigma 2-11" if p["sigma"] <= 11 else "sigma 11-20"
    if step.kind == "sharpen":
        return "50-150 %" if p["percent"] <= 150 else "150-250 %"
    return "x0.6-1" if p["factor"] <= 1 else "x1-1.4"


def bands(step: Step, facts: Facts) -> list[tuple[str, str]]:
    """(dimension, band) of a step, for the tables of recall by band."""
    p = step.params
    if step.family == "frame":
        width = _band_of(100 * widest(step), (1, 10, 20, 30), "%")
        return [("kind, widest side", f"{step.kind} {width}"),
                ("colour", p["colour_kind"])]  # fmt: skip
    if step.family == "tilt":
        angle = _band_of(abs(p["angle"]), (0.5, 2, 5, 7), "deg")
        return [("angle", angle), ("corners", step.kind)]
    if step.family == "crop":
        return [("removed", _band_of(100 * removed(step), (0, 5, 10), "%")),
                ("where", step.kind)]  # fmt: skip
    if step.family == "overlay":
        area = _band_of(100 * facts["covered"], (0, 2.5, 5, 10), "% of pixels changed")
        return [("covered", area), ("kind", step.kind)]
    if step.family == "photometric":
        strength = (
            [] if step.kind == "greyscale" else [("strength", f"{step.kind} {_strength(step)}")]
        )
        return [("kind", step.kind), *strength]
    if step.family == "rescale":
        scale = _band_of(p["factor"], (0.2, 0.5, 1, 2), "x")
        aspect = "aspect changed (<= 10 %)" if p["stretch"] else "aspect kept"
        return [("scale", scale), ("aspect", aspect), ("filter", step.kind)]
    return [("transform", step.kind)]


def in_range(step: Step, facts: Facts) -> bool:
    """Whether a step is within the range its family's target covers: frames at most
    30 % wide on every side, overlays changing at most 10 % of the pixels."""
    if step.family == "frame":
        return widest(step) <= 0.30
    if step.family == "overlay":
        return facts["covered"] <= 0.10
    return True
