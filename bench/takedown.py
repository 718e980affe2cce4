"""Notice-and-takedown benchmarks: batch ingest, the worker's notices, the assessment queue.

Three measurements, each on a fresh PostgreSQL database of its own (dropped at the end):

1. **Ingest**: reports through ``POST /api/v1/reports/batch`` of a live app (uvicorn on
   127.0.0.1, in a thread of this process), 1,000 reports a request, 1-3 URLs a report,
   about a fifth of the URLs repeating an earlier one (they join its open item). Two
   client threads. The same on SQLite, at a tenth of the size, for comparison.
2. **Notices**: items assessed illegal with their first notice due, sent by the real
   :class:`~alliance.worker.runner.Worker` through the real SMTP path to a
   :class:`~alliance.demo.mailbox.LocalMailbox` on 127.0.0.1; one worker, then two in two
   threads (``FOR UPDATE SKIP LOCKED`` claims: no notice may go out twice).
3. **Claims**: 20 analysts (threads, a session each) claiming from one queue of waiting
   items with :func:`alliance.takedown.assessment.claim_next`.

The issue asked for 100,000 reports and 10,000 notices; on a 2-CPU machine the reports
take most of half an hour (about 50 reports/s on PostgreSQL; notices, sent a claimed batch
at a time, 90-140/s on a busy machine). ``--takedown-reports`` and ``--takedown-notices``
(and the arguments of :func:`takedown_benchmark`) scale it.

Everything stays on this machine: sites are ``.example.test`` names, mail goes to
127.0.0.1, and no media is involved. ``python -m bench.takedown [REPORTS]`` runs only this;
``python -m bench.takedown --notices N`` only the notices (N with one worker, then two).
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.db import create_db_engine, make_session_factory, transaction
from alliance.db.base import utcnow
from alliance.db.migrate import upgrade
from alliance.demo.mailbox import LocalMailbox
from alliance.hosting.models import HostingProvider
from alliance.settings import Settings, load_settings
from alliance.takedown import assessment
from alliance.takedown.models import (
    ActionKind,
    ActionStatus,
    Classification,
    ContentItem,
    ItemStage,
    Notice,
    NoticeStatus,
    Report,
    ReportItem,
    ReportSource,
    ScheduledAction,
)
from alliance.web.app import create_app
from alliance.worker.runner import Worker, toolkit_from_settings
from bench.postgres import not_measured, postgres_database, postgres_problem

OPERATOR = Principal.operator("bench")
# Sized to keep the section near 5 minutes on a 2-CPU machine (see the module docstring).
DEFAULT_REPORTS = 100_000  # the figure
DEFAULT_NOTICES = 10_000  # the figure
PER_REQUEST = 1000
CLIENTS = 2
REPEAT_SHARE = 0.2
PROVIDERS = 20
ANALYSTS = 20


# --- the server ------------------------------------------------------------------------


@contextlib.contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a thread; its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the benchmark server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


# --- the world: one hotline, its LEA, analysts, providers ------------------------------


@dataclass
class _World:
    engine: Engine
    sessions: sessionmaker[Session]
    hotline_id: int
    lea_id: int
    provider_ids: list[int]
    analysts: list[Principal]
    token: str


def _world(url: str, analysts: int = 1, **engine_options: Any) -> _World:
    """A migrated database with an NL hotline (an analyst API key), the NL police and
    ``PROVIDERS`` NL hosting providers with an abuse e-mail address each."""
    engine = create_db_engine(url, **engine_options)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        accounts.add_jurisdiction(session, OPERATOR, JurisdictionIn(code="NL", name="NL"))
        hotline = accounts.create_organisation(
            session,
            OPERATOR,
            OrganisationIn(
                slug="bench-hotline", name="Bench hotline", kind=OrgKind.hotline, country_code="NL"
            ),
        )
        lea = accounts.create_organisation(
            session,
            OPERATOR,
            OrganisationIn(
                slug="bench-police",
                name="Bench police",
                kind=OrgKind.law_enforcement,
                country_code="NL",
            ),
        )
        users = [
            accounts.create_user(
                session,
                OPERATOR,
                UserIn(
                    username=f"analyst-{n:02d}",
                    display_name=f"Analyst {n}",
                    role=Role.analyst,
                    organisation="bench-hotline",
                ),
            )[0]
            for n in range(analysts)
        ]
        _key, token = accounts.create_api_key(
            session,
            OPERATOR,
            ApiKeyIn(name="bench-ingest", role=Role.analyst, days=1, organisation="bench-hotline"),
            max_days=1,
        )
        providers = [
            HostingProvider(
                slug=f"bench-host-{n}",
                name=f"Bench Host {n}",
                country_code="NL",
                asns=[64500 + n],
                abuse_email=f"abuse@host{n}.example.test",
                batch_notices=False,
            )
            for n in range(PROVIDERS)
        ]
        session.add_all(providers)
        session.flush()
        return _World(
            engine=engine,
            sessions=sessions,
            hotline_id=hotline.id,
            lea_id=lea.id,
            provider_ids=[p.id for p in providers],
            analysts=[accounts.principal_for_user(u) for u in users],
            token=token,
        )


def _settings(folder: Path, url: str, **overrides: Any) -> Settings:
    return load_settings(data_dir=folder, database_url=url, lea_window_hours=0, **overrides)


# --- 1. ingest through the batch API ---------------------------------------------------


@dataclass
class _Ingest:
    reports: int
    urls: int
    seconds: float
    latencies: list[float]
    created: int
    joined: int
    retries: int
    in_db: dict[str, int]
    errors: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """The API's counts match the rows, and every report counted on its item."""
        db = self.in_db
        return db["items"] == self.created and db["report_count"] == db["links"]


