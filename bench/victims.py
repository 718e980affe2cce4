"""Seizure triage at the issue's scale: a 1,000,000-item seizure against 10,000,000 records.

Everything happens in a fresh PostgreSQL database (:mod:`bench.postgres`, dropped at the
end); every hash is random (seeded), no media is involved.

1. **Load** (setting up; timed, but not part of the goal). Three police agencies (NL, DE,
   FR) and an investigator of the first, through the account services. One series per
   ``RECORDS_PER_SERIES`` records, owned in turn by the three agencies (every tenth with
   a second agency collaborating), each registered as a deconfliction target of its
   agencies as :mod:`alliance.victims.series` does. Then the media records by one binary
   ``COPY ... FREEZE`` (the rows are built with numpy in PostgreSQL's binary tuple format):
   random MD5, SHA-1 and PDQ, SHA-256 on a tenth, ``MEMBER_SHARE`` of them linked to a
   series (the PDQ index's members); the secondary indexes and foreign keys are dropped
   before the ``COPY`` and rebuilt from their own definitions after it, then ``ANALYZE``.
2. **Triage**: :func:`alliance.victims.triage.triage_seizure` and the commit, from the raw
   bytes of a JSON-lines file in the shape ``alliance hash --signals pdq,md5,sha1``
   prints. ``KNOWN_SHARE`` of the items carry the MD5, SHA-1 and PDQ of a record; the
   others carry an MD5 and SHA-1 nobody knows and a PDQ that is, for half of them, a
   series member's with 4-16 random bits flipped (near) and for the other half random
   (new). **Cold**: the first seizure, which builds the PDQ index from the database;
   **warm**: a second seizure (other records, other PDQs), index cached. The phases are
   timed by wrapping the service's module functions for the duration of the call
   (:func:`_spans`) and by its ``progress`` callback; every item's verdict is checked
   against what was planted. Peak RSS is the process's (Linux ``VmHWM``, reset before
   each run; the database server's memory is not in it). Triage and anchors run with the
   address space capped (:func:`_memory_cap`): a service that asks for more memory than
   the machine has is reported as failed, and the rest of ``make bench`` goes on.
3. **Anchors**, on the same data in the same run. Exact part: the service's chunked
   ``IN`` lookups against the alternative design, the seizure's hashes copied into a
   temporary table and joined. PDQ part: the engine's index (the one triage built, one
   thread) against python-threatexchange's ``PDQIndex`` (faiss ``IndexBinaryMultiHash``,
   one thread) on the same member hashes and ``ANCHOR_QUERIES`` of the seizure's PDQs.

``python -m bench --victims-records N --victims-seizure M`` sizes it (the issue's
10,000,000 and 1,000,000 by default); ``python -m bench.victims [N [M]]`` runs only this.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import resource
import struct
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import JurisdictionIn, OrganisationIn, UserIn
from alliance.cooperation.models import TargetKind, WatchedTarget
from alliance.db import create_db_engine, make_session_factory, transaction
from alliance.db.migrate import upgrade
from alliance.matching.pdq_index import PdqIndex, as_words
from alliance.victims import catalogue, formats, triage
from alliance.victims.models import AgencyRole, Series, SeriesAgency, SeriesStatus
from alliance.victims.series import TARGET_SOURCE
from bench.postgres import (
    drop_for_copy,
    make_again,
    not_measured,
    postgres_database,
    postgres_problem,
)

DEFAULT_RECORDS = 10_000_000  # the figures
DEFAULT_SEIZURE = 1_000_000
GOAL_SECONDS = 600  # the goal: 10 minutes end to end
SEED = 6
RECORDS_PER_SERIES = 500  # 10,000,000 records: 20,000 series
MEMBER_SHARE = 0.8  # records linked to a series
SHA256_SHARE = 0.1
UNCATEGORISED_SHARE = 0.15
IDENTIFIED_SERIES_SHARE = 0.15
KNOWN_SHARE = 0.9  # seizure items whose MD5 and SHA-1 name a record
FLIPPED_BITS = (4, 16)  # a near item: a member's PDQ with this many bits flipped
COPY_ROWS = 250_000
ANCHOR_QUERIES = 2_000  # PDQ anchor: it takes 5-16 ms a query at 8M hashes
SEARCH_CHUNK = 1_024  # queries per raw_search when the benchmark drives the index itself
OPERATOR = Principal.operator("bench")
AGENCIES = (("NL", "Netherlands"), ("DE", "Germany"), ("FR", "France"))
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # binary timestamps count from it
_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


# --- generated data ----------------------------------------------------------------------


def _hex(digests: NDArray[np.uint8]) -> NDArray[np.bytes_]:
    """(N, k) digests as N lower-case hex strings (bytes of length 2k)."""
    return _HEX[digests].view(f"S{2 * digests.shape[1]}").ravel()


def _random_digests(rng: np.random.Generator, count: int, size: int) -> NDArray[np.uint8]:
    return np.frombuffer(rng.bytes(count * size), np.uint8).reshape(count, size)


@dataclass
class _Records:
    """What the seizures are drawn from: every record's hashes and series (0: none).
    Record ``i`` has id ``i + 1``."""

    md5: NDArray[np.uint8]
    sha1: NDArray[np.uint8]
    pdq: NDArray[np.uint8]
    series: NDArray[np.int32]
    series_count: int

    def __len__(self) -> int:
        return len(self.series)


def _records(count: int, rng: np.random.Generator) -> _Records:
    series_count = max(3, count // RECORDS_PER_SERIES)
    member = rng.random(count) < MEMBER_SHARE
    return _Records(
        md5=_random_digests(rng, count, 16),
        sha1=_random_digests(rng, count, 20),
        pdq=_random_digests(rng, count, 32),
        series=np.where(member, rng.integers(1, series_count + 1, count), 0).astype(np.int32),
        series_count=series_count,
    )


@dataclass
class _Seizure:
    """A seizure file and what each of its lines was planted as."""

    data: bytes  # JSON lines
    kind: NDArray[np.int8]  # per line: KNOWN, NEAR or NEW
    record: NDArray[np.int64]  # known: the record's id
    series: NDArray[np.int64]  # near: the series of the member it was made from
    pdq: NDArray[np.uint8]  # every line's PDQ

    def __len__(self) -> int:
        return len(self.kind)

    def count(self, kind: int) -> int:
        return int((self.kind == kind).sum())


KNOWN, NEAR, NEW = 0, 1, 2


def _seizure(records: _Records, size: int, rng: np.random.Generator, number: int) -> _Seizure:
    known = round(size * KNOWN_SHARE)
    near = (size - known) // 2
    new = size - known - near
    chosen = rng.choice(len(records), known, replace=False)
    members = np.flatnonzero(records.series)
    sources = rng.choice(members, near, replace=False)
    flips = rng.integers(FLIPPED_BITS[0], FLIPPED_BITS[1] + 1, near)
    ranks = np.argsort(rng.random((near, 256), dtype=np.float32), axis=1)
    near_pdq = records.pdq[sources] ^ np.packbits(ranks < flips[:, None], axis=1)

    order = rng.permutation(size)  # the kinds mixed, as in a real seizure
    kind = np.repeat(np.array([KNOWN, NEAR, NEW], np.int8), [known, near, new])[order]
    record = np.concatenate([chosen + 1, np.zeros(near + new, np.int64)])[order]
    series = np.concatenate(
        [records.series[chosen], records.series[sources], np.zeros(new, np.int32)]
    ).astype(np.int64)[order]
    unknown = size - known
    md5 = np.concatenate([records.md5[chosen], _random_digests(rng, unknown, 16)])[order]
    sha1 = np.concatenate([records.sha1[chosen], _random_digests(rng, unknown, 20)])[order]
    pdq = np.concatenate([records.pdq[chosen], near_pdq, _random_digests(rng, new, 32)])[order]
    lines = [
        b'{"path": "/evidence/seizure-%d/DCIM/IMG_%07d.jpg", "pdq": "%s", "md5": "%s", '
        b'"sha1": "%s", "pdq_quality": 100}' % (number, line, p, m, s)
        for line, (p, m, s) in enumerate(
            zip(_hex(pdq).tolist(), _hex(md5).tolist(), _hex(sha1).tolist(), strict=True),
            start=1,
        )
    ]
    return _Seizure(b"\n".join(lines) + b"\n", kind, record, series, pdq)


def _as_csv(jsonl: bytes) -> bytes:
    """The same seizure as a CSV file (``alliance hash --format csv`` columns)."""
    out = [b"path,pdq,md5,sha1,pdq_quality"]
    for line in jsonl.splitlines():
        cells = line.split(b'"')  # {"path": "P", "pdq": "H", "md5": "H", "sha1": "H", ...
        out.append(b"%s,%s,%s,%s,100" % (cells[3], cells[7], cells[11], cells[15]))
    return b"\n".join(out) + b"\n"


# --- the world and the load --------------------------------------------------------------


@dataclass
class _World:
    engine: Engine
    sessions: sessionmaker[Session]
    url: str  # for psycopg
    agencies: list[int]
    investigator: Principal


def _world(url: str) -> _World:
    """A migrated database with three police agencies and an investigator of the first."""
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        ids = []
        for code, country in AGENCIES:
            accounts.add_jurisdiction(session, OPERATOR, JurisdictionIn(code=code, name=country))
            ids.append(
                accounts.create_organisation(
                    session,
                    OPERATOR,
                    OrganisationIn(
                        slug=f"bench-police-{code.lower()}",
                        name=f"Bench police {code}",
                        kind=OrgKind.law_enforcement,
                        country_code=code,
                    ),
                ).id
            )
        user, _password = accounts.create_user(
            session,
            OPERATOR,
            UserIn(
                username="investigator-nl",
                display_name="Investigator NL",
                role=Role.investigator,
                organisation="bench-police-nl",
            ),
        )
        investigator = accounts.principal_for_user(user)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return _World(engine, sessions, plain, ids, investigator)


def _code(number: int) -> str:
    """A series code in the references' alphabet, from its number."""
    letters = []
    for _ in range(8):
        number, digit = divmod(number, len(references.ALPHABET))
        letters.append(references.ALPHABET[digit])
    return "S-" + "".join(reversed(letters))


