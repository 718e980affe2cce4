"""The benign pictures of the robustness benchmark: photographs that packages ship (nothing
is downloaded) and pictures generated from a seed.

Every picture has a *source*: pictures cut from one photograph (its tiles) share the
photograph's source, and a match between two pictures of one source is never a false
match. Photographs found offline (scikit-image 0.26, scikit-learn, matplotlib; imageio and
Pillow bundle none, scipy's samples need a download):

- ``skimage.data`` bundled in the wheel: astronaut, camera, cat (chelsea again: not used),
  cell, chelsea, clock, coffee, coins, hubble_deep_field, immunohistochemistry, moon,
  retina, rocket, stereo_motorcycle (two views of one scene: one source); and, not
  photo-like or too small to be an original, brick, grass, gravel, colorwheel,
  checkerboard, horse, logo, page, text, shepp_logan_phantom, microaneurysms and the 200
  25x25 patches of ``lfw_subset`` (faces and non-faces, each its own source);
- ``sklearn.datasets.load_sample_images()``: china, flower;
- matplotlib's ``mpl-data/sample_data``: grace_hopper.jpg, an MRI slice (s1045.ima.gz),
  the Jacksboro fault elevation model (hill-shaded), and, too small or not a photograph,
  the topobathy grid, Minduka_Present_Blue_Pack.png and logo2.png.

The two largest photographs, retina (1411x1411) and hubble_deep_field (872x1000), are cut
into their four quadrants, each an original (an entry of its own) of the photograph's
source: they share no pixel, but the retina's quarters are one layout (a quarter disc on
black) that plain PDQ itself matches between quarters.
"""

from __future__ import annotations

import gzip
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: The longer side of an original, at most (the larger photographs are scaled down).
MAX_SIDE = 800


@dataclass(frozen=True)
class Picture:
    name: str
    source: str
    #: Where it comes from: a package, or ``scene``/``natural``/``document`` (generated).
    origin: str
    image: Image.Image