def _batches(reports: int, seed: int) -> tuple[list[list[dict[str, list[str]]]], int, int]:
    """Requests of ``PER_REQUEST`` reports of 1-3 URLs; about ``REPEAT_SHARE`` of the URLs
    repeat one of an earlier report. Returns the requests, the URL count, distinct URLs."""
    rng = random.Random(seed)
    seen: list[str] = []
    batches: list[list[dict[str, list[str]]]] = []
    total = 0
    for start in range(0, reports, PER_REQUEST):
        batch = []
        for _ in range(min(PER_REQUEST, reports - start)):
            urls: list[str] = []
            fresh: list[str] = []
            for _ in range(rng.randint(1, 3)):
                url = rng.choice(seen) if seen and rng.random() < REPEAT_SHARE else None
                if url is None or url in urls:
                    n = len(seen) + len(fresh)
                    url = f"http://site{n % 997}.example.test/gallery/{n:07d}/photo.png"
                    fresh.append(url)
                urls.append(url)
            seen += fresh
            total += len(urls)
            batch.append({"urls": urls})
        batches.append(batch)
    return batches, total, len(seen)


def _ingest(folder: Path, url: str, reports: int, seed: int = 5) -> _Ingest:
    world = _world(url)
    batches, total_urls, distinct = _batches(reports, seed)
    settings = _settings(folder, url)
    app = create_app(settings, engine=world.engine, sessions=world.sessions)
    headers = {"Authorization": f"Bearer {world.token}"}
    latencies: list[float] = []
    counts = {"created": 0, "joined": 0, "retries": 0}
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()
    with _serving(app) as base:

        def send(numbered: tuple[int, list[dict[str, list[str]]]]) -> None:
            index, batch = numbered
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, headers=headers, timeout=600)
            client: httpx.Client = local.client
            start = time.perf_counter()
            for attempt in range(5):
                response = client.post(
                    "/api/v1/reports/batch",
                    json={"reports": batch},
                    headers={"Idempotency-Key": f"bench-{seed}-{index}"},
                )
                if response.status_code < 500:
                    break
                with lock:  # e.g. a deadlock between two batches: retried, and counted
                    counts["retries"] += 1
                    errors.append(f"{response.status_code} {response.text[:200]}")
                time.sleep(0.1 * (attempt + 1))
            elapsed = time.perf_counter() - start
            if response.status_code not in (200, 201):
                raise RuntimeError(f"batch {index}: {response.status_code} {response.text[:300]}")
            body = response.json()
            with lock:
                latencies.append(elapsed)
                counts["created"] += body["items_created"]
                counts["joined"] += body["items_joined"]

        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(send, enumerate(batches)))
        seconds = time.perf_counter() - start
    with world.sessions() as session:
        in_db = {
            "reports": session.scalar(select(func.count()).select_from(Report)) or 0,
            "items": session.scalar(select(func.count()).select_from(ContentItem)) or 0,
            "links": session.scalar(select(func.count()).select_from(ReportItem)) or 0,
            "report_count": session.scalar(select(func.sum(ContentItem.report_count))) or 0,
        }
    world.engine.dispose()
    created, joined = counts["created"], counts["joined"]
    # What must hold whatever the API answered: every report, one item per distinct URL,
    # one link per URL of a report.
    assert in_db["reports"] == reports, in_db
    assert in_db["items"] == distinct, (distinct, in_db)
    assert created + joined == in_db["links"] == total_urls, (created, joined, in_db)
    return _Ingest(
        reports, total_urls, seconds, latencies, created, joined, counts["retries"], in_db, errors
    )


