"""Robustness of PDQ matching to ordinary edits, and false matches between unrelated images.

All images are benign: scikit-image's sample images (``skimage.data``) and scenes generated
here from a seed (a smooth random background with random shapes). Nothing is downloaded.

**Bank.** Every image below (the originals and the unrelated set) is one bank entry made
with :func:`alliance.hashing.variants.hash_variants` (dihedral forms, unletterbox, frames,
crops, tilts), in one :class:`~alliance.matching.pdq_index.PdqIndex`.

**Recall.** Each original goes through the transform suite; the edited file's single
fast-pipeline hash is searched at radius 31 and counts as found when its own entry is
among the matches; then again with the hash of its middle strip too (``--overlays``).
The anchor, python-threatexchange's ``PdqSignal.hash_from_bytes``,
compares the edited file's hash with the original's (an empty hash, quality < 50, is a
miss: that is what it returns).

**False matches.** A pair (query, entry) of different sources counts as a false match when
the query's hash is within 31 of any variant of the entry; the anchor's pairs compare
plain hashes. Queries are the unedited images and every edited file; tiles cut from one
sample image share its source and are not paired with each other or with it.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Concatenate, ParamSpec

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from alliance.hashing import pdq, variants
from alliance.matching.pdq_index import PdqIndex

Edit = Callable[[Image.Image], bytes]
P = ParamSpec("P")

#: Sample images that look like photographs: the originals of the transform suite.
PHOTOS = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "clock",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "cell",
)
#: Stochastic textures and synthetic gradients: PDQ's bits are unstable on them (their
#: low frequencies carry almost nothing); reported apart, not in the targets.
TEXTURES = ("brick", "grass", "gravel", "colorwheel")
#: Other samples: only in the unrelated set.
OTHERS = ("checkerboard", "horse", "logo", "page", "text", "shepp_logan_phantom")

TARGETS = {
    "photometric": 0.98,
    "resize": 0.98,
    "overlay": 0.98,
    "dihedral": 0.98,
    "border": 0.98,
    "crop": 0.5,
    "small rotation": 0.5,
}


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _sample(name: str) -> Image.Image:
    from skimage import data  # noqa: PLC0415 — bench-only dependency

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pixels = getattr(data, name)()
    if pixels.dtype == np.bool_:
        pixels = pixels.astype(np.uint8) * 255
    elif pixels.dtype != np.uint8:
        pixels = np.clip(pixels * 255, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels).convert("RGB")
    image.thumbnail((800, 800))
    return image


def scene(seed: int) -> Image.Image:
    """A generated picture: smooth random background, 3-12 random shapes, mild noise."""
    rng = np.random.default_rng(seed)
    width, height = [(512, 384), (384, 512), (448, 448), (640, 480), (400, 300)][seed % 5]
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


# --- the transform suite -----------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(size, 8))


def _meme(image: Image.Image) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    width, height = out.size
    font = _font(int(height * 0.08))
    style: dict[str, object] = {"fill": (255, 255, 255), "stroke_width": 2, "stroke_fill": 0}
    draw.text((width / 2, height * 0.03), "TOP TEXT HERE", font=font, anchor="ma", **style)  # type: ignore[arg-type]
    draw.text((width / 2, height * 0.97), "bottom text", font=font, anchor="md", **style)  # type: ignore[arg-type]
    return out


def _signature(image: Image.Image) -> Image.Image:
    out = image.copy()
    width, height = out.size
    ImageDraw.Draw(out).text(
        (width * 0.97, height * 0.97),
        "@user_name 2024",
        fill=(255, 255, 255),
        font=_font(int(height * 0.05)),
        anchor="rd",
        stroke_width=1,
        stroke_fill=(0, 0, 0),
    )
    return out


def _watermark(image: Image.Image) -> Image.Image:
    layer = Image.new("RGBA", image.size)
    width, height = image.size
    ImageDraw.Draw(layer).text(
        (width / 2, height / 2),
        "example.test",
        fill=(255, 255, 255, 110),
        font=_font(int(height * 0.1)),
        anchor="mm",
    )
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _caption_band(image: Image.Image) -> Image.Image:
    out = image.copy()
    width, height = out.size
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, int(height * 0.88), width, height), fill=(0, 0, 0))
    draw.text(
        (width * 0.05, height * 0.9),
        "a benign caption",
        fill=(255, 255, 255),
        font=_font(int(height * 0.07)),
    )
    return out


def _noise(image: Image.Image, sigma: float) -> Image.Image:
    rng = np.random.default_rng(int(sigma))
    width, height = image.size
    noisy = np.asarray(image, np.float32) + rng.normal(0, sigma, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _resize(image: Image.Image, percent: int) -> Image.Image:
    width, height = image.size
    size = (max(1, width * percent // 100), max(1, height * percent // 100))
    return image.resize(size, Image.Resampling.LANCZOS)


def _crop(image: Image.Image, top: float, bottom: float, left: float, right: float) -> Image.Image:
    width, height = image.size
    return image.crop(
        (round(width * left), round(height * top), width - round(width * right),
         height - round(height * bottom))
    )  # fmt: skip


def _border(image: Image.Image, colour: int, vertical: float, horizontal: float) -> Image.Image:
    width, height = image.size
    side, top = round(width * horizontal), round(height * vertical)
    return ImageOps.expand(image, (side, top, side, top), fill=(colour,) * 3)


def _edited(
    save: Edit,
    transform: Callable[Concatenate[Image.Image, P], Image.Image],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Edit:
    """The edit ``save(transform(image, *args, **kwargs))``, its arguments bound now."""
    return lambda image: save(transform(image, *args, **kwargs))


def _enhanced(
    image: Image.Image,
    enhancer: type[ImageEnhance.Brightness] | type[ImageEnhance.Contrast],
    factor: float,
) -> Image.Image:
    return enhancer(image).enhance(factor)


def suite() -> list[tuple[str, str, Edit]]:
    """(family, transform, edit) for every case; ``edit`` returns the edited file."""
    cases: list[tuple[str, str, Edit]] = []

    def add(family: str, name: str, edit: Edit) -> None:
        cases.append((family, name, edit))

    for q in (20, 30, 40, 50):
        add("photometric", f"JPEG q{q}", partial(_jpeg, quality=q))
    for r in (1, 2):
        blur = ImageFilter.GaussianBlur(r)
        add("photometric", f"Gaussian blur r={r}", _edited(_png, Image.Image.filter, blur))
    for s in (5, 10, 20):
        add("photometric", f"Gaussian noise sigma={s}", _edited(_png, _noise, s))
    for f in (0.7, 1.3):
        for kind, enhancer in (
            ("brightness", ImageEnhance.Brightness),
            ("contrast", ImageEnhance.Contrast),
        ):
            add("photometric", f"{kind} x{f}", _edited(_png, _enhanced, enhancer, f))
    for p in (25, 33, 50):
        add("resize", f"resize to {p} %", _edited(_png, _resize, p))
    add("resize", "resize to 50 % + JPEG q75", lambda im: _jpeg(_resize(im, 50), 75))
    add("overlay", "meme text top and bottom (8 % high)", lambda im: _png(_meme(im)))
    add("overlay", "signature in a corner (5 % high)", lambda im: _png(_signature(im)))
    add("overlay", "translucent watermark (10 % high)", lambda im: _png(_watermark(im)))
    add("overlay", "caption on a black band (12 % high)", lambda im: _png(_caption_band(im)))
    for label, how in (
        ("flip left-right", Image.Transpose.FLIP_LEFT_RIGHT),
        ("flip top-bottom", Image.Transpose.FLIP_TOP_BOTTOM),
        ("rotate 90", Image.Transpose.ROTATE_90),
        ("rotate 180", Image.Transpose.ROTATE_180),
        ("rotate 270", Image.Transpose.ROTATE_270),
        ("transpose", Image.Transpose.TRANSPOSE),
        ("transverse", Image.Transpose.TRANSVERSE),
    ):
        add("dihedral", label, _edited(partial(_jpeg, quality=90), Image.Image.transpose, how))
    for label, colour, v, h in (
        ("black border 10 %", 0, 0.1, 0.1),
        ("white border 10 %", 255, 0.1, 0.1),
        ("black letterbox 10 %", 0, 0.1, 0.0),
        ("black pillarbox 10 %", 0, 0.0, 0.1),
        ("grey border 10 %", 128, 0.1, 0.1),
    ):
        add("border", label, _edited(_png, _border, colour, v, h))
    for share in (0.05, 0.075, 0.10):
        pct = f"{share * 100:g} %"
        for where, edges in (
            ("centre", (share / 2, share / 2, share / 2, share / 2)),
            ("left", (0.0, 0.0, share, 0.0)),
            ("right", (0.0, 0.0, 0.0, share)),
            ("top", (share, 0.0, 0.0, 0.0)),
            ("bottom", (0.0, share, 0.0, 0.0)),
            ("top-left", (share, 0.0, share, 0.0)),
            ("bottom-right", (0.0, share, 0.0, share)),
        ):
            add("crop", f"crop {pct} {where}", _edited(_png, _crop, *edges))
    for degrees in (2, 3, 5, -2, -3, -5):
        add(
            "small rotation",
            f"rotate {degrees:+d} deg",
            _edited(_png, Image.Image.rotate, degrees, Image.Resampling.BICUBIC),
        )
    return cases


# --- the measurement ---------------------------------------------------------------------


@dataclass
class _Entry:
    name: str
    source: str
    image: Image.Image


def _unrelated(count: int) -> list[_Entry]:
    """Unrelated images: every sample, quadrant tiles of the larger ones, ``count`` scenes."""
    out = []
    for name in (*PHOTOS, *TEXTURES, *OTHERS):
        image = _sample(name)
        out.append(_Entry(name, name, image))
        width, height = image.size
        if min(width, height) >= 380:
            for i, (x, y) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
                box = (x * width // 2, y * height // 2, (x + 1) * width // 2, (y + 1) * height // 2)
                out.append(_Entry(f"{name}-tile{i}", name, image.crop(box)))
    out.append(_Entry("motorcycle", "motorcycle", _motorcycle()))
    out += [_Entry(f"scene-{seed}", f"scene-{seed}", scene(seed)) for seed in range(count)]
    return out


def _motorcycle() -> Image.Image:
    from skimage import data  # noqa: PLC0415

    left, _, _ = data.stereo_motorcycle()
    image = Image.fromarray(left).convert("RGB")
    image.thumbnail((800, 800))
    return image


def _anchor(data: bytes) -> str:
    from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: PLC0415

    return str(PdqSignal.hash_from_bytes(data))


def _bits(hexes: list[str]) -> np.ndarray:
    return np.array([np.frombuffer(bytes.fromhex(h), np.uint8) for h in hexes]).reshape(-1, 32)


def _pair_matches(queries: np.ndarray, entries: np.ndarray, allowed: np.ndarray) -> int:
    """Pairs (i, j) with ``allowed[i, j]`` whose hashes are within 31."""
    total = 0
    for i in range(len(queries)):
        d = np.bitwise_count(queries[i] ^ entries).sum(axis=1)
        total += int(((d <= pdq.MATCH_THRESHOLD) & allowed[i]).sum())
    return total


def _search(
    index: PdqIndex, data: bytes, entry: _Entry, source_of: dict[str, str]
) -> tuple[bool, int, bool, int]:
    """(own entry found, wrong entries) for the file's one hash, then for the hash and its
    middle strip's together (``alliance match --overlays``)."""
    forms = variants.hash_variants(
        data, dihedral=False, borders=False, crops=False, tilts=False, thumbnails=False
    )
    found = index.search_many(list(forms.values()), pdq.MATCH_THRESHOLD)
    plain = {m.id for m in found[0]}
    both = {m.id for matches in found for m in matches}

    def wrong(ids: set[str]) -> int:
        return sum(1 for i in ids if source_of[i] != entry.source)

    return entry.name in plain, wrong(plain), entry.name in both, wrong(both)


