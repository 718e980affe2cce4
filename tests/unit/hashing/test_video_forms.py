"""The forms a query video is searched by: mirrored, without bars, sampled ten frames a
second and matched by the second (issue 18, part 3). Clips are generated here: a smooth
random texture under a fast pan, so that half a second later is another picture."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from alliance.hashing import normalise, pdq, video
from alliance.hashing.pdq import PdqHash
from alliance.matching.video import VpdqIndex

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary to make clips"
)


def _texture(seed: int, size: tuple[int, int] = (800, 240)) -> Image.Image:
    """A smooth random picture: coarse noise enlarged, in colour."""
    coarse = np.random.default_rng(seed).integers(0, 256, (size[1] // 16, size[0] // 16, 3))
    return Image.fromarray(coarse.astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)


def _panned(path: Path, seed: int, seconds: float = 6.0, rate: int = 25) -> Path:
    """A 160x120 clip panning across a texture by an eighth of the view a second."""
    picture = _texture(seed)
    frames = []
    for i in range(int(seconds * rate)):
        left = i / rate * 0.125 * 240
        box = (left, 0.0, left + 240, 180.0)
        frames.append(picture.resize((160, 120), Image.Resampling.BILINEAR, box=box).tobytes())
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "160x120",
         "-r", str(rate), "-i", "-", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p",
         str(path)],
        input=b"".join(frames),
        check=True,
    )  # fmt: skip
    return path


def _edited(source: Path, path: Path, *options: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *options[:2], "-i", str(source), *options[2:],
         "-c:v", "libx264", "-crf", "23", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _frames(*spans: tuple[float, str]) -> video.VpdqHash:
    return video.VpdqHash(
        tuple(video.VideoFrame(PdqHash.from_hex(h, 100), i, t) for i, (t, h) in enumerate(spans))
    )


A, B, C, D = "0" * 64, "f" * 64, "0f" * 32, "f0" * 32


def test_a_further_form_is_counted_by_the_second() -> None:
    # Three seconds sampled twice a second; one frame of each second is a banked frame.
    query = _frames((0.0, A), (0.5, B), (1.0, C), (1.5, B), (2.0, B), (2.5, A))
    target = _frames((0.0, A), (1.0, C))
    assert [len(u) for u in query.units(window=1.0)] == [2, 2, 2]
    by_frame = video.compare_videos(query, target)
    assert by_frame.query_match_percent == pytest.approx(200 / 3)  # A and C of A, B, C
    by_second = video.compare_videos(query, target, window=1.0)
    assert by_second.query_match_percent == 100.0
    assert by_second.target_match_percent == 100.0
    # The index counts the same way, and says which form matched.
    index = VpdqIndex.build({"v": target, "w": _frames((0.0, D))})
    assert index.search(query) == []  # by its frames: 2 of 3
    [match] = index.search_forms({"original": _frames((0.0, B)), "resampled": query})
    assert (match.id, match.query_form, match.query_match_percent) == ("v", "resampled", 100.0)
    assert video.window_of("original") is None
    assert video.window_of("flip_horizontal") == video.FORM_WINDOW


def test_clip_bars_are_the_bars_every_frame_has() -> None:
    rng = np.random.default_rng(3)

    def framed(inner: np.ndarray, top: int, left: int, colour: float) -> np.ndarray:
        out = np.full((120, 200), colour, np.float32)
        out[top : top + inner.shape[0], left : left + inner.shape[1]] = inner
        return out

    scenes = [rng.uniform(30, 220, (80, 150)).astype(np.float32) for _ in range(10)]
    # A dark edge in one scene looks like wider bars there: most frames' reading wins.
    scenes[3][:, :20] = 90.0
    frames = [framed(s, 25, 30, 90.0) for s in scenes]
    frames.append(np.full((120, 200), 0.0, np.float32))  # a fade: says nothing
    assert video.clip_bars(frames) == (25, 105, 30, 180)
    # Bars that only a few frames show are a scene's, not the clip's.
    plain = [rng.uniform(30, 220, (120, 200)).astype(np.float32) for _ in range(8)]
    assert video.clip_bars([*plain, *frames[:2]]) is None
    assert video.clip_bars(plain) is None


@needs_ffmpeg
def test_bars_are_read_through_the_ringing_of_a_re_encoded_edge(tmp_path: Path) -> None:
    """A bar's edge inside a coding block (x = 50 and 450, not multiples of 8), coarsely
    re-encoded: the block rings the bar's lines next to the picture off the bar's colour,
    where trim_box stops; the bars are read to the picture's edge all the same."""
    master = _panned(tmp_path / "master.mp4", seed=1, seconds=2.0)
    copy = _edited(master, tmp_path / "padded.mp4", "-ss", "0", "-vf",
                   "scale=400:300,pad=500:300:50:0:color=0x145875")  # fmt: skip
    coarse = tmp_path / "coarse.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(copy), "-c:v", "mpeg4", "-q:v", "16",
         "-pix_fmt", "yuv420p", str(coarse)],
        check=True,
    )  # fmt: skip
    stream = video._probe("ffprobe", coarse, 1.0)
    frames = [luma for _, luma in video._frames("ffmpeg", coarse, stream, 1)]
    # trim_box stops at the block's edge, up to 6 pixels into the right bar.
    assert max((normalise.trim_box(f) or (0, 0, 0, 0))[3] for f in frames) >= 454
    bars = video.clip_bars(frames)
    assert bars is not None
    top, bottom, left, right = bars
    assert (top, bottom, right) == (0, 300, 450)
    assert abs(left - 50) <= 1  # at most a line of the rung block left


