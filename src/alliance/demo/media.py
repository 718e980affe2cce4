"""Benign demo pictures, drawn by code: coloured shapes on gradients. No real media.

The demo hotline "holds" the originals (their hashes, and their variants' hashes, fill the
demo banks); the demo industry member's upload folder holds ordinary edits of some of them
(resized, recompressed, brighter, mirrored, rotated, framed, captioned, an exact copy), unrelated
pictures and one file that is not a picture, so that a scan shows matches (and which
variant matched), non-matches and a file matched by its file hashes only.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A deterministic picture of random shapes on a gradient."""
    rng = np.random.default_rng(seed)
    width, height = size
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    ramp = np.linspace(0.0, 1.0, width)[None, :, None]
    pixels = (start * (1 - ramp) + end * ramp) * np.ones((height, 1, 1))
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        x1 = x0 + int(rng.integers(30, width // 2))
        y1 = y0 + int(rng.integers(30, height // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    for _ in range(4):
        points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(2)]
        draw.line(points, fill=tuple(int(c) for c in rng.integers(0, 256, 3)), width=6)
    return image


def captioned(image: Image.Image, top: str, bottom: str) -> Image.Image:
    """``image`` as a meme: white outlined text over the top, a caption on a black band
    over the bottom (each within the top or bottom 15 %)."""
    out = image.convert("RGB")
    width, height = out.size
    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default(size=int(height * 0.08))
    draw.text(
        (width / 2, height * 0.03),
        top,
        font=font,
        anchor="ma",
        fill="white",
        stroke_width=2,
        stroke_fill="black",
    )
    draw.rectangle((0, int(height * 0.88), width, height), fill="black")
    draw.text((width * 0.05, height * 0.9), bottom, font=font, fill="white")
    return out


def bordered_and_mirrored(image: Image.Image) -> Image.Image:
    """``image`` in a white border (a photo frame, 48 px at the sides, 36 at top and
    bottom), mirrored left to right: two ordinary edits at once."""
    framed = ImageOps.expand(image.convert("RGB"), border=(48, 36), fill="white")
    return framed.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@dataclass(frozen=True)
class DemoUpload:
    name: str
    data: bytes
    expect_match: bool


def uploads(seed: int, banked: list[int]) -> list[DemoUpload]:
    """The industry member's demo folder: edits of banked pictures and unrelated ones."""
    out: list[DemoUpload] = []
    edits: dict[str, Callable[[Image.Image], Image.Image]] = {
        "resized": lambda im: im.resize((im.width // 2, im.height // 2)),
        "recompressed": lambda im: Image.open(io.BytesIO(jpeg(im, 30))),
        "brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.25),
        "mirrored": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "rotated": lambda im: im.transpose(Image.Transpose.ROTATE_90),
        "framed": lambda im: ImageOps.expand(im, border=(64, 48), fill="black"),
    }
    for i, picture_seed in enumerate(banked[:6]):
        kind = list(edits)[i % len(edits)]
        edited = edits[kind](picture(picture_seed)).convert("RGB")
        out.append(DemoUpload(f"upload-{i + 1:02d}-{kind}.jpg", jpeg(edited), True))
    out.append(DemoUpload("upload-07-exact-copy.jpg", jpeg(picture(banked[6])), True))
    meme = captioned(picture(banked[7]), "WHEN THE DEMO", "works first time")
    out.append(DemoUpload("upload-08-captioned.jpg", jpeg(meme), True))
    for i in range(5):
        out.append(DemoUpload(f"holiday-{i + 1:02d}.jpg", jpeg(picture(seed * 1000 + i)), False))
    out.append(DemoUpload("notes.txt", b"not a picture: the scanner lists it as skipped\n", False))
    return out


def write_uploads(folder: Path, seed: int, banked: list[int]) -> list[DemoUpload]:
    folder.mkdir(parents=True, exist_ok=True)
    made = uploads(seed, banked)
    for upload in made:
        (folder / upload.name).write_bytes(upload.data)
    return made
