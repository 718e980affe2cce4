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
from alliance.hashing.files import walk
from alliance.hashing.record import HashRecord, hash_media
from alliance.hashing.signal_type import HashOptions, IndexKind, SignalType
from alliance.hashing.video import DEFAULT_QUERY_MATCH_PERCENT, VpdqHash
from alliance.matching import crypto_index, fileformat, pdq_index
from alliance.matching import video as video_index
from alliance.matching.crypto_index import CryptoIndex
from alliance.matching.hashfile import looks_like_hashfile, read_hashfile
from alliance.matching.pdq_index import MAX_RADIUS, PdqIndex, check_radius
from alliance.matching.video import VpdqIndex

_T = TypeVar("_T")
_R = TypeVar("_R")


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class PipelineChoice(StrEnum):
    fast = "fast"
    reference = "reference"


def register(app: typer.Typer) -> None:
    """Add ``hash``, ``match`` and the ``index`` group to ``app``."""
    app.command("hash")(hash_command)
    app.command("match")(match_command)
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


def _hash_one(args: tuple[Path, tuple[str, ...], HashOptions]) -> HashRecord:
    """Hash one file; an error becomes the record's ``error`` (a folder scan goes on)."""
    path, names, options = args
    try:
        return hash_media(path, names, options)
    except AllianceError as exc:
        return HashRecord(str(path), error=exc.message)


def _listed(paths: list[str]) -> str:
    """The first five paths, and how many more: an error line stays one line."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _emit(records: Iterable[HashRecord], fmt: OutputFormat, columns: list[str]) -> list[str]:
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
        if record.error is not None:
            failed.append(record.path)
        if writer is not None:
            writer.writerow(record.to_dict())
        else:
            sys.stdout.write(record.to_json() + "\n")
        sys.stdout.flush()
    return failed


# --- alliance hash -----------------------------------------------------------------------


def hash_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders to walk.")],
    *,
    signal_names: Annotated[
        str,
        typer.Option("--signals", help=f"Comma-separated: {', '.join(signals.REGISTRY)}."),
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
            "15 %), the four halves and the four quarters, which match banks built with --variants "
            "through meme text, captions and stickers.",
        ),
    ] = False,
    bank_variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="Add pdq_variants: every robust-banking variant (rotations/flips, crops, "
            "tilts, middle strip...), to build an index from media you hold.",
        ),
    ] = False,
    query: Annotated[
        bool,
        typer.Option(
            "--query",
            help="Add pdq_variants / vpdq_variants: the forms a query is searched by "
            "(pictures: without a frame of any width and colour, straightened, middle "
            "strip, each flipped and turned; videos: ten frames a second, mirrored, "
            "without bars).",
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
    options = HashOptions(
        pipeline="reference" if pipeline is PipelineChoice.reference else "fast",
        dihedral=dihedral,
        overlays=overlays,
        bank_variants=bank_variants,
        query=query,
        all_frames=all_frames,
    )
    work = [(f, names, options) for f in files]
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
        str,
        typer.Option(
            help=f"The signal type to index, one of {', '.join(signals.REGISTRY)}: the index "
            "kind follows it (PDQ radius search, vPDQ videos, exact lookup of file digests).",
        ),
    ] = "pdq",
) -> None:
    """Build an index of one signal type from a hash file (its kind follows the type)."""
    kind = signals.get(signal)
    records = list(read_hashfile(hashfile, kind.name))
    said = _BUILDERS[kind.index_kind](records, kind, out, bank)
    err_console.print(said, highlight=False)


def _build_pdq(records: list[HashRecord], kind: SignalType, out: Path, bank: str) -> str:
    """Every distinct form of each entry (its variants and frames) under the entry's id."""
    hashes, ids, kinds = [], [], []
    for record in records:
        one = record.signals[kind.name]
        forms = [
            ("original", one.value),
            *one.variants.items(),
            *((variants.ANIMATION_FRAME, f) for f in one.frames),
        ]
        for name, value in variants.distinct((k, pdq.PdqHash.from_hex(v)) for k, v in forms):
            hashes.append(value.digest)
            ids.append(record.name())
            kinds.append(name)
    index = PdqIndex.build(hashes, ids, banks=bank, variants=kinds, threads=os.cpu_count() or 1)
    index.save(out)
    return f"indexed {len(records)} entries ({len(hashes)} hashes) into {out}"


def _build_vpdq(records: list[HashRecord], kind: SignalType, out: Path, bank: str) -> str:
    videos = {r.name(): VpdqHash.from_text(r.signals[kind.name].value) for r in records}
    if not videos:
        raise InvalidInput(
            f"no vPDQ hashes to index (hash videos with `alliance hash --signals {kind.name}`)"
        )
    index = VpdqIndex.build(videos)
    index.save(out)
    return f"indexed {len(videos)} videos ({len(index)} with usable frames) into {out}"


def _build_exact(records: list[HashRecord], kind: SignalType, out: Path, bank: str) -> str:
    values = [r.signals[kind.name].value for r in records]
    CryptoIndex.build(kind.name, values, [r.name() for r in records]).save(out)
    return f"indexed {len(values)} {kind.name} hashes into {out}"


