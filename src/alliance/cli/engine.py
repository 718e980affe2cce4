"""``alliance hash``, ``alliance index build``, ``alliance match``: the engine's commands.

Thin: they parse arguments, walk folders, show progress on stderr and print records on
stdout; the work is in :mod:`alliance.hashing` and :mod:`alliance.matching`. Errors are
:mod:`alliance.errors` exceptions, which ``alliance.cli.main`` turns into one line and
an exit code. :func:`register` adds the commands to the application.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from alliance.cli.output import err_console, progress_bar
from alliance.errors import AllianceError, InvalidInput
from alliance.hashing import parallel, pdq, signals, variants
from alliance.hashing.crypto import digest_file
from alliance.hashing.files import walk
from alliance.hashing.video import DEFAULT_QUERY_MATCH_PERCENT, VpdqHash, hash_video
from alliance.matching import crypto_index, fileformat
from alliance.matching import video as video_index
from alliance.matching.crypto_index import CryptoIndex
from alliance.matching.hashfile import (
    HashRecord,
    looks_like_hashfile,
    parse_crypto_line,
    parse_vpdq_line,
    read_crypto_hashfile,
    read_hashfile,
    read_vpdq_hashfile,
)
from alliance.matching.pdq_index import MAX_RADIUS, PdqIndex, check_radius
from alliance.matching.video import VpdqIndex

_T = TypeVar("_T")
_R = TypeVar("_R")


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class IndexSignal(StrEnum):
    pdq = "pdq"
    md5 = "md5"
    sha1 = "sha1"
    sha256 = "sha256"
    vpdq = "vpdq"


class PipelineChoice(StrEnum):
    fast = "fast"
    reference = "reference"


def register(app: typer.Typer) -> None:
    """Add ``hash``, ``match`` and the ``index`` group to ``app``."""
    app.command("hash")(hash_command)
    app.command("match")(match_command)
    index_app = typer.Typer(help="Build PDQ indexes for `alliance match`.", no_args_is_help=True)
    index_app.command("build")(index_build_command)
    app.add_typer(index_app, name="index")


# --- helpers -----------------------------------------------------------------------------


def _run(work: Callable[[_T], _R], items: list[_T], jobs: int, description: str) -> Iterator[_R]:
    """``map(work, items)`` in order, on ``jobs`` processes (one BLAS thread each: see
    :mod:`alliance.hashing.parallel`), with a progress bar."""
    with progress_bar() as progress:
        task = progress.add_task(description, total=len(items))
        for result in parallel.map_in_processes(work, items, jobs):
            yield result
            progress.advance(task)


def _hash_one(
    args: tuple[Path, tuple[str, ...], str, bool, bool, bool, bool],
) -> dict[str, Any]:
    """Hash one file; an error becomes the record's ``error`` (a folder scan goes on)."""
    path, names, pipeline, dihedral, overlays, bank_variants, all_frames = args
    try:
        return signals.hash_media(
            path,
            names,
            pipeline="reference" if pipeline == "reference" else "fast",
            dihedral=dihedral,
            overlays=overlays,
            bank_variants=bank_variants,
            all_frames=all_frames,
        )
    except AllianceError as exc:
        return {"path": str(path), "error": exc.message}