@needs_ffmpeg
def test_mirrored_letterboxed_and_trimmed_copies_are_found(tmp_path: Path) -> None:
    pytest.importorskip("vpdq")
    master = _panned(tmp_path / "master.mp4", seed=1)
    other = _panned(tmp_path / "other.mp4", seed=2)
    index = VpdqIndex.build({"master": video.hash_video(master), "other": video.hash_video(other)})
    copies = {
        "mirrored": ("-vf", "hflip", "flip_horizontal"),
        "letterboxed": ("-vf", "pad=260:160:30:12:color=0x3366aa", "unletterbox"),
        "mirrored and letterboxed": (
            "-vf",
            "hflip,pad=160:200:0:40",
            "unletterbox_flip_horizontal",
        ),
    }
    for name, (flag, graph, form) in copies.items():
        copy = _edited(master, tmp_path / "copy.mp4", "-ss", "0", flag, graph)
        assert not video.is_match(
            video.compare_videos(video.hash_video(copy), video.hash_video(master))
        ), name
        [match] = index.search_forms(video.query_videos(copy))
        assert (match.id, match.query_form) == ("master", form), name
    # Trimmed 0.5 s into a fast pan: no frame of the copy's is one of the bank's, but ten
    # frames a second have one within a twentieth of a second of each.
    trimmed = _edited(master, tmp_path / "trimmed.mp4", "-ss", "0.5", "-t", "4.5")
    plain = video.compare_videos(video.hash_video(trimmed), video.hash_video(master))
    assert not video.is_match(plain)
    [match] = index.search_forms(video.query_videos(trimmed))
    assert (match.id, match.query_form) == ("master", "resampled")
    assert match.query_match_percent >= 80
    # The unrelated clip is found by none of the forms.
    assert [m.id for m in index.search_forms(video.query_videos(other))] == ["other"]


