"""`alliance hash`, `alliance index build`, `alliance match` as a new user runs them."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from alliance.cli.engine import register
from alliance.demo import media
from alliance.errors import InvalidInput
from alliance.hashing import variants
from alliance.hashing.errors import InvalidHash
from alliance.matching.errors import InvalidRadius

DIH = Path(__file__).resolve().parents[1] / "data" / "pdq-reference" / "reg-test-input" / "dih"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    (media / "sub").mkdir(parents=True)
    shutil.copy(DIH / "bridge-1-original.jpg", media / "original.jpg")
    Image.open(DIH / "bridge-1-original.jpg").reduce(2).save(media / "sub" / "small.png")
    (media / "notes.txt").write_text("not an image")
    (media / "empty.jpg").write_bytes(b"")
    return media


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_hash_folder_continues_past_bad_files(app: typer.Typer, folder: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(folder), "--signals", "pdq,sha1"])
    records = {Path(str(r["path"])).name: r for r in _lines(result.stdout)}
    assert set(records) == {"original.jpg", "small.png", "notes.txt", "empty.jpg"}
    assert len(str(records["original.jpg"]["pdq"])) == 64
    assert records["original.jpg"]["pdq_quality"] == 100
    assert "sha1" in records["small.png"]
    assert "empty file" in str(records["empty.jpg"]["error"])
    assert "not an image" in str(records["notes.txt"]["error"])
    assert isinstance(result.exception, InvalidInput)
    assert "2 of 4 files could not be hashed" in result.exception.message


def test_hash_csv_and_jobs(app: typer.Typer, folder: Path) -> None:
    good = [str(folder / "original.jpg"), str(folder / "sub")]
    one = CliRunner().invoke(app, ["hash", *good, "--format", "csv"])
    two = CliRunner().invoke(app, ["hash", *good, "--format", "csv", "--jobs", "2"])
    assert one.exit_code == 0, one.output
    rows = list(csv.DictReader(io.StringIO(one.stdout)))
    assert [r["path"] for r in rows] == [*good[:1], str(folder / "sub" / "small.png")]
    assert set(rows[0]) == {"path", "pdq", "md5", "sha256", "pdq_quality", "error"}
    assert two.stdout == one.stdout


def _hash_and_index(
    app: typer.Typer, tmp_path: Path, hash_args: list[str], build_args: list[str]
) -> tuple[Path, Path, str]:
    """`alliance hash` into a hash file, `alliance index build` from it: (file, index,
    what the build said)."""
    runner = CliRunner()
    hashed = runner.invoke(app, ["hash", *hash_args])
    assert hashed.exit_code == 0, hashed.output
    hashfile = tmp_path / "bank.jsonl"
    hashfile.write_text(hashed.stdout)
    index = tmp_path / "bank.idx"
    built = runner.invoke(app, ["index", "build", str(hashfile), "--out", str(index), *build_args])
    assert built.exit_code == 0, built.output
    return hashfile, index, built.output


def test_build_and_match_media_and_hashfiles(
    app: typer.Typer, tmp_path: Path, folder: Path
) -> None:
    runner = CliRunner()
    hashfile, index, _ = _hash_and_index(
        app, tmp_path, [str(folder / "original.jpg"), "--dihedral"], ["--bank", "demo"]
    )
    # A flipped copy matches through the stored dihedral variant; the query needs one hash.
    result = runner.invoke(app, ["match", str(DIH / "bridge-5-flipx.jpg"), "--index", str(index)])
    assert result.exit_code == 0, result.output
    [line] = _lines(result.stdout)
    [match] = line["matches"]
    assert match["id"] == str(folder / "original.jpg")
    assert match["variant"] != "original"
    assert match["bank"] == "demo"
    assert match["distance"] <= 10
    plain = tmp_path / "queries.txt"
    plain.write_text(f"q1\t{json.loads(hashfile.read_text())['pdq']}\n{'0' * 64}\n")
    result = runner.invoke(app, ["match", str(plain), "--index", str(index), "--radius", "0"])
    first, second = _lines(result.stdout)
    assert first["query"] == "q1"
    assert first["matches"][0]["distance"] == 0
    assert second["query"] == "2"
    assert second["matches"] == []
    assert "1 of 2 queries matched" in result.stderr


def test_match_query_side_dihedral(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    hashfile = tmp_path / "plain.jsonl"
    hashfile.write_text(runner.invoke(app, ["hash", str(DIH / "bridge-1-original.jpg")]).stdout)
    index = tmp_path / "plain.pdqidx"
    runner.invoke(app, ["index", "build", str(hashfile), "--out", str(index)])
    query = str(DIH / "bridge-2-rotate-90.jpg")
    plain = runner.invoke(app, ["match", query, "--index", str(index), "--plain"])
    assert _lines(plain.stdout)[0]["matches"] == []
    # By default a query searches its flips and turns (and its other forms).
    for extra in ([], ["--plain", "--dihedral"]):
        result = runner.invoke(app, ["match", query, "--index", str(index), *extra])
        [match] = _lines(result.stdout)[0]["matches"]
        assert match["query_variant"] in {"rotate90", "rotate270"}
        assert match["distance"] <= 10


def test_match_overlays_finds_a_captioned_copy(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    hashfile, index, _ = _hash_and_index(
        app, tmp_path, [str(DIH / "bridge-1-original.jpg"), "--variants"], []
    )
    assert "middle_70" in json.loads(hashfile.read_text())["pdq_variants"]
    with Image.open(DIH / "bridge-1-original.jpg") as original:
        captioned = media.captioned(original, "TOP TEXT", "a caption")
    query = str(tmp_path / "captioned.jpg")
    captioned.save(query, quality=90)
    # The text changes what PDQ sees of the whole picture: its one hash lands far away.
    [plain] = _lines(runner.invoke(app, ["match", query, "--index", str(index), "--plain"]).stdout)
    assert all(m["distance"] > 15 for m in plain["matches"])
    result = runner.invoke(app, ["match", query, "--index", str(index), "--plain", "--overlays"])
    assert result.exit_code == 0, result.output
    [match] = _lines(result.stdout)[0]["matches"]
    assert (match["variant"], match["query_variant"]) == ("middle_70", "middle_70")
    assert match["distance"] <= 10
    record = json.loads(runner.invoke(app, ["hash", query, "--overlays"]).stdout)
    parts = {name for name, *_ in (*variants.HALVES, *variants.QUARTERS)}
    assert set(record["pdq_variants"]) - parts == {"original", "middle_70"}
    # The default query forms find it too, and `alliance hash --query` lists them.
    result = runner.invoke(app, ["match", query, "--index", str(index)])
    [match] = _lines(result.stdout)[0]["matches"]
    assert match["distance"] <= 10
    record = json.loads(runner.invoke(app, ["hash", query, "--query"]).stdout)
    assert {"original", "middle_70", "half_left", "rotate90"} <= set(record["pdq_variants"])


def test_animations_every_frame(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    frames = [media.picture(seed, (320, 240)) for seed in (1, 2, 3)]
    animation = tmp_path / "anim.gif"
    frames[0].save(animation, save_all=True, append_images=[frames[1], frames[1], frames[2]])
    record = json.loads(runner.invoke(app, ["hash", str(animation), "--all-frames"]).stdout)
    assert len(record["pdq_frames"]) == 2  # the repeated frame once
    # A bank of the last frame as a still: only a query of every frame finds it.
    still = tmp_path / "third.png"
    frames[2].save(still)
    _, index, _ = _hash_and_index(app, tmp_path / "", [str(still)], [])
    [first] = _lines(runner.invoke(app, ["match", str(animation), "--index", str(index)]).stdout)
    assert first["matches"] == []
    result = runner.invoke(app, ["match", str(animation), "--index", str(index), "--all-frames"])
    [match] = _lines(result.stdout)[0]["matches"]
    assert match["query_variant"] == "frame_3"
    # A bank of the animation: a still of its second frame matches the entry's "frame".
    (tmp_path / "anim").mkdir()
    _, index, _ = _hash_and_index(app, tmp_path / "anim", [str(animation), "--all-frames"], [])
    frames[1].save(still)
    [line] = _lines(runner.invoke(app, ["match", str(still), "--index", str(index)]).stdout)
    assert [(m["id"], m["variant"]) for m in line["matches"]] == [(str(animation), "frame")]


def _clip(path: Path, source: str, *extra: str) -> Path:
    """Make a clip with ffmpeg: ``source`` is a lavfi generator or a video file."""
    generated = [] if Path(source).is_file() else ["-f", "lavfi"]
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", *generated, "-i", source, "-pix_fmt", "yuv420p",
         *extra, str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary to make clips")
def test_videos_hash_index_and_match(app: typer.Typer, tmp_path: Path) -> None:
    pytest.importorskip("vpdq")
    runner = CliRunner()
    bank = tmp_path / "bank"
    bank.mkdir()
    _clip(bank / "bars.mp4", "testsrc=duration=4:size=320x240:rate=10")
    _clip(bank / "fractal.mp4", "mandelbrot=size=320x240:rate=10", "-t", "4")
    shutil.copy(DIH / "bridge-1-original.jpg", bank / "still.jpg")  # a picture: passed over
    hashfile, index, said = _hash_and_index(
        app, tmp_path, [str(bank), "--signals", "vpdq,md5"], ["--signal", "vpdq"]
    )
    assert "indexed 2 videos" in said
    # A smaller, recompressed copy of one clip finds that clip and not the other.
    queries = tmp_path / "queries"
    queries.mkdir()
    _clip(queries / "copy.mp4", str(bank / "fractal.mp4"), "-vf", "scale=240:180", "-crf", "30")
    (queries / "broken.mp4").write_bytes(b"not a video")
    shutil.copy(DIH / "bridge-1-original.jpg", queries / "still.jpg")
    result = runner.invoke(app, ["match", str(queries), "--index", str(index)])
    lines = {Path(str(line["query"])).name: line for line in _lines(result.stdout)}
    [match] = lines["copy.mp4"]["matches"]
    assert Path(match["id"]).name == "fractal.mp4"
    assert match["query_match_percent"] >= 80
    assert "error" in lines["broken.mp4"]
    assert lines["still.jpg"]["skipped"] == "not a video"
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message.startswith("1 of 2 queries matched; 1 could not be hashed")
    # A mirrored copy in black bars: found by its query forms, not by its plain vPDQ.
    mirrored = tmp_path / "mirrored"
    mirrored.mkdir()
    _clip(mirrored / "copy.mp4", str(bank / "fractal.mp4"), "-vf", "hflip,pad=320:320:0:40")
    forms = runner.invoke(app, ["match", str(mirrored), "--index", str(index)])
    [line] = _lines(forms.stdout)
    [match] = line["matches"]
    assert (Path(match["id"]).name, match["query_form"]) == (
        "fractal.mp4",
        "unletterbox_flip_horizontal",
    )
    plain = runner.invoke(app, ["match", str(mirrored), "--index", str(index), "--plain"])
    assert [q["matches"] for q in _lines(plain.stdout)] == [[]]
    hashed = runner.invoke(
        app, ["hash", str(mirrored / "copy.mp4"), "--query", "--signals", "vpdq"]
    )
    [record] = _lines(hashed.stdout)
    assert set(record["vpdq_variants"]) >= {"flip_horizontal", "unletterbox_flip_horizontal"}
    # The bank's own hash file as the query: each video finds itself.
    again = runner.invoke(app, ["match", str(hashfile), "--index", str(index)])
    found = {Path(str(q["query"])).name: q["matches"] for q in _lines(again.stdout)}
    assert {name: [Path(m["id"]).name for m in ms] for name, ms in found.items()} == {
        "bars.mp4": ["bars.mp4"],
        "fractal.mp4": ["fractal.mp4"],
    }
    # A hash file without videos is refused, naming it.
    pictures = tmp_path / "pictures.jsonl"
    pictures.write_text(runner.invoke(app, ["hash", str(bank / "still.jpg")]).stdout)
    refused = runner.invoke(
        app, ["index", "build", str(pictures), "--out", str(index), "--signal", "vpdq"]
    )
    assert isinstance(refused.exception, InvalidInput)
    assert "no vPDQ hashes" in refused.exception.message


def test_bad_input_is_one_clear_error(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.txt"
    bad.write_text("a" * 64 + "\nzz\n")
    result = runner.invoke(app, ["index", "build", str(bad), "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, InvalidHash)
    assert "bad.txt:2" in result.exception.message
    good = tmp_path / "good.txt"
    good.write_text("a" * 64 + "\n")
    runner.invoke(app, ["index", "build", str(good), "--out", str(tmp_path / "g.pdqidx")])
    result = runner.invoke(
        app, ["match", str(good), "--index", str(tmp_path / "g.pdqidx"), "--radius", "40"]
    )
    assert isinstance(result.exception, InvalidRadius)
    result = runner.invoke(app, ["hash", str(tmp_path / "missing")])
    assert isinstance(result.exception, InvalidInput)
    assert "no such file" in result.exception.message
    result = runner.invoke(app, ["hash", str(good), "--signals", "pdq,crc"])
    assert isinstance(result.exception, InvalidInput)
    assert "'crc'" in result.exception.message


def test_banked_variants_match_a_framed_copy(
    app: typer.Typer, tmp_path: Path, folder: Path
) -> None:
    runner = CliRunner()
    original = folder / "original.jpg"
    hashfile, index, _ = _hash_and_index(
        app, tmp_path, [str(original), "--signals", "pdq", "--variants"], []
    )
    assert {"tilt_cw_2", "tilt_ccw_7", "crop_left_7.5", "crop_top_2.5_right_10"} <= set(
        json.loads(hashfile.read_text())["pdq_variants"]
    )
    with Image.open(original) as image:
        rgb = image.convert("RGB")
    # A frame of no particular width or colour, wider on one side: the query trims it.
    framed = Image.new("RGB", (round(rgb.width * 1.37), round(rgb.height * 1.09)), (0, 90, 160))
    framed.paste(rgb, (round(rgb.width * 0.31), round(rgb.height * 0.02)))
    framed.save(tmp_path / "framed.png")
    plain = runner.invoke(
        app, ["match", str(tmp_path / "framed.png"), "--index", str(index), "--plain"]
    )
    assert _lines(plain.stdout)[0]["matches"] == []
    result = runner.invoke(app, ["match", str(tmp_path / "framed.png"), "--index", str(index)])
    assert result.exit_code == 0, result.output
    [line] = _lines(result.stdout)
    [match] = line["matches"]
    assert (match["variant"], match["query_variant"]) == ("original", "unletterbox")
    assert match["distance"] <= 8


def test_crypto_index_build_and_match(app: typer.Typer, tmp_path: Path, folder: Path) -> None:
    runner = CliRunner()
    original = folder / "original.jpg"
    hashed = runner.invoke(app, ["hash", str(original), "--signals", "sha256"])
    hashfile = tmp_path / "sha.jsonl"
    hashfile.write_text(hashed.stdout)
    index = tmp_path / "sha.cryptoidx"
    built = runner.invoke(
        app, ["index", "build", str(hashfile), "--out", str(index), "--signal", "sha256"]
    )
    assert built.exit_code == 0, built.output
    copy = tmp_path / "copy.jpg"
    shutil.copy(original, copy)
    result = runner.invoke(app, ["match", str(copy), str(folder / "sub"), "--index", str(index)])
    assert result.exit_code == 0, result.output
    same, other = _lines(result.stdout)
    assert same["matches"] == [
        {"id": str(original), "hash": json.loads(hashed.stdout)["sha256"], "distance": 0}
    ]
    assert other["matches"] == []
    plain = tmp_path / "queries.txt"
    plain.write_text(f"q1\t{json.loads(hashed.stdout)['sha256']}\n")
    [line] = _lines(runner.invoke(app, ["match", str(plain), "--index", str(index)]).stdout)
    assert line["query"] == "q1"
    assert len(line["matches"]) == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("abc\n")
    result = runner.invoke(
        app, ["index", "build", str(bad), "--out", str(tmp_path / "b"), "--signal", "md5"]
    )
    assert isinstance(result.exception, InvalidHash)
    assert "bad.txt:1" in result.exception.message