def _rgb(pixels: np.ndarray) -> Image.Image:
    if pixels.dtype == np.bool_:
        pixels = pixels.astype(np.uint8) * 255
    elif pixels.dtype != np.uint8:
        low, high = float(pixels.min()), float(pixels.max())
        pixels = ((pixels - low) / max(high - low, 1e-9) * 255).round().astype(np.uint8)
    image = Image.fromarray(pixels).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _quadrants(image: Image.Image) -> list[Image.Image]:
    width, height = image.size
    return [
        image.crop((x * width // 2, y * height // 2, (x + 1) * width // 2, (y + 1) * height // 2))
        for y in (0, 1)
        for x in (0, 1)
    ]


def photographs() -> tuple[list[Picture], list[Picture]]:
    """(photo-like originals, other shipped images for the unrelated set)."""
    from matplotlib import cbook, colormaps  # noqa: PLC0415 — bench-only dependencies
    from matplotlib.colors import LightSource  # noqa: PLC0415
    from skimage import data  # noqa: PLC0415
    from sklearn.datasets import load_sample_images  # noqa: PLC0415

    photos: list[Picture] = []
    others: list[Picture] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in (
            "astronaut", "camera", "cell", "chelsea", "clock", "coffee", "coins",
            "immunohistochemistry", "moon", "rocket",
        ):  # fmt: skip
            photos.append(Picture(name, name, "skimage", _rgb(getattr(data, name)())))
        left, right, _ = data.stereo_motorcycle()
        photos.append(Picture("motorcycle", "motorcycle", "skimage", _rgb(left)))
        others.append(Picture("motorcycle-right", "motorcycle", "skimage", _rgb(right)))
        for name in ("retina", "hubble_deep_field"):
            whole = Image.fromarray(getattr(data, name)()).convert("RGB")
            for i, part in enumerate(_quadrants(whole)):
                label = f"{name}-q{i}"
                photos.append(Picture(label, name, "skimage", _rgb(np.asarray(part))))
        for name in (
            "brick", "grass", "gravel", "colorwheel", "checkerboard", "horse", "logo", "page",
            "text", "shepp_logan_phantom", "microaneurysms",
        ):  # fmt: skip
            pixels = getattr(data, name)()
            if pixels.ndim == 3 and pixels.shape[2] == 4:
                pixels = pixels[..., :3]
            others.append(Picture(name, name, "skimage", _rgb(pixels)))
        for i, patch in enumerate(data.lfw_subset()):
            others.append(Picture(f"lfw-{i}", f"lfw-{i}", "skimage", _rgb(patch)))
    samples = load_sample_images()
    for path, pixels in zip(samples.filenames, samples.images, strict=True):
        name = str(path).rsplit("/", 1)[-1].removesuffix(".jpg")
        photos.append(Picture(name, name, "sklearn", _rgb(pixels)))

    def sample(name: str) -> Path:
        return Path(cbook.get_sample_data(name, asfileobj=False))

    with Image.open(sample("grace_hopper.jpg")) as hopper:
        photos.append(
            Picture("grace_hopper", "grace_hopper", "matplotlib", _rgb(np.asarray(hopper)))
        )
    mri = np.frombuffer(gzip.decompress(sample("s1045.ima.gz").read_bytes()), np.uint16)
    photos.append(
        Picture("mri", "mri", "matplotlib", _rgb(mri.reshape(256, 256).astype(np.float32)))
    )
    with np.load(sample("jacksboro_fault_dem.npz")) as dem:
        shaded = LightSource(315, 45).shade(
            dem["elevation"], colormaps["gist_earth"], blend_mode="soft"
        )
    photos.append(Picture("jacksboro_dem", "jacksboro_dem", "matplotlib", _rgb(shaded[..., :3])))
    with np.load(sample("topobathy.npz")) as grid:
        topo = LightSource(315, 45).shade(grid["topo"], colormaps["terrain"], blend_mode="soft")
    others.append(Picture("topobathy", "topobathy", "matplotlib", _rgb(topo[..., :3])))
    for name in ("Minduka_Present_Blue_Pack.png", "logo2.png"):
        with Image.open(sample(name)) as icon:
            flat = Image.new("RGB", icon.size, (255, 255, 255))
            flat.paste(icon.convert("RGBA"), mask=icon.convert("RGBA"))
        label = name.removesuffix(".png")
        others.append(Picture(label, label, "matplotlib", _rgb(np.asarray(flat))))
    return photos, others


# --- generated pictures ------------------------------------------------------------------

#: Sizes of generated pictures: the common aspect ratios, landscape and portrait.
_SIZES = ((512, 384), (384, 512), (448, 448), (640, 480), (400, 300), (640, 360), (360, 640),
          (600, 400), (400, 600), (720, 405), (500, 500), (320, 240))  # fmt: skip


def scene(seed: int) -> Image.Image:
    """A generated picture: smooth random background, 3-12 random shapes, mild noise."""
    rng = np.random.default_rng(seed)
    width, height = _SIZES[int(rng.integers(len(_SIZES)))]
    grid = rng.integers(0, 256, (int(rng.integers(2, 7)), int(rng.integers(2, 7)), 3), np.uint8)
    image = Image.fromarray(grid, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 13))):
        x0, x1 = sorted(rng.integers(0, width, 2).tolist())
        y0, y1 = sorted(rng.integers(0, height, 2).tolist())
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x1 + 8, y1 + 8), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1 + 8, y1 + 8), fill=colour)
        else:
            points = [(int(x), int(y)) for x, y in rng.integers(0, (width, height), (5, 2))]
            draw.polygon(points, fill=colour)
    noisy = np.asarray(image, np.float32) + rng.normal(0, 4, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def natural(seed: int) -> Image.Image:
    """A generated picture with the statistics of a natural one: colour noise whose power
    falls as 1/f^beta (beta 1.6-2.6, as photographs have), over a random vertical gradient
    (sky to ground), at a random contrast."""
    rng = np.random.default_rng(seed)
    width, height = _SIZES[int(rng.integers(len(_SIZES)))]
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    radius[0, 0] = 1.0
    amplitude = radius ** (-float(rng.uniform(1.6, 2.6)) / 2)
    amplitude[0, 0] = 0.0
    channels = []
    for _ in range(3):
        spectrum = np.fft.rfft2(rng.normal(size=(height, width))) * amplitude
        field = np.fft.irfft2(spectrum, s=(height, width))
        channels.append((field - field.mean()) / (field.std() + 1e-9))
    mixing = rng.normal(size=(3, 3)) * 0.4 + np.eye(3) * rng.uniform(0.3, 1.0)
    pixels = np.tensordot(np.stack(channels, axis=-1), mixing, axes=1)
    ramp = np.linspace(-1.0, 1.0, height)[:, None, None] * rng.normal(0, 1.0, 3)
    pixels = pixels * rng.uniform(25, 60) + ramp * rng.uniform(0, 60) + rng.uniform(60, 190, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


_LETTERS = "etaoinshrdlucmfwypvbgkjqxz"


def words(rng: np.random.Generator, count: int) -> str:
    lengths = rng.integers(1, 10, count)
    weights = np.linspace(2.0, 0.2, len(_LETTERS))
    weights /= weights.sum()
    return " ".join("".join(rng.choice(list(_LETTERS), int(n), p=weights)) for n in lengths)


def document(seed: int) -> Image.Image:
    """A generated screenshot or document page: lines of made-up words on a plain
    background (light or dark), a coloured header bar, sometimes a picture block."""
    rng = np.random.default_rng(seed)
    width, height = _SIZES[int(rng.integers(len(_SIZES)))]
    dark = rng.random() < 0.3
    paper = tuple(int(c) for c in (rng.integers(0, 50, 3) if dark else rng.integers(215, 256, 3)))
    ink = tuple(int(c) for c in (rng.integers(190, 256, 3) if dark else rng.integers(0, 70, 3)))
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    y = 0
    if rng.random() < 0.7:
        bar = int(height * rng.uniform(0.06, 0.15))
        draw.rectangle((0, 0, width, bar), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        y = bar
    if rng.random() < 0.4:
        x0 = int(rng.integers(0, width // 2))
        y0 = int(rng.integers(y, max(y + 1, height // 2)))
        box = (
            x0,
            y0,
            x0 + int(width * rng.uniform(0.2, 0.5)),
            y0 + int(height * rng.uniform(0.15, 0.4)),
        )
        block = scene(int(rng.integers(2**31))).resize((box[2] - box[0], box[3] - box[1]))
        image.paste(block, box[:2])
    size = int(rng.integers(10, 24))
    font = ImageFont.load_default(size=size)
    margin = int(rng.integers(5, 40))
    y += margin // 2
    while y < height - size:
        text = words(rng, int(rng.integers(2, 14)))
        draw.text((margin, y), text, fill=ink, font=font)
        y += int(size * rng.uniform(1.2, 2.2))
    return image


GENERATORS = {"scene": scene, "natural": natural, "document": document}


def tiles(picture: Picture, count: int, rng: np.random.Generator) -> list[Picture]:
    """``count`` random crops of a picture (30-70 % of each side, anywhere), of its source."""
    width, height = picture.image.size
    out = []
    for i in range(count):
        w = max(16, round(width * rng.uniform(0.3, 0.7)))
        h = max(16, round(height * rng.uniform(0.3, 0.7)))
        x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        crop = picture.image.crop((x, y, x + w, y + h))
        out.append(Picture(f"{picture.name}-tile{i}", picture.source, picture.origin, crop))
    return out