def _load_series(world: _World, count: int, identified: NDArray[np.bool_]) -> None:
    """``count`` series (ids 1..count), their agencies and deconfliction targets."""
    agencies = world.agencies
    series_rows: list[dict[str, Any]] = []
    agency_rows: list[dict[str, Any]] = []
    target_rows: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        code = _code(number)
        owner = agencies[number % len(agencies)]
        working = [owner]
        if number % 10 == 0:
            working.append(agencies[(number + 1) % len(agencies)])
        series_rows.append(
            {
                "id": number,
                "code": code,
                "name": f"Bench series {number}",
                "name_key": f"bench series {number}",
                "owner_organisation_id": owner,
                "status": SeriesStatus.victim_identified
                if identified[number]
                else SeriesStatus.active,
                "first_seen_at": LOADED_AT - timedelta(days=number % 4000),
                "countries": [AGENCIES[number % len(agencies)][0]],
                "notes": "",
                "created_at": LOADED_AT,
                "created_by": "operator:bench",
                "updated_at": LOADED_AT,
            }
        )
        for n, organisation in enumerate(working):
            agency_rows.append(
                {
                    "series_id": number,
                    "organisation_id": organisation,
                    "role": AgencyRole.owner if n == 0 else AgencyRole.collaborator,
                    "added_at": LOADED_AT,
                    "added_by": "operator:bench",
                }
            )
            target_rows.append(
                {
                    "organisation_id": organisation,
                    "kind": TargetKind.series,
                    "value": code,
                    "source": TARGET_SOURCE,
                    "source_reference": code,
                    "registered_at": LOADED_AT,
                }
            )
    with transaction(world.sessions) as session:
        session.execute(insert(Series), series_rows)
        session.execute(insert(SeriesAgency), agency_rows)
        session.execute(insert(WatchedTarget), target_rows)