# --- 2. notices through the worker -----------------------------------------------------


def _seed_items(world: _World, count: int, stage: ItemStage, tag: str, *, notice_due: bool) -> None:
    """``count`` items straight into the tables (bulk insert: setting up, not measured),
    routed to the NL hotline and spread over the providers; one hotline report each. With
    ``notice_due``, assessed illegal with the LEA window closed and the first notice due."""
    now = utcnow()
    with transaction(world.sessions) as session:
        report_ids = session.scalars(
            insert(Report).returning(Report.id, sort_by_parameter_order=True),
            [
                {
                    "reference": references.new("R"),
                    "source": ReportSource.hotline,
                    "reporter_organisation_id": world.hotline_id,
                    "description": "",
                    "hashes": [],
                    "actor": "bench",
                    "received_at": now - timedelta(hours=1, seconds=count - i),
                }
                for i in range(count)
            ],
        ).all()
        illegal = notice_due
        item_rows = []
        for i in range(count):
            n = i % PROVIDERS
            host = f"{tag}{i % 97}.example.test"
            url = f"http://{host}/files/{i:06d}.png"
            item_rows.append(
                {
                    "reference": references.new("I"),
                    "url": url,
                    "open_url": url,
                    "host": host,
                    "stage": stage,
                    "classification": Classification.baseline if illegal else None,
                    "report_count": 1,
                    "notice_count": 0,
                    "ip_address": f"203.0.113.{i % 250 + 1}",
                    "country_code": "NL",
                    "asn": 64500 + n,
                    "provider_id": world.provider_ids[n],
                    "resolved_at": now,
                    "assigned_organisation_id": world.hotline_id,
                    "lea_organisation_id": world.lea_id,
                    "routed_at": now,
                    "lea_informed_at": now,
                    "lea_window_ends_at": now,
                    "received_at": now - timedelta(hours=1, seconds=count - i),
                    "assessed_at": now if illegal else None,
                }
            )
        item_ids = session.scalars(
            insert(ContentItem).returning(ContentItem.id, sort_by_parameter_order=True), item_rows
        ).all()
        session.execute(
            insert(ReportItem),
            [
                {"report_id": r, "item_id": i, "submitted_url": row["url"]}
                for r, i, row in zip(report_ids, item_ids, item_rows, strict=True)
            ],
        )
        if notice_due:
            session.execute(
                insert(ScheduledAction),
                [
                    {
                        "key": f"notice:{i}:1",
                        "kind": ActionKind.notice,
                        "item_id": i,
                        "due_at": now,
                        "status": ActionStatus.due,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for i in item_ids
                ],
            )


@dataclass
class _Notices:
    workers: int
    notices: int
    seconds: float
    per_worker: list[int]
    statements: int = 0  # SQL statements the workers ran, their claims included

    @property
    def per_notice(self) -> float:
        return self.statements / self.notices


def _send_notices(world: _World, folder: Path, url: str, count: int, workers: int) -> _Notices:
    tag = f"w{workers}-"
    _seed_items(world, count, ItemStage.notice_pending, tag, notice_due=True)
    with LocalMailbox(folder / f"mail-{workers}", port=0) as mailbox:
        settings = _settings(folder, url, smtp_port=mailbox.port)
        tools = toolkit_from_settings(settings)
        sent = [0] * workers

        def run(n: int) -> None:
            outcomes = Worker(world.sessions, tools, name=f"bench-{workers}-{n}").run_until_idle()
            sent[n] = sum(o.notices_sent for o in outcomes)
            failed = [o.result for o in outcomes if o.result != "sent"]
            assert not failed, failed[:5]

        statements = [0]

        def counted(*_args: Any) -> None:
            statements[0] += 1  # under the GIL; the threads' count, not exact to the last

        event.listen(world.engine, "before_cursor_execute", counted)
        start = time.perf_counter()
        threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        event.remove(world.engine, "before_cursor_execute", counted)
        messages = mailbox.wait_for(count, timeout=10)
    ids = [str(m["Message-ID"]) for m in messages]
    assert len(ids) == count, f"the mailbox got {len(ids)} messages for {count} notices"
    assert len(set(ids)) == count, f"{len(ids) - len(set(ids))} notices went out twice"
    assert sum(sent) == count, sent
    with world.sessions() as session:
        in_db = session.scalar(
            select(func.count())
            .select_from(Notice)
            .join(ContentItem, ContentItem.id == Notice.item_id)
            .where(Notice.status == NoticeStatus.sent, ContentItem.host.startswith(tag))
        )
    assert in_db == count, in_db
    return _Notices(workers, count, seconds, sent, statements[0])


# --- 3. claims from the assessment queue -----------------------------------------------


@dataclass
class _Claims:
    analysts: int
    items: int
    seconds: float
    latencies: list[float]


def _claims(world: _World, folder: Path, url: str, items: int) -> _Claims:
    _seed_items(world, items, ItemStage.awaiting_assessment, "q-", notice_due=False)
    settings = _settings(folder, url)
    claimed: list[list[str]] = [[] for _ in world.analysts]
    latencies: list[list[float]] = [[] for _ in world.analysts]
    ready = threading.Barrier(len(world.analysts) + 1)

    def analyst(n: int) -> None:
        principal = world.analysts[n]
        ready.wait()
        while True:
            start = time.perf_counter()
            with transaction(world.sessions) as session:
                item = assessment.claim_next(session, principal, settings)
                reference = item.reference if item is not None else None
            if reference is None:
                return
            latencies[n].append(time.perf_counter() - start)
            claimed[n].append(reference)

    threads = [threading.Thread(target=analyst, args=(n,)) for n in range(len(world.analysts))]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    everything = [r for mine in claimed for r in mine]
    assert len(everything) == len(set(everything)), "an item was claimed twice"
    assert len(everything) == items, (len(everything), items)
    with world.sessions() as session:
        in_db = session.scalar(
            select(func.count())
            .select_from(ContentItem)
            .where(ContentItem.claimed_by_user_id.is_not(None))
        )
    assert in_db == items, in_db
    return _Claims(len(world.analysts), items, seconds, [x for xs in latencies for x in xs])


RACE_NOTE = [
    "The mismatch: two batches in flight at once that name the same URLs (the two clients "
    "here) disagree with the database in two ways, while items and report links are right. "
    "(1) When `_open_item` finds the URL was opened meanwhile by another request (its "
    "`IntegrityError` fallback), `submit_reports` still counts the item as new "
    "(`item.id not in {i.id for i in open_items.values()}` only knows this request's "
    "items), so the receipt says `new` and a second `received` event is written. "
    "(2) `item.report_count += 1` is a read-modify-write in Python on an item loaded at "
    "the start of the request; a concurrent request that committed an increment meanwhile "
    "is overwritten (a lost update). SQLite's single writer hides both.",
    "",
]


# --- the section -----------------------------------------------------------------------


def _ms(values: list[float], share: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000:,.0f} ms"


def _ingest_row(database: str, result: _Ingest) -> str:
    tail = "p99" if len(result.latencies) >= 100 else "max"
    latency = f"p50 {_ms(result.latencies, 0.5)}, {tail} {_ms(result.latencies, 1)} per request"
    retried = f"; {result.retries} request(s) retried after a 5xx" if result.retries else ""
    return (
        f"| ingest, batch API | {database} | {result.reports:,} reports, {result.urls:,} URLs "
        f"in {len(result.latencies)} request{'s' if len(result.latencies) > 1 else ''}, "
        f"{CLIENTS} clients | "
        f"{result.reports / result.seconds:,.0f} reports/s, {result.urls / result.seconds:,.0f} "
        f"URLs/s ({result.seconds:.0f} s) | {latency} | {_ingest_check(result)}{retried} |"
    )


def _ingest_check(result: _Ingest) -> str:
    db = result.in_db
    if result.consistent:
        return f"{result.created:,} items created + {result.joined:,} joined = rows in the database"
    return (
        f"**mismatch**: the API said {result.created:,} created + {result.joined:,} joined; "
        f"the database has {db['items']:,} items, {db['links']:,} report links and "
        f"report_count summing to {db['report_count']:,} (see the note below)"
    )


def _notice_row(result: _Notices) -> str:
    split = " + ".join(f"{n:,}" for n in result.per_worker)
    return (
        f"| notices, {result.workers} worker{'s' if result.workers > 1 else ''} | PostgreSQL | "
        f"{result.notices:,} first notices by e-mail (SMTP to 127.0.0.1) | "
        f"{result.notices / result.seconds:,.0f} notices/s ({result.seconds:.0f} s) | "
        f"{result.per_notice:.1f} SQL statements a notice | "
        f"{result.notices:,} distinct Message-IDs in the mailbox, none twice"
        f"{f' (sent {split})' if result.workers > 1 else ''} |"
    )


def _claims_row(result: _Claims) -> str:
    return (
        f"| claims | PostgreSQL | {result.items:,} waiting items, {result.analysts} analysts "
        f"(a thread and session each) | {result.items / result.seconds:,.0f} claims/s | "
        f"p50 {_ms(result.latencies, 0.5)}, p90 {_ms(result.latencies, 0.9)}, "
        f"p99 {_ms(result.latencies, 0.99)} per claim (commit included) | "
        f"{result.items:,} claims, no item twice |"
    )


def takedown_benchmark(
    reports: int, notices: int = DEFAULT_NOTICES, queue_items: int = 2_000
) -> list[str]:
    """Ingest ``reports`` on PostgreSQL (a tenth on SQLite), ``notices`` notices with one
    and with two workers, and ``queue_items`` claims by 20 analysts: markdown lines."""
    problem = postgres_problem()
    if problem is not None:
        return not_measured(problem)
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with postgres_database() as url:
            ingests = [("PostgreSQL", _ingest(folder, url, reports))]
        sqlite_reports = max(reports // 10, PER_REQUEST)
        ingests.append(("SQLite", _ingest(folder, f"sqlite:///{folder / 'i.db'}", sqlite_reports)))
        rows += [_ingest_row(database, result) for database, result in ingests]
        with postgres_database() as url:
            world = _world(url)
            try:
                for workers in (1, 2):
                    rows.append(_notice_row(_send_notices(world, folder, url, notices, workers)))
            finally:
                world.engine.dispose()
        with postgres_database() as url:
            world = _world(url, ANALYSTS, pool_size=ANALYSTS + 2)
            try:
                rows.append(_claims_row(_claims(world, folder, url, queue_items)))
            finally:
                world.engine.dispose()
    minutes = (time.perf_counter() - started) / 60
    return [
        "Run by `python -m bench --takedown-reports N` (part of `make bench`; "
        f"N = {reports:,} here) or alone by `python -m bench.takedown N`; this section took "
        f"{minutes:.1f} min. Each part gets a fresh PostgreSQL database (dropped afterwards), "
        "with one NL hotline, its police and 20 NL hosting providers with an abuse e-mail "
        "address. **Ingest**: `POST /api/v1/reports/batch` of the app served by uvicorn on "
        f"127.0.0.1 (a thread of the benchmark process), {PER_REQUEST:,} reports a request "
        f"with an `Idempotency-Key`, 1-3 URLs a report, about {REPEAT_SHARE:.0%} of the URLs "
        "repeating one reported earlier (that report joins the open item), sent by "
        f"{CLIENTS} client threads; the counts the API returns are checked against the "
        "database. **Notices**: items assessed illegal with the LEA window closed "
        "(`lea_window_hours=0`) and the first notice due are bulk-inserted (setting up, not "
        "timed); the real `Worker.run_until_idle()` sends them (each worker keeps one SMTP "
        "connection open) to a local mailbox (aiosmtpd on 127.0.0.1, writing each message "
        "to disk); "
        "the second run uses two workers in two threads on a new set of items (threads of "
        "the benchmark process: the workers and the mailbox share one interpreter lock, "
        "where `alliance worker` processes would not). **Claims**: "
        "20 analysts, each a thread with its own session, call `claim_next` (one "
        "transaction per claim, `FOR UPDATE SKIP LOCKED`) until the queue is empty. Client, "
        "server, worker, mailbox and database all share this machine's "
        f"{os.cpu_count()} CPUs. {notices:,} notices a run ({DEFAULT_REPORTS:,} reports and "
        f"{DEFAULT_NOTICES:,} notices by default, the issue's figures).",
        "",
        "| step | database | work | throughput | latency or SQL | checked |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        *(RACE_NOTE if not all(result.consistent for _, result in ingests) else []),
        "There is no open-source anchor to compare with: the takedown tools hotlines use "
        "(INHOPE's ICCAM, the Canadian Centre's Project Arachnid, the IWF's systems) are not "
        "public, so these figures stand alone. For context only, not comparable: INHOPE's "
        "Annual Report 2020 says 74 % of the content its member hotlines handled was removed "
        "within 3 days (50 % in 2019); what bounds that is how fast providers act, not how "
        "fast the software sends notices.",
    ]


def notices_benchmark(notices: int) -> list[str]:
    """Only the notices: ``notices`` with one worker, then as many with two (a quick look
    while working on the worker): the table's rows."""
    problem = postgres_problem()
    if problem is not None:
        return not_measured(problem)
    rows = [
        "| step | database | work | throughput | statements | checked |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as url:
        world = _world(url)
        try:
            for workers in (1, 2):
                rows.append(_notice_row(_send_notices(world, Path(tmp), url, notices, workers)))
        finally:
            world.engine.dispose()
    return rows


if __name__ == "__main__":
    # python -m bench.takedown [REPORTS]: the whole section;
    # python -m bench.takedown --notices N: only the notices, N with one worker and two.
    if len(sys.argv) > 2 and sys.argv[1] == "--notices":
        print("\n".join(notices_benchmark(int(sys.argv[2]))))
    else:
        size = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REPORTS
        print("\n".join(takedown_benchmark(size)))