_BUILDERS: dict[IndexKind, Callable[[list[HashRecord], SignalType, Path, str], str]] = {
    IndexKind.pdq: _build_pdq,
    IndexKind.vpdq: _build_vpdq,
    IndexKind.exact: _build_exact,
}
#: The first bytes of an index file -> its kind.
_MAGICS = {
    pdq_index.MAGIC: IndexKind.pdq,
    video_index.MAGIC: IndexKind.vpdq,
    crypto_index.MAGIC: IndexKind.exact,
}


# --- alliance match ----------------------------------------------------------------------


def _query_records(
    paths: list[Path], options: HashOptions, jobs: int, signal: str = "pdq"
) -> Iterator[HashRecord]:
    """Queries: the entries of hash files as they are, the other files hashed."""
    media: list[Path] = []
    for path in walk(paths):
        if looks_like_hashfile(path, signal):
            yield from read_hashfile(path, signal)
        else:
            media.append(path)
    work = [(p, (signal,), options) for p in media]
    yield from _run(_hash_one, work, jobs, "hashing queries")


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
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Search each file's own PDQ or vPDQ only. By default its query forms "
            "are searched too (`alliance hash --query`): a picture without a frame of any "
            "width and colour, straightened, its middle strip, each flipped and turned; a "
            "video ten frames a second, mirrored, without bars.",
        ),
    ] = False,
    dihedral: Annotated[
        bool, typer.Option("--dihedral", help="With --plain: also its rotations/flips.")
    ] = False,
    overlays: Annotated[
        bool, typer.Option("--overlays", help="With --plain: also its middle strip.")
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
    kind = _MAGICS.get(fileformat.magic(index_path), IndexKind.pdq)
    if kind is IndexKind.exact:
        _match_exact(queries, CryptoIndex.open(index_path), jobs)
    elif kind is IndexKind.vpdq:
        index = VpdqIndex.open(index_path)
        options = HashOptions(query=not plain)
        _match_videos(
            queries, index, radius, query_match_percent, target_match_percent, options, jobs
        )
    else:
        options = HashOptions(
            dihedral=dihedral, overlays=overlays, query=not plain, all_frames=all_frames
        )
        _match_pdq(queries, PdqIndex.open(index_path), radius, bank, options, jobs)


def _match_pdq(
    queries: list[Path],
    index: PdqIndex,
    radius: int,
    bank: list[str] | None,
    options: HashOptions,
    jobs: int,
) -> None:
    """PDQ matching: each query's forms (variants, frames) searched within ``radius``."""
    failed: list[str] = []
    matched = total = 0
    for query in _query_records(queries, options, jobs):
        total += 1
        name = query.name()
        found = query.get("pdq")
        if found is None:
            failed.append(name)
            sys.stdout.write(json.dumps({"query": name, "error": query.error}) + "\n")
            continue
        forms = {
            **(found.variants or {"original": found.value}),
            **{f"frame_{i}": h for i, h in enumerate(found.frames, start=2)},
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
        line: dict[str, Any] = {"query": name, "hash": found.value}
        if found.quality is not None:
            line["quality"] = found.quality
            if found.quality < pdq.LOW_QUALITY:
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


def _match_videos(
    queries: list[Path],
    index: VpdqIndex,
    radius: int,
    query_share: float,
    target_share: float,
    options: HashOptions,
    jobs: int,
) -> None:
    """vPDQ matching: a video matches when enough of the query's frames are near its own,
    in one of the query's forms (mirrored, without bars, sampled more often)."""
    failed: list[str] = []
    matched = total = 0
    for query in _query_records(queries, options, jobs, "vpdq"):
        name = query.name()
        found = query.get("vpdq")
        if found is None and query.error is None:
            sys.stdout.write(json.dumps({"query": name, "skipped": "not a video"}) + "\n")
            continue
        total += 1
        if found is None:
            failed.append(name)
            sys.stdout.write(json.dumps({"query": name, "error": query.error}) + "\n")
            continue
        value = VpdqHash.from_text(found.value)
        forms = {"original": value} | {
            name: VpdqHash.from_text(text) for name, text in found.variants.items()
        }
        matches = index.search_forms(
            forms,
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
                    **({"query_form": m.query_form} if m.query_form != "original" else {}),
                }
                for m in matches
            ],
        }
        matched += bool(matches)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    _summary(total, matched, failed)


def _match_exact(queries: list[Path], index: CryptoIndex, jobs: int) -> None:
    """Exact lookups: hash-file lines as they are, any other file by its digest."""
    failed: list[str] = []
    matched = total = 0
    for query in _query_records(queries, HashOptions(), jobs, index.algorithm):
        total += 1
        name = query.name()
        value = query.value(index.algorithm)
        if value is None:
            failed.append(name)
            sys.stdout.write(json.dumps({"query": name, "error": query.error}) + "\n")
            continue
        matches = [{"id": i, "hash": value, "distance": 0} for i in index.lookup(value)]
        matched += bool(matches)
        sys.stdout.write(json.dumps({"query": name, "hash": value, "matches": matches}) + "\n")
        sys.stdout.flush()
    _summary(total, matched, failed)


#: ``alliance index``.
index_app = typer.Typer(help="Build PDQ indexes for `alliance match`.", no_args_is_help=True)
index_app.command("build")(index_build_command)
