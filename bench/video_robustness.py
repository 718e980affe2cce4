"""Robustness of video matching to ordinary edits drawn at random (issue 18, part 3).

All clips are benign and made here: camera moves over the photographs that packages ship
and over generated scenes (:mod:`bench.pictures`), cut into shots, some with fades, at
the sizes and frame rates phones and sites use. Everything random is drawn from the run's
seed.

**Bank.** Every clip is banked as ``alliance hash`` banks a video: Meta's vPDQ, a frame
hash a second (:func:`alliance.hashing.video.hash_video`), all in one
:class:`~alliance.matching.video.VpdqIndex`, with as many unrelated clips beside them.

**Edits.** Each clip goes through random edits of five families and combinations of two,
every parameter drawn over its whole range: re-encoded (H.264 at CRF 23-40 or MPEG-4 at
q 2-20, the frame rate kept or changed to 15, 24, 30 or 60), rescaled (0.3-1.5 times, the
aspect ratio kept or changed by up to 10 %), trimmed (0-25 % off the start and 0-25 %
off the end, at any instant), letterboxed (bars to another aspect ratio, or a frame of
2-30 % per side; black or any colour) and mirrored. A query is searched as a member's
is, by every form of :func:`alliance.hashing.video.query_videos`, with the vPDQ rule (80 %
of the query's frames within 31 of the video's); it is *found* when its own clip
matches. The anchor is plain vPDQ as python-threatexchange matches it: the edited
clip's vPDQ against its own clip's, by the same rule.

**False matches.** Every query against every banked clip that shares no picture with
its own: a pair is a false match when any form matches. The closest of those pairs (the
largest share of a query's frames that found an unrelated clip) is the margin below 80 %.

``python -m bench --only video [--seed 1,2] [--quick]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from alliance.hashing import video
from alliance.matching.video import VpdqIndex
from bench import pictures

DEFAULT_SEEDS = (1, 2)
FAMILIES = ("reencode", "rescale", "trim", "letterbox", "mirror")
COMBINATION = "combination"
TARGET = 0.95
_SIZES = ((640, 360), (360, 640), (480, 360), (640, 480), (400, 400), (320, 240),
          (854, 480), (480, 854))  # fmt: skip
_RATES = ("24", "25", "30", "30000/1001")
_FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
_FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
_ASPECTS = (16 / 9, 4 / 3, 1.0, 9 / 16, 3 / 4, 21 / 9, 2.35, 1.85)


@dataclass(frozen=True)
class Size:
    clips: int
    unrelated: int
    per_family: int


FULL = Size(clips=16, unrelated=16, per_family=2)
QUICK = Size(clips=6, unrelated=6, per_family=1)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


# --- clips -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    #: The pictures it shows: clips that share one are not counted as unrelated.
    sources: frozenset[str]
    seconds: float


def _shot_frames(
    picture: Image.Image, rng: np.random.Generator, size: tuple[int, int], frames: int
) -> list[bytes]:
    """A camera move over ``picture``: still, a pan, a zoom, or a shape crossing it."""
    width, height = size
    iw, ih = picture.size
    scale = min(iw / width, ih / height) * float(rng.uniform(0.6, 0.95))
    motion = str(rng.choice(["still", "pan", "zoom", "object"]))
    # A pan crosses up to 30 % of the view a second; a zoom goes in or out by up to half.
    speed = float(rng.uniform(0.02, 0.3)) * width * scale
    angle = float(rng.uniform(0, 2 * np.pi))
    zoom = float(np.exp(rng.uniform(-0.4, 0.4)))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    radius = float(rng.uniform(0.05, 0.2)) * min(width, height)
    out = []
    for i in range(frames):
        t = i / 25.0
        cx, cy, f = iw / 2, ih / 2, 1.0
        if motion == "pan":
            cx += np.cos(angle) * speed * (t - frames / 50)
            cy += np.sin(angle) * speed * (t - frames / 50)
        elif motion == "zoom":
            # Out no further than the picture reaches.
            f = max(zoom ** (i / max(frames - 1, 1)), width * scale / iw, height * scale / ih)
        bw, bh = width * scale / f, height * scale / f
        cx = min(max(cx, bw / 2), iw - bw / 2)
        cy = min(max(cy, bh / 2), ih - bh / 2)
        # Zoomed out as far as the picture reaches, the box is the picture's width give or
        # take a rounding error, which Pillow refuses as a box a hair outside it.
        box = (
            max(cx - bw / 2, 0.0),
            max(cy - bh / 2, 0.0),
            min(cx + bw / 2, float(iw)),
            min(cy + bh / 2, float(ih)),
        )
        frame = picture.resize(size, Image.Resampling.BILINEAR, box=box)
        if motion == "object":
            from PIL import ImageDraw  # noqa: PLC0415

            x = (i / max(frames - 1, 1)) * (width + 2 * radius) - radius
            y = height * (0.3 + 0.4 * np.sin(angle + t))
            ImageDraw.Draw(frame).ellipse(
                (x - radius, y - radius, x + radius, y + radius), fill=colour
            )
        out.append(frame.tobytes())
    return out


def make_clip(name: str, seed: int, photos: Sequence[pictures.Picture], folder: Path) -> Clip:
    """A clip of 1-4 shots of 1.5-6 s, some fading in or out, encoded as a master copy
    (H.264 at CRF 18)."""
    rng = np.random.default_rng(seed)
    width, height = _SIZES[int(rng.integers(len(_SIZES)))]
    rate = str(rng.choice(_RATES))
    path = folder / f"{name}.mp4"
    sources: set[str] = set()
    frames: list[bytes] = []
    for _ in range(int(rng.integers(1, 5))):
        if rng.random() < 0.6:
            photo = photos[int(rng.integers(len(photos)))]
            picture, source = photo.image, photo.source
        else:
            kind = str(rng.choice(sorted(pictures.GENERATORS)))
            number = int(rng.integers(1 << 30))
            picture, source = pictures.GENERATORS[kind](number), f"{kind}-{number}"
        sources.add(source)
        count = int(rng.uniform(1.5, 6.0) * 25)
        shot = _shot_frames(picture.convert("RGB"), rng, (width, height), count)
        if rng.random() < 0.3:  # a fade from or to black
            fade = min(12, count // 3)
            weights = np.linspace(0, 1, fade)
            ends = (
                list(range(fade))
                if rng.random() < 0.5
                else list(range(count - 1, count - 1 - fade, -1))
            )
            for k, w in zip(ends, weights, strict=True):
                pixels = np.frombuffer(shot[k], np.uint8).astype(np.float32) * w
                shot[k] = pixels.astype(np.uint8).tobytes()
        frames.extend(shot)
    command = [
        _FFMPEG, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{width}x{height}", "-r", "25", "-i", "-", "-r", rate,
        "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", str(path),
    ]  # fmt: skip
    subprocess.run(command, input=b"".join(frames), check=True)
    return Clip(name, path, frozenset(sources), len(frames) / 25)


# --- edits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    family: str
    params: dict[str, Any]


def draw(family: str, rng: np.random.Generator, clip: Clip) -> Edit:
    if family == "reencode":
        codec = str(rng.choice(["libx264", "mpeg4"]))
        quality = int(rng.integers(23, 41)) if codec == "libx264" else int(rng.integers(2, 21))
        rate = [None, "15", "24", "30", "60"][int(rng.integers(5))]
        return Edit(family, {"codec": codec, "quality": quality, "rate": rate})
    if family == "rescale":
        factor = float(np.exp(rng.uniform(np.log(0.3), np.log(1.5))))
        squeeze = float(rng.uniform(0.9, 1.1)) if rng.random() < 0.3 else 1.0
        return Edit(family, {"factor": factor, "squeeze": squeeze})
    if family == "trim":
        start = float(rng.uniform(0, 0.25)) * clip.seconds
        end = float(rng.uniform(0, 0.25)) * clip.seconds
        keep = max(2.0, clip.seconds - start - end)
        return Edit(family, {"start": start, "keep": keep, "share": (start + end) / clip.seconds})
    if family == "letterbox":
        red, green, blue = (int(c) for c in rng.integers(0, 256, 3))
        colour = "black" if rng.random() < 0.6 else f"#{red:02x}{green:02x}{blue:02x}"
        if rng.random() < 0.5:
            return Edit(family, {"aspect": float(rng.choice(_ASPECTS)), "colour": colour})
        sides = [float(rng.uniform(0.02, 0.30)) for _ in range(4)]
        return Edit(family, {"sides": sides, "colour": colour})
    if family == "mirror":
        return Edit(family, {})
    raise ValueError(family)


def _filters(
    edits: Sequence[Edit], size: tuple[int, int]
) -> tuple[list[str], list[str], list[str]]:
    """(input options, filters, output options) of ``edits`` applied in turn."""
    width, height = size
    before: list[str] = []
    filters: list[str] = []
    after = ["-c:v", "libx264", "-crf", "20"]
    for edit in edits:
        p = edit.params
        if edit.family == "reencode":
            after = (
                ["-c:v", "libx264", "-crf", str(p["quality"])]
                if p["codec"] == "libx264"
                else ["-c:v", "mpeg4", "-q:v", str(p["quality"])]
            )
            if p["rate"]:
                filters.append(f"fps={p['rate']}")
        elif edit.family == "rescale":
            width, height = _even(width * p["factor"] * p["squeeze"]), _even(height * p["factor"])
            filters.append(f"scale={width}:{height}")
        elif edit.family == "trim":
            before = ["-ss", f"{p['start']:.3f}"]
            after = [*after, "-t", f"{p['keep']:.3f}"]
        elif edit.family == "letterbox":
            if "aspect" in p:
                if abs(p["aspect"] - width / height) < 0.02:
                    p = {**p, "aspect": p["aspect"] * 1.25}
                outer = (
                    (_even(height * p["aspect"]), height)
                    if p["aspect"] > width / height
                    else (width, _even(width / p["aspect"]))
                )
                x, y = (outer[0] - width) // 2, (outer[1] - height) // 2
            else:
                top, bottom, left, right = (
                    round(s * d)
                    for s, d in zip(p["sides"], (height, height, width, width), strict=True)
                )
                outer = (_even(width + left + right), _even(height + top + bottom))
                x, y = left, top
            filters.append(f"pad={outer[0]}:{outer[1]}:{x}:{y}:color={p['colour']}")
            width, height = outer
        elif edit.family == "mirror":
            filters.append("hflip")
    return before, filters, [*after, "-pix_fmt", "yuv420p", "-an"]


def _size(path: Path) -> tuple[int, int]:
    entries = ["-select_streams", "v:0", "-show_entries", "stream=width,height"]
    out = subprocess.run(
        [_FFPROBE, "-v", "error", *entries, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stream = json.loads(out)["streams"][0]
    return int(stream["width"]), int(stream["height"])


@dataclass
class Query:
    clip: str
    family: str
    edits: list[Edit]
    forms: dict[str, str]
    plain: str


def _query(job: tuple[Clip, list[Edit], str, Path]) -> Query:
    clip, chosen, family, out = job
    before, filters, after = _filters(chosen, _size(clip.path))
    command = [_FFMPEG, "-v", "error", "-y", *before, "-i", str(clip.path)]
    command += ["-vf", ",".join(filters)] if filters else []
    subprocess.run([*command, *after, str(out)], check=True)
    forms = video.query_videos(out)
    out.unlink()
    return Query(
        clip.name,
        family,
        chosen,
        {name: value.to_text() for name, value in forms.items()},
        forms["original"].to_text(),
    )


def _bank(clip: Clip) -> tuple[str, str]:
    return clip.name, video.hash_video(clip.path).to_text()


# --- the run -----------------------------------------------------------------------------


@dataclass
class Tally:
    edits: int = 0
    found: int = 0
    anchor: int = 0


@dataclass
class Run:
    seed: int
    clips: int
    unrelated: int
    seconds: float
    families: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    bands: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    forms: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    pairs: int = 0
    false_matches: int = 0
    nearest_unrelated: float = 0.0
    plain_seconds: float = 0.0
    forms_seconds: float = 0.0
    #: The queries not found, with each form's share of the own clip (for development).
    misses: list[str] = field(default_factory=list)


def _band(edit: Edit) -> str:
    p = edit.params
    if edit.family == "reencode":
        return f"reencode: {p['codec']}, rate {p['rate'] or 'kept'}"
    if edit.family == "rescale":
        return (
            "rescale: "
            + ("< 0.5x" if p["factor"] < 0.5 else "0.5-1x" if p["factor"] < 1 else ">= 1x")
            + (", aspect changed" if p["squeeze"] != 1.0 else "")
        )
    if edit.family == "trim":
        return "trim: " + ("< 20 % off" if p["share"] < 0.2 else ">= 20 % off")
    if edit.family == "letterbox":
        kind = "bars to an aspect ratio" if "aspect" in p else "a frame of 2-30 % a side"
        return f"letterbox: {kind}, {'black' if p['colour'] == 'black' else 'a colour'}"
    return edit.family


def measure(seed: int, size: Size, workers: int) -> Run:
    photos, _ = pictures.photographs()
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(workers) as pool:
        folder = Path(tmp)
        total = size.clips + size.unrelated
        seeds = [int(s) for s in rng.integers(1 << 31, size=total)]
        clips = list(
            pool.map(
                make_clip,
                [f"clip{i}" for i in range(total)],
                seeds,
                [photos] * total,
                [folder] * total,
            )
        )
        banked = dict(pool.map(_bank, clips))
        originals = clips[: size.clips]
        jobs = []
        for clip in originals:
            for family in FAMILIES:
                for _ in range(size.per_family):
                    jobs.append((clip, [draw(family, rng, clip)], family))
            for _ in range(size.per_family * len(FAMILIES) // 2):
                pair = rng.choice(len(FAMILIES), 2, replace=False)
                jobs.append(
                    (clip, [draw(FAMILIES[int(k)], rng, clip) for k in sorted(pair)], COMBINATION)
                )
        started = time.perf_counter()
        queries = list(
            pool.map(
                _query,
                [(c, e, f, folder / f"q{i}.mp4") for i, (c, e, f) in enumerate(jobs)],
            )
        )
        run = Run(seed, size.clips, size.unrelated, time.perf_counter() - started)
        # The cost of the forms: masters hashed plainly and with every form, in turn.
        for clip in originals[:4]:
            started = time.perf_counter()
            video.hash_video(clip.path)
            run.plain_seconds += time.perf_counter() - started
            started = time.perf_counter()
            video.query_videos(clip.path)
            run.forms_seconds += time.perf_counter() - started
    index = VpdqIndex.build({n: video.VpdqHash.from_text(v) for n, v in banked.items()})
    by_name = {c.name: c for c in clips}
    for query in queries:
        own = by_name[query.clip]
        tally = [run.families[query.family], *(run.bands[_band(e)] for e in query.edits)]
        if query.family == COMBINATION:
            tally.append(run.bands["combination: " + " + ".join(e.family for e in query.edits)])
        forms = {n: video.VpdqHash.from_text(v) for n, v in query.forms.items()}
        hits = index.search_forms(forms, query_match_percent=0.0)
        found = [h for h in hits if h.id == own.name and h.query_match_percent >= 80.0]
        plain = video.compare_videos(
            video.VpdqHash.from_text(query.plain), video.VpdqHash.from_text(banked[own.name])
        )
        for t in tally:
            t.edits += 1
            t.found += bool(found)
            t.anchor += video.is_match(plain)
        if found:
            run.forms[found[0].query_form] += 1
        else:
            best = {h.query_form: round(h.query_match_percent) for h in hits if h.id == own.name}
            run.misses.append(f"{own.name} {[(e.family, e.params) for e in query.edits]} {best}")
        unrelated = [c for c in clips if c.name != own.name and not (c.sources & own.sources)]
        run.pairs += len(unrelated)
        names = {c.name for c in unrelated}
        for hit in hits:
            if hit.id in names:
                run.nearest_unrelated = max(run.nearest_unrelated, hit.query_match_percent)
                run.false_matches += hit.query_match_percent >= 80.0
    return run


def _share(hits: int, total: int) -> str:
    return f"{hits / total:.3f}" if total else "-"


def _row(label: str, tallies: Sequence[Tally | None], target: float | None) -> str:
    missed = target is not None and any(
        t and t.edits and t.found / t.edits < target for t in tallies
    )
    counts = " / ".join(str(t.edits) if t else "0" for t in tallies)
    plain = " / ".join(_share(t.anchor, t.edits) if t else "-" for t in tallies)
    found = " / ".join(_share(t.found, t.edits) if t else "-" for t in tallies)
    return (
        f"| {label} | {counts} | {plain} | {found}{' **(missed)**' if missed else ''} "
        f"| {target if target is not None else '-'} |"
    )


def report(runs: Sequence[Run], command: str) -> list[str]:
    seeds = " / ".join(str(r.seed) for r in runs)
    first = runs[0]
    out = [
        f"Seeds {seeds} (each figure is given for each seed, in that order), `{command}`. "
        f"{first.clips} clips made for each seed (camera moves over the photographs that "
        f"packages ship and generated scenes, 1-4 shots, some fading; 8 sizes, 24-30 fps), "
        f"banked by vPDQ a frame a second beside {first.unrelated} unrelated clips; "
        f"random edits of each (`bench/video_robustness.py`), a query found when one of "
        f"its forms (`alliance.hashing.video.query_videos`) matches its own clip by the "
        f"vPDQ rule (80 % of its frames within 31). Plain vPDQ: the edited clip's own vPDQ "
        f"against its clip's, python-threatexchange's rule.",
        "",
        "| edit | queries | plain vPDQ | alliance | target |",
        "|---|---|---|---|---|",
    ]
    for family in (*FAMILIES, COMBINATION):
        out.append(_row(family, [r.families.get(family) for r in runs], TARGET))
    every = [Tally() for _ in runs]
    for total, run in zip(every, runs, strict=True):
        for tally in run.families.values():
            total.edits += tally.edits
            total.found += tally.found
            total.anchor += tally.anchor
    out.append(_row("**all video edits**", every, TARGET))
    out += [
        "",
        "By parameter band:",
        "",
        "| band | queries | plain vPDQ | alliance | target |",
        "|---|---|---|---|---|",
    ]
    bands = sorted({b for r in runs for b in r.bands})
    for band in bands:
        out.append(_row(band, [r.bands.get(band) for r in runs], None))
    forms = " / ".join(
        ", ".join(f"{n} {c}" for n, c in sorted(r.forms.items(), key=lambda kv: -kv[1]))
        for r in runs
    )
    out += [
        "",
        f"Which form found them: {forms}.",
        "",
        f"**False matches: {' / '.join(str(r.false_matches) for r in runs)}** among "
        f"{' / '.join(f'{r.pairs:,}' for r in runs)} (query, unrelated clip) pairs, every form "
        f"of each query searched; the closest unrelated pair had "
        f"{' / '.join(f'{r.nearest_unrelated:.0f} %' for r in runs)} of the query's frames "
        f"within 31 (a match needs 80 %).",
        "",
        f"Cost of the forms: hashing a clip with every form takes "
        f"{' / '.join(f'{r.forms_seconds / r.plain_seconds:.1f}' for r in runs)} times as long "
        f"as its plain vPDQ (4 masters, one process: the forms decode the video once more, "
        f"with FFmpeg's command line, besides vPDQ's own decoding, and hash ten frames "
        f"a second as they are, centred at 640 x 640 and, when small, enlarged to 512).",
    ]
    return out


def video_robustness(seeds: Sequence[int] = DEFAULT_SEEDS, quick: bool = False) -> list[str]:
    """The section: the suite under each seed."""
    size = QUICK if quick else FULL
    runs = [measure(seed, size, os.cpu_count() or 1) for seed in seeds]
    for run in runs:
        for miss in run.misses:
            print(f"seed {run.seed}: not found: {miss}", file=sys.stderr)
    command = f"python -m bench --only video --seed {','.join(map(str, seeds))}" + (
        " --quick" if quick else ""
    )
    return report(runs, command)