@dataclass(frozen=True)
class _Column:
    """One column of a binary COPY: values already in the wire type (big-endian numbers,
    bytes); ``present`` False where the value is NULL (None: never NULL)."""

    name: str
    values: NDArray[Any]
    present: NDArray[np.bool_] | None = None


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def _binary_tuples(columns: Sequence[_Column]) -> bytes:
    """Rows in PostgreSQL's binary COPY tuple format, built as numpy structured arrays:
    one array per pattern of NULL columns (rows are written grouped by pattern; their ids
    are explicit, so the order does not matter)."""
    count = len(columns[0].values)
    pattern = np.zeros(count, np.int64)
    for bit, column in enumerate(columns):
        if column.present is not None:
            pattern |= (~column.present).astype(np.int64) << bit
    order = np.argsort(pattern, kind="stable")
    codes, starts = np.unique(pattern[order], return_index=True)
    parts = []
    for code, begin, end in zip(codes, starts, [*starts[1:], count], strict=True):
        rows = order[begin:end]
        nulls = [bool(int(code) >> bit & 1) for bit in range(len(columns))]
        layout: list[tuple[str, Any]] = [("fields", ">i2")]
        for i, (column, null) in enumerate(zip(columns, nulls, strict=True)):
            layout.append((f"length{i}", ">i4"))
            if not null:
                layout.append((f"value{i}", column.values.dtype))
        block = np.empty(len(rows), np.dtype(layout))
        block["fields"] = len(columns)
        for i, (column, null) in enumerate(zip(columns, nulls, strict=True)):
            block[f"length{i}"] = -1 if null else column.values.dtype.itemsize
            if not null:
                block[f"value{i}"] = column.values[rows]
        parts.append(block.tobytes())
    return b"".join(parts)


def _timestamps(values: NDArray[np.int64]) -> NDArray[Any]:
    """Microseconds since 2000-01-01 (PostgreSQL's binary timestamp), big-endian."""
    return values.astype(">i8")


def _record_columns(
    records: _Records,
    begin: int,
    end: int,
    identified: NDArray[np.bool_],
    agencies: list[int],
    rng: np.random.Generator,
) -> list[_Column]:
    n = end - begin
    series = records.series[begin:end]
    loaded = int((LOADED_AT - PG_EPOCH).total_seconds() * 1_000_000)
    twelve_years = 12 * 365 * 86_400 * 1_000_000
    first = loaded - rng.integers(0, twelve_years, n)
    last = first + (rng.random(n) * (loaded - first)).astype(np.int64)
    flag = np.ones(n, np.bool_)
    return [
        _Column("id", np.arange(begin + 1, end + 1).astype(">i4")),
        _Column("md5", _hex(records.md5[begin:end])),
        _Column("sha1", _hex(records.sha1[begin:end])),
        _Column("sha256", _hex(_random_digests(rng, n, 32)), rng.random(n) < SHA256_SHARE),
        _Column("pdq", _hex(records.pdq[begin:end])),
        _Column("media_type", np.full(n, b"image", "S5")),
        _Column(
            "category",
            rng.integers(0, 5, n).astype(">i2"),
            rng.random(n) >= UNCATEGORISED_SHARE,
        ),
        _Column("baseline", (rng.random(n) < 0.3).astype(np.uint8)),
        _Column("victim_identified", (identified[series] & (series > 0)).astype(np.uint8)),
        _Column("offender_identified", np.zeros(n, np.uint8)),
        _Column("is_distributed", (rng.random(n) < 0.6).astype(np.uint8)),
        _Column("file_available", np.zeros(n, np.uint8)),
        _Column("submissions", (1 + rng.geometric(0.5, n)).astype(">i4")),
        _Column("first_seen_at", _timestamps(first)),
        _Column("last_seen_at", _timestamps(last)),
        _Column("series_id", series.astype(">i4"), series > 0),
        _Column(
            "created_by_organisation_id",
            np.array(agencies, ">i4")[rng.integers(0, len(agencies), n)],
            flag,
        ),
        _Column("catalogued_at", _timestamps(np.full(n, loaded, np.int64))),
    ]