def robustness(scenes: int = 480) -> list[str]:
    started = time.perf_counter()
    entries = _unrelated(scenes)
    originals = [e for e in entries if e.name in PHOTOS or e.name == "motorcycle"]
    originals += [e for e in entries if e.name.startswith("scene-")][:8]
    files = {e.name: _png(e.image) for e in entries}
    # PDQ's authors advise against trusting a hash of quality < 50 (the anchor returns
    # none): such originals are measured apart, with the textures.
    low = [e for e in originals if (pdq.hash_file(files[e.name]).quality or 0) < pdq.LOW_QUALITY]
    originals = [e for e in originals if e.name not in {x.name for x in low}]
    apart = [e for e in entries if e.name in TEXTURES] + low
    apart_names = {e.name for e in apart}

    digests, ids, kinds = [], [], []
    for entry in entries:
        forms = variants.distinct(variants.hash_variants(files[entry.name]).items())
        for kind, value in forms:
            digests.append(value.digest)
            ids.append(entry.name)
            kinds.append(kind)
    index = PdqIndex.build(digests, ids, variants=kinds)
    source_of = {e.name: e.source for e in entries}
    anchor_original = {e.name: _anchor(files[e.name]) for e in entries}

    per_case: list[tuple[str, str, int, int, int, int]] = []
    texture_found = [0, 0, 0, 0]  # anchor, one hash, with strip, cases: measured apart
    false_ours = false_strip = 0
    pairs_ours = 0
    anchor_queries: list[tuple[str, str]] = []  # (source, hex) of edited files
    for family, label, edit in suite():
        found_ours = found_strip = found_anchor = 0
        for entry in (*originals, *apart):
            edited = edit(entry.image)
            own, wrong, own_strip, wrong_strip = _search(index, edited, entry, source_of)
            false_ours += wrong
            false_strip += wrong_strip
            pairs_ours += sum(1 for e in entries if e.source != entry.source)
            theirs = _anchor(edited)
            hit = bool(theirs and anchor_original[entry.name]) and (
                pdq.distance_hex(theirs, anchor_original[entry.name]) <= pdq.MATCH_THRESHOLD
            )
            if theirs:
                anchor_queries.append((entry.source, theirs))
            if entry.name in apart_names:
                texture_found[0] += hit
                texture_found[1] += own
                texture_found[2] += own_strip
                texture_found[3] += 1
            else:
                found_anchor += hit
                found_ours += own
                found_strip += own_strip
        per_case.append((family, label, found_anchor, found_ours, found_strip, len(originals)))

    # Unedited images against the bank, and every pair of plain hashes for the anchor.
    for entry in entries:
        _, wrong, _, wrong_strip = _search(index, files[entry.name], entry, source_of)
        false_ours += wrong
        false_strip += wrong_strip
        pairs_ours += sum(1 for e in entries if e.source != entry.source)
    plain = [(e.source, anchor_original[e.name]) for e in entries if anchor_original[e.name]]
    bank_bits = _bits([h for _, h in plain])
    bank_sources = np.array([s for s, _ in plain])
    same = bank_sources[:, None] == bank_sources[None, :]
    upper = np.triu(np.ones_like(same), k=1)
    false_anchor = _pair_matches(bank_bits, bank_bits, ~same & upper)
    pairs_anchor = int((~same & upper).sum())
    edited_bits = _bits([h for _, h in anchor_queries])
    allowed = np.array([s for s, _ in anchor_queries])[:, None] != bank_sources[None, :]
    false_anchor += _pair_matches(edited_bits, bank_bits, allowed)
    pairs_anchor += int(allowed.sum())

    families: dict[str, list[int]] = {}
    for family, _, anchor_hits, our_hits, strip_hits, total in per_case:
        tally = families.setdefault(family, [0, 0, 0, 0, 0])
        tally[0] += 1
        tally[1] += anchor_hits
        tally[2] += our_hits
        tally[3] += strip_hits
        tally[4] += total
    samples = len(PHOTOS) + len(TEXTURES) + len(OTHERS) + 1
    out = [
        f"Bank: {len(entries)} entries ({len(digests):,} hashes with variants). Originals: "
        f"{len(originals)} ({len(originals) - 8} photo-like `skimage.data` samples of PDQ "
        "quality >= 50, 8 generated scenes), each through every transform; recall at "
        "distance <= 31.",
        "",
        "| family | transforms | python-threatexchange PdqSignal (plain PDQ) "
        "| alliance, banked variants, one query hash "
        "| alliance, banked variants, query + its middle strip (`--overlays`) | target |",
        "|---|---|---|---|---|---|",
    ]
    for family, (count, anchor_hits, our_hits, strip_hits, total) in families.items():
        flag = "" if strip_hits / total >= TARGETS[family] else " (missed)"
        out.append(
            f"| {family} | {count} | {anchor_hits / total:.3f} | {our_hits / total:.3f} "
            f"| {strip_hits / total:.3f}{flag} | >= {TARGETS[family]} |"
        )
    out += [
        "",
        f"Measured apart, not in the targets: stochastic textures and synthetic gradients "
        f"({', '.join(TEXTURES)}) and originals whose PDQ quality is below 50 "
        f"({', '.join(e.name for e in low) or 'none'}), every transform: plain PDQ "
        f"{texture_found[0] / texture_found[3]:.3f}, "
        f"banked {texture_found[1] / texture_found[3]:.3f} with one query hash, "
        f"{texture_found[2] / texture_found[3]:.3f} with its middle strip.",
        "",
        f"False matches: alliance {false_ours} with one query hash and {false_strip} with its "
        f"middle strip among {pairs_ours:,} (query, entry) pairs of "
        f"different sources, each entry with all its variants; plain PDQ {false_anchor} "
        f"among {pairs_anchor:,} pairs of hashes. Unrelated set: {len(entries)} images "
        f"from {len(set(source_of.values()))} sources ({samples} "
        f"`skimage.data` samples, quadrant tiles of the larger ones, {scenes} generated "
        "scenes); queries are the unedited images and every edited file.",
        "",
        "<details><summary>Recall per transform</summary>",
        "",
        "| family | transform | plain PDQ | alliance, one hash | alliance, `--overlays` |",
        "|---|---|---|---|---|",
        *(
            f"| {family} | {label} | {a / t:.2f} | {o / t:.2f} | {m / t:.2f} |"
            for family, label, a, o, m, t in per_case
        ),
        "",
        "</details>",
        "",
        f"({time.perf_counter() - started:.0f} s)",
    ]
    return out