def _page(seed: int, size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """A page of text as a video frame shows it: rows of dark words on white."""
    rng = np.random.default_rng(seed)
    width, height = size
    page = np.full((height, width), 235.0, np.float32)
    for y in range(12, height - 12, 12):
        x = 16
        while x < width - 40:
            length = int(rng.integers(10, 50))
            page[y : y + 6, x : x + length] = rng.uniform(20, 80)
            x += length + 6
    return page


def _enlarged(luma: np.ndarray) -> PdqHash:
    """A frame's hash as the ``enlarged`` forms make it."""
    size = video._enlarged_size((luma.shape[0], luma.shape[1]))
    return pdq.pdq_from_block(pdq.resized_blocks(luma, size)["original"])


def _centred(luma: np.ndarray) -> PdqHash:
    """A frame's hash as the ``centred`` forms make it."""
    side = video.CENTRED_SIDE
    return pdq.pdq_from_block(pdq.resized_blocks(luma, (side, side))["original"])


def _shrunk(luma: np.ndarray, factor: float, resample: Image.Resampling) -> np.ndarray:
    size = (round(luma.shape[1] * factor), round(luma.shape[0] * factor))
    return np.asarray(Image.fromarray(luma, mode="F").resize(size, resample), np.float32)


@pytest.mark.parametrize("factor", [0.3, 0.4])
def test_a_shrunk_page_enlarged_meets_its_full_size_hash(factor: float) -> None:
    """PDQ hardly blurs a small frame, so a shrunk page's fine print aliases into other
    bits; enlarged to the forms' side it is blurred as the full-size frame was."""
    for seed in (0, 1):
        page = _page(seed)
        full = pdq.pdq_from_luma(page)
        shrunk = _shrunk(page, factor, Image.Resampling.BOX)
        rows, cols = video._enlarged_size((shrunk.shape[0], shrunk.shape[1]))
        assert min(rows, cols) == video.VIDEO_FRAME_SIDE
        assert cols == pytest.approx(rows * 16 / 9, abs=1)
        assert pdq.hamming(full.digest, pdq.pdq_from_luma(shrunk).digest) > 31
        assert pdq.hamming(full.digest, _enlarged(shrunk).digest) <= 31


def _fine_print(seed: int, size: tuple[int, int] = (360, 640)) -> np.ndarray:
    """A page of fine print (11-pixel letters, 14-pixel lines), as a phone shows one."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", size, 240)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=11)
    for y in range(6, size[1] - 12, 14):
        line = " ".join(
            "".join(rng.choice(list("etaoinshrdlucmfwyp"), int(rng.integers(1, 9))))
            for _ in range(12)
        )
        draw.text((6, y), line, fill=30, font=font)
    return np.asarray(image, np.float32)


@pytest.mark.parametrize("factor", [0.5, 0.6, 0.7])
def test_a_shrunk_page_of_fine_print_meets_its_hash_centred(factor: float) -> None:
    """PDQ's samples alias fine print, so its bits are locked to the frame's pixel grid:
    a page 360 pixels wide (PDQ's box 3 pixels, centred) one pixel wider is another
    hash, and a smaller copy, as it is or enlarged to 512 (a box of 4, a pixel off
    centre), misses it. Resized to 640 a side (a box of 5, centred, on whole pixels)
    it meets it; and no other page."""
    pages = [_fine_print(seed) for seed in range(3)]
    banked = [pdq.pdq_from_luma(page) for page in pages]
    wider = _shrunk(pages[0], 361 / 360, Image.Resampling.BICUBIC)
    assert pdq.hamming(banked[0].digest, pdq.pdq_from_luma(wider).digest) > 15
    for seed, page in enumerate(pages):
        shrunk = _shrunk(page, factor, Image.Resampling.BICUBIC)
        assert pdq.hamming(banked[seed].digest, pdq.pdq_from_luma(shrunk).digest) > 31
        assert pdq.hamming(banked[seed].digest, _enlarged(shrunk).digest) > 31
        centred = _centred(shrunk)
        for other, bank in enumerate(banked):
            near = pdq.hamming(bank.digest, centred.digest) <= 31
            assert near == (other == seed), (seed, other)


@needs_ffmpeg
def test_small_copies_are_searched_enlarged_too(tmp_path: Path) -> None:
    pytest.importorskip("vpdq")
    small = _panned(tmp_path / "small.mp4", seed=1, seconds=2.0)
    forms = video.query_videos(small)
    assert {"enlarged", "enlarged_flip_horizontal", "centred", "centred_flip_horizontal"} <= set(
        forms
    )
    assert [f.timestamp for f in forms["enlarged"].frames] == [
        f.timestamp for f in forms["resampled"].frames
    ]
    assert [f.timestamp for f in forms["centred"].frames] == [
        f.timestamp for f in forms["resampled"].frames
    ]
    # A frame as large as the forms' side is hashed as it is, and centred.
    large = _edited(small, tmp_path / "large.mp4", "-ss", "0", "-vf", "scale=684:512")
    names = set(video.query_videos(large))
    assert not {name for name in names if "enlarged" in name}
    assert {"centred", "centred_flip_horizontal"} <= names


@needs_ffmpeg
def test_a_smaller_copy_of_a_fine_print_clip_is_found_centred(tmp_path: Path) -> None:
    """A still page of fine print, banked by vPDQ at 360 x 640, and its copy at 0.6 of
    the size: none of the other forms finds it (each frame is more than 31 bits from
    the banked ones), the centred forms do; an unrelated page's clip is found by none."""
    pytest.importorskip("vpdq")
    clips = {}
    for seed in (0, 1):
        page = np.rint(_fine_print(seed)).astype(np.uint8)
        frames = np.repeat(page[None, :, :, None], 3, axis=3).repeat(75, axis=0)
        path = tmp_path / f"page{seed}.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
             "360x640", "-r", "25", "-i", "-", "-c:v", "libx264", "-crf", "18", "-pix_fmt",
             "yuv420p", str(path)],
            input=frames.tobytes(),
            check=True,
        )  # fmt: skip
        clips[f"page{seed}"] = path
    index = VpdqIndex.build({name: video.hash_video(path) for name, path in clips.items()})
    copy = _edited(clips["page0"], tmp_path / "copy.mp4", "-ss", "0", "-vf", "scale=216:384")
    forms = video.query_videos(copy)
    others = {name: form for name, form in forms.items() if "centred" not in name}
    assert index.search_forms(others) == []
    [match] = index.search_forms(forms)
    assert (match.id, match.query_form) == ("page0", "centred")