@dataclass
class _Load:
    records: int
    series: int
    copy_seconds: float  # series, agencies, targets and the records' COPY
    index_seconds: float  # secondary indexes and foreign keys rebuilt
    analyze_seconds: float
    indexes: list[str]
    database_bytes: int


def _load(world: _World, records: _Records, rng: np.random.Generator) -> _Load:
    start = time.perf_counter()
    identified = rng.random(records.series_count + 1) < IDENTIFIED_SERIES_SHARE
    _load_series(world, records.series_count, identified)
    return copy_records(world.url, records, identified, world.agencies, rng, start=start)


def copy_records(
    url: str,
    records: _Records,
    identified: NDArray[np.bool_],
    agencies: list[int],
    rng: np.random.Generator,
    *,
    start: float | None = None,
) -> _Load:
    """``records`` into ``media_records`` (series ``1..records.series_count`` exist
    already; ``identified`` per series number), created by ``agencies`` at random: the
    secondary indexes and foreign keys dropped, one binary ``COPY ... FREEZE``, rebuilt,
    ``ANALYZE``. ``url`` is a plain ``postgresql://`` address; the copy's time counts
    from ``start`` (default: now). Also used by :mod:`bench.progress_report`."""
    start = time.perf_counter() if start is None else start
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        dropped = drop_for_copy(cursor, "media_records", "f")
        # Emptied in the same transaction, the table takes COPY FREEZE: rows written
        # frozen and all-visible, so the first reads do not rewrite every page.
        cursor.execute("TRUNCATE media_records CASCADE")
        chunks = (
            _record_columns(
                records,
                begin,
                min(begin + COPY_ROWS, len(records)),
                identified,
                agencies,
                rng,
            )
            for begin in range(0, len(records), COPY_ROWS)
        )
        first = next(chunks)
        statement = sql.SQL("COPY media_records ({}) FROM STDIN (FORMAT BINARY, FREEZE)").format(
            sql.SQL(", ").join(sql.Identifier(column.name) for column in first)
        )
        with cursor.copy(statement) as copy:
            copy.write(COPY_HEADER)
            for columns in itertools.chain([first], chunks):
                copy.write(_binary_tuples(columns))
            copy.write(COPY_TRAILER)
        for table, count in (("media_records", len(records)), ("series", records.series_count)):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                (table, count),
            )
        connection.commit()
        copied = time.perf_counter()
        make_again(cursor, dropped)
        connection.commit()
        indexed = time.perf_counter()
        cursor.execute("ANALYZE media_records")
        cursor.execute("ANALYZE series")
        connection.commit()
        analyzed = time.perf_counter()
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()
    return _Load(
        records=len(records),
        series=records.series_count,
        copy_seconds=copied - start,
        index_seconds=indexed - copied,
        analyze_seconds=analyzed - indexed,
        indexes=[name for name, _ in dropped.indexes],
        database_bytes=int(size[0]) if size else 0,
    )


# --- measuring a triage -----------------------------------------------------------------


@contextlib.contextmanager
def _spans(
    spans: dict[str, tuple[float, float]], wrapped: Sequence[tuple[object, str, str]]
) -> Iterator[None]:
    """While inside, each ``(owner, attribute, label)`` — a module function the service
    calls through its module, or a class's method — records when its last call started
    and ended under ``label``. Restored on the way out."""
    originals: list[tuple[object, str, object]] = []

    def timed(call: Callable[..., Any], label: str) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spans[label] = (start, time.perf_counter())

        return run

    try:
        for owner, attribute, label in wrapped:
            originals.append((owner, attribute, vars(owner)[attribute]))
            setattr(owner, attribute, timed(getattr(owner, attribute), label))
        yield
    finally:
        for owner, attribute, original in reversed(originals):
            setattr(owner, attribute, original)


WRAPPED: list[tuple[object, str, str]] = [
    (formats, "parse_seizure", "parse"),
    (triage, "_exact", "exact"),
    (catalogue, "near_hits", "near"),
    (catalogue, "_members", "members"),
    (catalogue, "_build", "build"),
    (PdqIndex, "build", "index build"),
    (triage, "_deconflict", "deconflict"),
]


def _name(owner: object) -> str:
    return str(getattr(owner, "__name__", owner)).rpartition(".")[2]


def _status(field_name: str) -> int | None:
    """A ``/proc/self/status`` memory figure in bytes (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux ``clear_refs``); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _peak_rss(reset: bool) -> tuple[int, str]:
    if reset and (peak := _status("VmHWM")) is not None:
        return peak, "during the run"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "of the process"


@contextlib.contextmanager
def _memory_cap(share: float = 0.6) -> Iterator[None]:
    """Address space capped at ``share`` of the machine's memory while inside: an
    allocation past it raises MemoryError here instead of waking the kernel's OOM killer
    (which might pick the database server)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        yield
        return
    cap = int(total * share) if hard == resource.RLIM_INFINITY else min(hard, int(total * share))
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