def _listed(paths: list[str]) -> str:
    """The first five paths, and how many more: an error line stays one line."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _emit(records: Iterable[dict[str, Any]], fmt: OutputFormat, columns: list[str]) -> list[str]:
    """Print records; return the paths of the ones that failed."""
    failed: list[str] = []
    writer = (
        csv.DictWriter(sys.stdout, columns, extrasaction="ignore")
        if fmt is OutputFormat.csv
        else None
    )
    if writer is not None:
        writer.writeheader()
    for record in records:
        if "error" in record:
            failed.append(str(record["path"]))
        if writer is not None:
            writer.writerow(record)
        else:
            sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
    return failed


# --- alliance hash -----------------------------------------------------------------------


def hash_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders to walk.")],
    *,
    signal_names: Annotated[
        str, typer.Option("--signals", help="Comma-separated: pdq, md5, sha1, sha256, vpdq.")
    ] = ",".join(signals.DEFAULT_SIGNALS),
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="jsonl or csv.")
    ] = OutputFormat.jsonl,
    dihedral: Annotated[
        bool, typer.Option("--dihedral", help="Add pdq_variants: the 8 rotations/flips.")
    ] = False,
    overlays: Annotated[
        bool,
        typer.Option(
            "--overlays",
            help="Add pdq_variants: the middle strip (middle_70, without the top and bottom "
            "15 %), which matches banks built with --variants through meme text and captions.",
        ),
    ] = False,
    bank_variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="Add pdq_variants: every robust-banking variant (rotations/flips, frames, "
            "crops, small tilts, middle strip), to build an index from media you hold.",
        ),
    ] = False,
    all_frames: Annotated[
        bool,
        typer.Option(
            "--all-frames",
            help="Animated images: add pdq_frames, the PDQ of each later distinct frame.",
        ),
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    pipeline: Annotated[
        PipelineChoice, typer.Option(help="fast (default) or reference (Meta's pdqhash).")
    ] = PipelineChoice.fast,
) -> None:
    """Hash media files: one record per file (JSON lines or CSV) on stdout."""
    names = signals.parse_signals(signal_names)
    files = walk(paths)
    work = [
        (f, names, pipeline.value, dihedral, overlays, bank_variants, all_frames) for f in files
    ]
    columns = ["path", *names, *(["pdq_quality"] if "pdq" in names else []), "error"]
    failed = _emit(_run(_hash_one, work, jobs, "hashing"), fmt, columns)
    if failed:
        raise InvalidInput(
            f"{len(failed)} of {len(files)} files could not be hashed: {_listed(failed)}"
        )


# --- alliance index build ----------------------------------------------------------------


def index_build_command(
    hashfile: Annotated[
        Path, typer.Argument(help="`alliance hash` JSON lines, or HEX / ID<TAB>HEX lines.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Index file to write.")],
    bank: Annotated[str, typer.Option(help="Bank name stored with every entry.")] = "default",
    signal: Annotated[
        IndexSignal,
        typer.Option(
            help="pdq (default), md5 / sha1 / sha256 for exact lookup, or vpdq for videos."
        ),
    ] = IndexSignal.pdq,
) -> None:
    """Build an exact index (PDQ, vPDQ, or a cryptographic hash) from a hash file."""
    if signal is IndexSignal.vpdq:
        videos = dict(read_vpdq_hashfile(hashfile))
        if not videos:
            raise InvalidInput(
                f"{hashfile}: no vPDQ hashes (hash videos with `alliance hash --signals vpdq`)"
            )
        videos_index = VpdqIndex.build(videos)
        videos_index.save(out)
        err_console.print(
            f"indexed {len(videos)} videos ({len(videos_index)} with usable frames) into {out}",
            highlight=False,
        )
        return
    if signal is not IndexSignal.pdq:
        pairs = list(read_crypto_hashfile(hashfile, signal.value))
        CryptoIndex.build(signal.value, [h for _, h in pairs], [i for i, _ in pairs]).save(out)
        err_console.print(f"indexed {len(pairs)} {signal.value} hashes into {out}", highlight=False)
        return
    records = list(read_hashfile(hashfile))
    hashes, ids, kinds = [], [], []
    for record in records:
        forms = [
            ("original", record.pdq),
            *record.variants.items(),
            *((variants.ANIMATION_FRAME, f) for f in record.frames),
        ]
        for name, value in variants.distinct((k, pdq.PdqHash.from_hex(v)) for k, v in forms):
            hashes.append(value.digest)
            ids.append(record.id)
            kinds.append(name)
    index = PdqIndex.build(hashes, ids, banks=bank, variants=kinds, threads=os.cpu_count() or 1)
    index.save(out)
    err_console.print(
        f"indexed {len(records)} entries ({len(hashes)} hashes) into {out}", highlight=False
    )


# --- alliance match ----------------------------------------------------------------------


def _query_records(
    paths: list[Path], dihedral: bool, overlays: bool, all_frames: bool, jobs: int
) -> Iterator[dict[str, Any]]:
    """Queries: records from hash files as they are, media hashed (with variants)."""
    media: list[Path] = []
    for path in walk(paths):
        if looks_like_hashfile(path):
            for record in read_hashfile(path):
                yield _record_query(record)
        else:
            media.append(path)
    work = [(p, ("pdq",), "fast", dihedral, overlays, False, all_frames) for p in media]
    yield from _run(_hash_one, work, jobs, "hashing queries")


def _record_query(record: HashRecord) -> dict[str, Any]:
    query: dict[str, Any] = {"path": record.id, "pdq": record.pdq, "pdq_quality": record.quality}
    if record.variants:
        query["pdq_variants"] = record.variants
    if record.frames:
        query["pdq_frames"] = list(record.frames)
    return query


def match_command(
    queries: Annotated[list[Path], typer.Argument(help="Hash files, media files or folders.")],
    *,
    index_path: Annotated[
        Path, typer.Option("--index", "-i", help="Index from `alliance index build`.")
    ],
    radius: Annotated[int, typer.Option(help=f"Largest Hamming distance, 0..{MAX_RADIUS}.")] = 31,
    bank: Annotated[
        list[str] | None, typer.Option(help="Only matches from this bank (repeatable).")
    ] = None,
    dihedral: Annotated[
        bool, typer.Option("--dihedral", help="Also search each query's rotations/flips.")
    ] = False,
    overlays: Annotated[
        bool,
        typer.Option(
            "--overlays",
            help="Also search each query's middle strip (finds banked pictures under meme "
            "text or a caption band).",
        ),
    ] = False,
    all_frames: Annotated[
        bool, typer.Option("--all-frames", help="Animated queries: search every frame.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    query_match_percent: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=100.0,
            help="vPDQ: share of the query's frames that must match a video's.",
        ),
    ] = DEFAULT_QUERY_MATCH_PERCENT,
    target_match_percent: Annotated[
        float,
        typer.Option(
            min=0.0, max=100.0, help="vPDQ: share of the video's own frames that must match."
        ),
    ] = 0.0,
) -> None:
    """Match queries against an index: one JSON line per query, closest matches first."""
    check_radius(radius)
    kind = fileformat.magic(index_path)
    if kind == crypto_index.MAGIC:
        _match_crypto(queries, CryptoIndex.open(index_path))
        return
    if kind == video_index.MAGIC:
        _match_videos(
            queries, VpdqIndex.open(index_path), radius, query_match_percent, target_match_percent
        )
        return
    index = PdqIndex.open(index_path)
    failed: list[str] = []
    matched = total = 0
    for query in _query_records(queries, dihedral, overlays, all_frames, jobs):
        total += 1
        name = query["path"]
        if "error" in query or "pdq" not in query:
            failed.append(str(name))
            sys.stdout.write(json.dumps({"query": name, "error": query.get("error")}) + "\n")
            continue
        forms = {
            **(query.get("pdq_variants") or {"original": query["pdq"]}),
            **{f"frame_{i}": h for i, h in enumerate(query.get("pdq_frames", ()), start=2)},
        }
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for form, value in forms.items():
            for match in index.search(value, radius, banks=bank):
                key = (match.bank, match.id)
                if key not in best or match.distance < best[key]["distance"]:
                    best[key] = {
                        "id": match.id,
                        "hash": match.hash,
                        "distance": match.distance,
                        "bank": match.bank,
                        "variant": match.variant,
                        **({"query_variant": form} if form != "original" else {}),
                    }
        line: dict[str, Any] = {"query": name, "hash": query["pdq"]}
        if query.get("pdq_quality") is not None:
            line["quality"] = query["pdq_quality"]
            if query["pdq_quality"] < pdq.LOW_QUALITY:
                line["low_quality"] = True
        line["matches"] = sorted(best.values(), key=lambda m: (m["distance"], m["bank"], m["id"]))
        matched += bool(best)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    _summary(total, matched, failed)


def _summary(total: int, matched: int, failed: list[str]) -> None:
    """One line on stderr for the person at the terminal (stdout stays JSON lines); the
    queries that could not be hashed make the exit code non-zero."""
    summary = f"{matched} of {total} queries matched"
    if failed:
        raise InvalidInput(f"{summary}; {len(failed)} could not be hashed: {_listed(failed)}")
    err_console.print(summary, highlight=False)


def _looks_like(path: Path, parse: Callable[[str, int], object]) -> bool:
    """True if the first lines of ``path`` parse with ``parse`` (a hash file's lines)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line for _, line in zip(range(20), handle, strict=False)]
        parsed = [parse(line, n) for n, line in enumerate(lines, 1)]
    except (OSError, UnicodeDecodeError, AllianceError):
        return False
    return any(p is not None for p in parsed)


def _video_queries(paths: list[Path]) -> Iterator[tuple[str, VpdqHash | str | None]]:
    """(name, vPDQ, or the reason there is none, or None for a file that is not a video):
    hash-file lines, or videos hashed."""
    for path in walk(paths):
        if _looks_like(path, parse_vpdq_line):
            yield from read_vpdq_hashfile(path)
            continue
        if path.suffix.lower() not in signals.VIDEO_SUFFIXES:
            yield str(path), None
            continue
        try:
            yield str(path), hash_video(path)
        except AllianceError as exc:
            yield str(path), exc.message


def _match_videos(
    queries: list[Path], index: VpdqIndex, radius: int, query_share: float, target_share: float
) -> None:
    """vPDQ matching: a video matches when enough of the query's frames are near its own."""
    failed: list[str] = []
    matched = total = 0
    for name, value in _video_queries(queries):
        if value is None:
            sys.stdout.write(json.dumps({"query": name, "skipped": "not a video"}) + "\n")
            continue
        total += 1
        if isinstance(value, str):
            failed.append(name)
            sys.stdout.write(json.dumps({"query": name, "error": value}) + "\n")
            continue
        matches = index.search(
            value,
            distance=radius,
            query_match_percent=query_share,
            target_match_percent=target_share,
        )
        line = {
            "query": name,
            "frames": len(value.frames),
            "matches": [
                {
                    "id": m.id,
                    "query_match_percent": round(m.query_match_percent, 1),
                    "target_match_percent": round(m.target_match_percent, 1),
                }
                for m in matches
            ],
        }
        matched += bool(matches)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    _summary(total, matched, failed)


def _match_crypto(queries: list[Path], index: CryptoIndex) -> None:
    """Exact lookups: hash-file lines as they are, any other file by its digest."""
    algorithm = index.algorithm
    matched = total = 0
    for path in walk(queries):
        if _looks_like(path, lambda line, n: parse_crypto_line(line, n, algorithm)):
            pairs = list(read_crypto_hashfile(path, algorithm))
        else:
            pairs = [(str(path), digest_file(path, (algorithm,))[algorithm])]
        for name, value in pairs:
            matches = [{"id": i, "hash": value, "distance": 0} for i in index.lookup(value)]
            line = {"query": name, "hash": value, "matches": matches}
            total += 1
            matched += bool(matches)
            sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    _summary(total, matched, [])