def test_frames_sampled_are_every_step_and_every_frame_vpdq_hashes() -> None:
    assert list(itertools.islice(video._sampled(2, 25), 16)) == [
        *range(0, 25, 2),
        25,
        26,
        28,
    ]
    assert list(itertools.islice(video._sampled(3, 30), 5)) == [0, 3, 6, 9, 12]
    assert list(itertools.islice(video._sampled(4, 4), 3)) == [0, 4, 8]


@needs_ffmpeg
def test_the_further_forms_hash_the_frames_vpdq_hashes(tmp_path: Path) -> None:
    """A mirror image keeps the clip's timing: its flipped form then holds the very frames
    the bank hashed (at 25 fps, the 25th, 50th...), not only their neighbours."""
    pytest.importorskip("vpdq")
    clip = _panned(tmp_path / "clip.mp4", seed=3, seconds=3.0)
    banked = video.hash_video(clip)
    mirrored = _edited(clip, tmp_path / "mirror.mp4", "-ss", "0", "-vf", "hflip")
    forms = video.query_videos(mirrored)
    numbers = {f.frame_number for f in forms["flip_horizontal"].frames}
    assert {f.frame_number for f in banked.frames} <= numbers
    steps = {b - a for a, b in itertools.pairwise(sorted(numbers))}
    assert steps <= {1, 2}  # ten frames a second or more, vPDQ's among them


def test_a_dark_shot_longer_than_the_rest_does_not_widen_the_bars() -> None:
    """Two shots in a frame of 25/30 pixels: the longer one is dark along its bottom,
    which its frames read as a wider bar; the bars are what the other shot reads."""
    rng = np.random.default_rng(5)
    frames = []
    for n in range(10):
        scene = rng.uniform(30, 220, (80, 150)).astype(np.float32)
        if n >= 4:  # six of ten frames: more than half
            scene[-15:, :] = 0.0
        out = np.zeros((120, 200), np.float32)
        out[25:105, 30:180] = scene
        frames.append(out)
    assert video.clip_bars(frames) == (25, 105, 30, 180)


@needs_ffmpeg
def test_bars_added_around_a_page_leave_the_banked_frames_pixel_for_pixel(
    tmp_path: Path,
) -> None:
    """A page of fine print banked at 360 x 640, framed to 574 x 874 (its frames are
    decoded reduced to 512 pixels a side, 0.89 of the size): the picture inside the bars
    is taken in the video's own pixels, so the unletterboxed frames are the banked ones,
    not a resampling of them 20-40 bits away."""
    pytest.importorskip("vpdq")
    page = np.rint(_fine_print(2)).astype(np.uint8)
    frames = np.repeat(page[None, :, :, None], 3, axis=3).repeat(50, axis=0)
    master = tmp_path / "page.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
         "360x640", "-r", "25", "-i", "-", "-c:v", "libx264", "-crf", "18", "-pix_fmt",
         "yuv420p", str(master)],
        input=frames.tobytes(),
        check=True,
    )  # fmt: skip
    banked = {f.frame_number: f.pdq for f in video.hash_video(master).frames}
    framed = _edited(master, tmp_path / "framed.mp4", "-ss", "0", "-vf",
                     "pad=574:874:131:97:color=0x2a5d3c")  # fmt: skip
    inside = video.query_videos(framed)["unletterbox"]
    distances = [f.pdq.distance(banked[f.frame_number]) for f in inside.frames
                 if f.frame_number in banked]  # fmt: skip
    assert distances and max(distances) <= 8, distances