PHASES = (
    ("parse", "parse (JSON lines)"),
    ("exact", "exact lookups (MD5, SHA-1; chunks of {lookup:,})"),
    ("members", "PDQ index: members' count and newest change (cache key)"),
    ("read", "PDQ index: read members from the database"),
    ("index build", "PDQ index: build (`PdqIndex.build`, 2 threads)"),
    ("search", "PDQ search"),
    ("saving", "saving the items (`seizure_items`)"),
    ("updating", "updating the known records (submissions, last seen)"),
    ("deconflict", "deconfliction alerts"),
    ("commit", "audit event and commit"),
    ("other", "other"),
)


@dataclass
class _Triage:
    label: str
    items: int
    seconds: float = float("nan")
    phases: dict[str, float] = field(default_factory=dict)
    peak_rss: int = 0
    peak_scope: str = ""
    rss_before: int = 0
    totals: tuple[int, int, int] = (0, 0, 0)  # known, near, new
    alerts: int = 0
    check: str = ""
    failure: str | None = None


def _phases(
    spans: dict[str, tuple[float, float]], marks: dict[str, float], start: float, end: float
) -> dict[str, float]:
    def span(label: str) -> float:
        begin, finish = spans.get(label, (0.0, 0.0))
        return finish - begin

    built = "build" in spans and spans["build"][0] >= start
    phases = {
        "parse": span("parse"),
        "exact": span("exact"),
        "members": span("members"),
        "read": span("build") - span("index build") if built else 0.0,
        "index build": span("index build") if built else 0.0,
    }
    phases["search"] = span("near") - phases["members"] - phases["read"] - phases["index build"]
    saved = marks.get("saving", spans["near"][1])
    phases["saving"] = saved - spans["near"][1]
    phases["updating"] = spans["deconflict"][0] - saved
    phases["deconflict"] = span("deconflict")
    phases["commit"] = end - spans["deconflict"][1]
    phases["other"] = (end - start) - sum(phases.values())
    return phases


def _finished_phases(spans: dict[str, tuple[float, float]], failed: str | None) -> dict[str, float]:
    """The phases a failed run finished before ``failed`` (a label of :data:`WRAPPED`)."""
    done = {k: end - begin for k, (begin, end) in spans.items() if k != failed}
    phases: dict[str, float] = {
        k: done[k] for k in ("parse", "exact", "members", "index build") if k in done
    }
    if "build" in done and "index build" in done:
        phases["read"] = done["build"] - done["index build"]
    return phases


def _triage(world: _World, seizure: _Seizure, label: str) -> _Triage:
    """``triage_seizure`` + commit on ``seizure``'s bytes, timed by phase and checked."""
    result = _Triage(label, len(seizure))
    spans: dict[str, tuple[float, float]] = {}
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()

    reset = _reset_peak()
    result.rss_before = _status("VmRSS") or 0
    with world.sessions() as session, _spans(spans, WRAPPED):
        start = time.perf_counter()
        try:
            made = triage.triage_seizure(
                session,
                world.investigator,
                seizure.data,
                fmt=formats.SeizureFormat.jsonl,
                progress=progress,
            )
            session.commit()
        except MemoryError as exc:
            session.rollback()
            # The outermost wrapped call that raised finished last.
            failed = max(spans, key=lambda k: spans[k][1]) if spans else None
            where = next((f"`{_name(o)}.{a}`" for o, a, n in WRAPPED if n == failed), "triage")
            result.failure = (
                f"MemoryError in {where} after {time.perf_counter() - start:.0f} s ({exc})"
            )
            result.phases = _finished_phases(spans, failed)
            result.peak_rss, result.peak_scope = _peak_rss(reset)
            return result
        end = time.perf_counter()
        reference, seizure_id = made.reference, made.id
        result.totals = (made.known, made.near, made.new)
    result.peak_rss, result.peak_scope = _peak_rss(reset)
    result.seconds = end - start
    result.phases = _phases(spans, marks, start, end)
    result.alerts, result.check = _check(world, seizure, seizure_id, reference)
    return result


def _check(world: _World, seizure: _Seizure, seizure_id: int, reference: str) -> tuple[int, str]:
    """Every item's verdict against what was planted; the number of alerts sent."""
    with psycopg.connect(world.url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT line, verdict, coalesce(media_record_id, 0), coalesce(series_id, 0) "
            "FROM seizure_items WHERE seizure_id = %s ORDER BY line",
            (seizure_id,),
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM deconfliction_alerts WHERE subject = %s", (reference,))
        counted = cursor.fetchone()
    alerts = int(counted[0]) if counted else 0
    lines = np.array([row[0] for row in rows], np.int64)
    verdict = np.array(
        [(KNOWN if v == "known" else NEAR if v == "near" else NEW) for _, v, _, _ in rows], np.int8
    )
    record = np.array([row[2] for row in rows], np.int64)
    series = np.array([row[3] for row in rows], np.int64)
    if len(rows) != len(seizure) or not np.array_equal(lines, np.arange(1, len(seizure) + 1)):
        return alerts, f"**{len(rows):,} items saved for {len(seizure):,} lines**"
    known, near, new = (seizure.kind == k for k in (KNOWN, NEAR, NEW))
    wrong_known = int((known & ((verdict != KNOWN) | (record != seizure.record))).sum())
    wrong_near = int((near & ((verdict != NEAR) | (series != seizure.series))).sum())
    chance = int((new & (verdict == NEAR)).sum())
    wrong_new = int((new & (verdict == KNOWN)).sum())
    problems = [
        f"{count:,} {what}"
        for count, what in (
            (wrong_known, "known items without their record"),
            (wrong_near, "near items without their series"),
            (wrong_new, "random items found known"),
        )
        if count
    ]
    text = (
        f"**wrong: {', '.join(problems)}**"
        if problems
        else f"every item as planted ({int(known.sum()):,} known with their record, "
        f"{int(near.sum()):,} near with their series, {int(new.sum()):,} new)"
    )
    return alerts, f"{text}; random PDQs near a member by chance: {chance:,}"


# --- anchors -----------------------------------------------------------------------------

JOIN_LOOKUP = """
SELECT DISTINCT ON (position)
    position, id, series_id, category, baseline, victim_identified, is_distributed
FROM (
    SELECT s.position, m.id, m.series_id, m.category, m.baseline, m.victim_identified,
        m.is_distributed
    FROM seizure_hashes s JOIN media_records m ON m.md5 = s.md5
    UNION ALL
    SELECT s.position, m.id, m.series_id, m.category, m.baseline, m.victim_identified,
        m.is_distributed
    FROM seizure_hashes s JOIN media_records m ON m.sha1 = s.sha1
    UNION ALL
    SELECT s.position, m.id, m.series_id, m.category, m.baseline, m.victim_identified,
        m.is_distributed
    FROM seizure_hashes s JOIN media_records m ON m.sha256 = s.sha256
) AS hits
ORDER BY position, series_id IS NULL
"""


@dataclass
class _Exact:
    items: int
    known: int
    ours: float
    join: float
    plan: str
    same: bool


def _exact_anchor(world: _World, items: list[formats.SeizureHashes]) -> _Exact:
    """The service's lookups (``triage._exact``: ``IN`` lists of ``LOOKUP_CHUNK``) against
    a temporary table of the seizure's hashes (``COPY``) joined with the records."""
    with world.sessions() as session:
        start = time.perf_counter()
        ours = triage._exact(session, items, None)
        ours_seconds = time.perf_counter() - start
        session.rollback()
    with psycopg.connect(world.url) as connection, connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            "CREATE TEMP TABLE seizure_hashes (position integer, md5 varchar(32), "
            "sha1 varchar(40), sha256 varchar(64)) ON COMMIT DROP"
        )
        with cursor.copy("COPY seizure_hashes FROM STDIN") as copy:
            for position, item in enumerate(items):
                copy.write_row((position, item.md5, item.sha1, item.sha256))
        cursor.execute("ANALYZE seizure_hashes")
        cursor.execute(JOIN_LOOKUP)
        theirs = {row[0]: row[1] for row in cursor}
        join_seconds = time.perf_counter() - start
        cursor.execute("EXPLAIN " + JOIN_LOOKUP)
        plan = [str(row[0]) for row in cursor]
        connection.rollback()
    joins = [
        kind for line in plan for kind in ("Hash Join", "Merge Join", "Nested Loop") if kind in line
    ]
    return _Exact(
        items=len(items),
        known=len(ours),
        ours=ours_seconds,
        join=join_seconds,
        plan=", ".join(f"{joins.count(k)} {k.lower()}" for k in dict.fromkeys(joins)),
        same=theirs == {position: hit.record_id for position, hit in ours.items()},
    )


@dataclass
class _Pdq:
    members: int
    queries: int
    ours_build: float
    theirs_build: float
    ours_search: float
    theirs_search: float
    matches: int
    same: bool


def _pdq_anchor(world: _World, queries: NDArray[np.uint8], ours_build: float) -> _Pdq:
    """The index triage built (cached by the catalogue) against python-threatexchange's
    ``PDQIndex`` built on the same member hashes, both searched with the same queries at
    distance <= 31 on one thread; the two must find the same (query, member) pairs."""
    import faiss  # noqa: PLC0415 — bench-only dependencies
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: PLC0415

    faiss.omp_set_num_threads(1)
    radius = catalogue.NEAR_THRESHOLD
    with world.sessions() as session:
        index = catalogue.catalogue(session).index
    members = index._digests  # the member hashes triage indexed, in row order
    words = as_words(queries)
    start = time.perf_counter()
    found = []
    for begin in range(0, len(words), SEARCH_CHUNK):
        query_of, rows, _ = index.raw_search(words[begin : begin + SEARCH_CHUNK], radius)
        found.append((query_of + begin) * len(members) + rows)
    ours_search = time.perf_counter() - start
    ours = np.unique(np.concatenate(found))

    hexes = [h.decode() for h in _hex(members).tolist()]
    start = time.perf_counter()
    anchor = PDQIndex.build([(h, i) for i, h in enumerate(hexes)])
    theirs_build = time.perf_counter() - start
    del hexes
    texts = [h.decode() for h in _hex(queries).tolist()]
    start = time.perf_counter()
    result = anchor.index.search_with_distance_in_result(texts, radius)
    theirs_search = time.perf_counter() - start
    pairs = [q * len(members) + int(i) for q, text in enumerate(texts) for i, _, _ in result[text]]
    theirs = np.unique(np.array(pairs, np.int64))
    del anchor, result
    return _Pdq(
        members=len(members),
        queries=len(queries),
        ours_build=ours_build,
        theirs_build=theirs_build,
        ours_search=ours_search,
        theirs_search=theirs_search,
        matches=len(ours),
        same=bool(np.array_equal(ours, theirs)),
    )


# --- the section -------------------------------------------------------------------------


def _fig(value: float, spec: str, unit: str) -> str:
    """A figure, or "-" for one not measured."""
    return "-" if math.isnan(value) else f"{value:{spec}}{unit}"


def _gb(size: int) -> str:
    return f"{size / 2**30:.1f} GB"


def _triage_row(run: _Triage) -> str:
    if run.failure is not None:
        return (
            f"| {run.label} | {run.items:,} | **failed**: {run.failure} | - | **missed** "
            f"| {_gb(run.peak_rss)} | - | - |"
        )
    known, near, new = run.totals
    goal = "met" if run.seconds <= GOAL_SECONDS else "**missed**"
    return (
        f"| {run.label} | {run.items:,} | {run.seconds:.0f} s ({run.seconds / 60:.1f} min) "
        f"| {run.items / run.seconds:,.0f} | {goal} ({run.seconds / GOAL_SECONDS:.0%} of it) "
        f"| {_gb(run.peak_rss)} {run.peak_scope} (from {_gb(run.rss_before)}) "
        f"| {known:,} known, {near:,} near, {new:,} new; {run.alerts:,} deconfliction alerts "
        f"| {run.check} |"
    )


def _phase_rows(runs: Sequence[_Triage], seizure: int) -> list[str]:
    rows = []
    for key, title in PHASES:
        cells = []
        for run in runs:
            seconds = run.phases.get(key, 0.0)
            share = "" if run.failure is not None else f" ({seconds / run.seconds:.0%})"
            cells.append(f"{seconds:.1f} s{share}" if seconds else "-")
        text = title.format(lookup=triage.LOOKUP_CHUNK)
        if key == "search":
            text += f" ({seizure - round(seizure * KNOWN_SHARE):,} queries)"
        rows.append(f"| {text} | {' | '.join(cells)} |")
    totals = [f"{run.seconds:.1f} s" if run.failure is None else "failed" for run in runs]
    rows.append(f"| **total** | {' | '.join(totals)} |")
    return rows


def _faster(ours: float, theirs: float) -> str:
    if math.isnan(ours) or math.isnan(theirs):
        return "-"
    if theirs >= ours:
        return f"alliance {theirs / ours:.1f}x faster"
    return f"**alternative {ours / theirs:.1f}x faster**"


def _anchor_rows(exact: _Exact, pdq: _Pdq) -> list[str]:
    same_known = "same records" if exact.same else "**different records**"
    same_pairs = "same matches" if pdq.same else "**different matches**"
    return [
        f"| exact lookups, {exact.items:,} items ({exact.known:,} known) | chunked `IN` "
        f"lookups (the service): {exact.ours:.1f} s | temporary table by `COPY` + `JOIN` "
        f"({exact.plan}): {exact.join:.1f} s | {_faster(exact.ours, exact.join)} "
        f"| {same_known} |",
        f"| PDQ index build, {pdq.members:,} members | `PdqIndex.build`, 2 threads (in the cold "
        f"triage): {_fig(pdq.ours_build, '.1f', ' s')} | threatexchange `PDQIndex` (faiss "
        f"`IndexBinaryMultiHash`): {pdq.theirs_build:.1f} s "
        f"| {_faster(pdq.ours_build, pdq.theirs_build)} | - |",
        f"| PDQ search, {pdq.queries:,} of the seizure's PDQs, radius 31, one thread "
        f"| {pdq.queries / pdq.ours_search:,.0f} queries/s | "
        f"{pdq.queries / pdq.theirs_search:,.0f} queries/s (its batch search) "
        f"| {_faster(pdq.ours_search, pdq.theirs_search)} | {same_pairs} "
        f"({pdq.matches:,} query-member pairs) |",
    ]


def victims_benchmark(
    records: int = DEFAULT_RECORDS,
    seizure: int = DEFAULT_SEIZURE,
    anchor_queries: int = ANCHOR_QUERIES,
) -> list[str]:
    """Load ``records`` media records, triage two seizures of ``seizure`` items (cold,
    warm) and compare with the anchors: markdown lines."""
    problem = postgres_problem()
    if problem is not None:
        return not_measured(problem)
    if not 10 <= seizure <= records:
        raise ValueError(f"a seizure of 10 to {records:,} items (one record per known item)")
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    with postgres_database() as url:
        world = _world(url)
        try:
            data = _records(records, rng)
            load = _load(world, data, rng)
            first = _seizure(data, seizure, rng, 1)
            second = _seizure(data, seizure, rng, 2)
            del data
            with _memory_cap():
                cold = _triage(world, first, "cold: first seizure, PDQ index built")
                warm = _triage(world, second, "warm: second seizure, index cached")
                csv_data = _as_csv(first.data)
                start = time.perf_counter()
                items = formats.parse_seizure(csv_data, formats.SeizureFormat.csv)
                csv_parse = time.perf_counter() - start
                del csv_data
                exact = _exact_anchor(world, items)
                del items
                queries = first.pdq[first.kind != KNOWN][:anchor_queries]
                pdq = _pdq_anchor(world, queries, cold.phases.get("index build", float("nan")))
        finally:
            catalogue.forget()
            world.engine.dispose()
    minutes = (time.perf_counter() - started) / 60
    runs = [cold, warm]
    parse = cold.phases.get("parse", float("nan"))
    unknown = seizure - round(seizure * KNOWN_SHARE)
    return [
        "Run by `python -m bench --victims-records N --victims-seizure M` (part of `make "
        f"bench`; N = {records:,} and M = {seizure:,} here, the issue's {DEFAULT_RECORDS:,} "
        f"and {DEFAULT_SEIZURE:,} by default) or alone by `python -m bench.victims N M`; this "
        f"section took {minutes:.1f} min. A fresh PostgreSQL database (dropped afterwards) "
        f"with three police agencies; {load.series:,} series owned in turn by them, each "
        "registered as a deconfliction target of its agencies; "
        f"{records:,} media records with random MD5, SHA-1 and PDQ (SHA-256 on "
        f"{SHA256_SHARE:.0%}), {MEMBER_SHARE:.0%} of them in a series. Each seizure is a "
        "JSON-lines file as `alliance hash --signals pdq,md5,sha1` prints it: "
        f"{KNOWN_SHARE:.0%} of the items carry a record's MD5, SHA-1 and PDQ (known); the "
        "others an MD5 and SHA-1 nobody has and a PDQ that is, for half of them, a series "
        f"member's with {FLIPPED_BITS[0]}-{FLIPPED_BITS[1]} random bits flipped (near) and "
        "for the other half random (new); the kinds are mixed in the file. The "
        "investigator belongs to the agency owning a third of the series: touching "
        "another agency's series alerts it. Measured: `triage_seizure` from the file's "
        "bytes, then the commit, on this machine's "
        f"{os.cpu_count()} CPUs shared with the database server; every item's verdict is "
        "checked against what was planted.",
        "",
        "| load (setting up, not part of the goal) | time |",
        "|---|---|",
        f"| {load.series:,} series, their agencies and targets (`INSERT`), then "
        f"{load.records:,} media records by one binary `COPY ... FREEZE` (rows built with "
        f"numpy) | {load.copy_seconds:.0f} s ({load.records / load.copy_seconds:,.0f} "
        "records/s) |",
        f"| {len(load.indexes)} secondary indexes and the foreign keys, dropped before the "
        f"`COPY`, rebuilt | {load.index_seconds:.0f} s |",
        f"| `ANALYZE` | {load.analyze_seconds:.1f} s |",
        f"| database size after the load | {_gb(load.database_bytes)} |",
        "",
        "| triage (`triage_seizure` + commit) | items | wall time | items/s "
        "| goal: 10 min | peak RSS | result | checked |",
        "|---|---|---|---|---|---|---|---|",
        *(_triage_row(run) for run in runs),
        "",
        "| phase | cold | warm |",
        "|---|---|---|",
        *_phase_rows(runs, seizure),
        "",
        f"Phases are timed by wrapping the service's module functions during the call "
        "(`formats.parse_seizure`, `triage._exact`, `catalogue.near_hits`, `_members`, "
        "`_build`, `PdqIndex.build`, `triage._deconflict`) and by its `progress` callback "
        "(the last `saving` step); *other* is the rest (the permission check, the seizure "
        f"row). The same seizure as CSV parses in {csv_parse:.1f} s "
        f"({seizure / csv_parse:,.0f} items/s; JSON lines: {_fig(parse, '.1f', ' s')}). "
        "Peak RSS is the benchmark process's (`VmHWM`, reset before each run), the database "
        "server's memory not included.",
        "",
        "| part, same data | alliance | alternative | which is faster | checked |",
        "|---|---|---|---|---|",
        *_anchor_rows(exact, pdq),
        "",
        "The exact part's alternative is a design, not a product: `COPY` the seizure's "
        "hashes into a temporary table, `ANALYZE` it and join it with the records "
        "(`work_mem` 256 MB for it), instead of the service's `IN` lists. The PDQ anchor "
        "is python-threatexchange's `PDQIndex` (as HMA uses it); its per-hash `query()` "
        "would add Python overhead per call, so its batch search is timed; it runs on "
        f"{pdq.queries:,} of the {unknown:,} unknown PDQs (at its rate here all of them "
        f"would take {unknown * pdq.theirs_search / pdq.queries / 60:.0f} min). The tools "
        "hotlines and police specialists use for this triage — INTERPOL's ICSE database, "
        "Griffeye Analyze with Project VIC / CAID hash sets — are closed and publish no "
        "timings, so the end-to-end figure has no product to stand beside.",
    ]


if __name__ == "__main__":
    arguments = [int(a.replace("_", "")) for a in sys.argv[1:3]]
    print("\n".join(victims_benchmark(*arguments)))
