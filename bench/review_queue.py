"""The review queue's page with 100,000 open cases, on SQLite and PostgreSQL.

A platform's database is filled with ``count`` open cases and a fifth as many decided
(confirmed) ones, interleaved in time over three days (a third of the open ones overdue),
each with two matches, in bulk: one statement per table and batch (``COPY`` on PostgreSQL,
an executemany of one ``INSERT`` on SQLite, :func:`alliance.db.bulk.insert_rows`), never a
service call per case. The rows are those :func:`alliance.review.cases.open_case` and
:func:`alliance.review.decisions.decide` write: the case (its reference, active key,
undecided flag, nearest distance, match count), its matches, a decided case's decision,
the counts in ``review_case_counts``, and the audit events of each step, chained after the
head as :func:`alliance.audit.record` chains them (opened by the upload service's API key,
decided by a reviewer). Then the services themselves open a case and decide one on top of
the bulk rows, the audit chain is verified whole, and the counts are checked.

The queue is then asked through the app in-process (``TestClient``: every request through
the ASGI app, its middlewares, authentication, session and template): the page as a
logged-in reviewer (first page, newest first, a page deep in the list, the bank and
overdue filters) and the API listing with the upload service's key. Each figure is the
median of several requests. The plan of the first page's query is shown as the database
gives it (``EXPLAIN``): it should read one range of ``ix_review_cases_queue`` in order,
without a sort. Target (issue 20): the queue page with 100,000 open cases in at most
300 ms. ``python -m bench --only review [--review-cases N]``.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.audit import EventType
from alliance.audit.models import AuditEvent, AuditHead
from alliance.audit.services import GENESIS_HASH, canonical_json, event_hash, verify
from alliance.db import create_db_engine, make_session_factory
from alliance.db.base import utcnow
from alliance.db.bulk import insert_rows
from alliance.db.listing import Listing
from alliance.db.migrate import upgrade
from alliance.review import cases, decisions
from alliance.review.models import (
    Case,
    CaseCount,
    CaseDecision,
    CaseMatch,
    CaseStatus,
    DecisionKind,
)
from alliance.review.schemas import CaseMatch as MatchIn
from alliance.review.schemas import ContentRef, DecisionIn
from alliance.settings import load_settings
from alliance.web.app import create_app
from bench.postgres import not_measured, postgres_database, postgres_problem

DEFAULT_CASES = 100_000
#: Decided cases beside the open ones, as a share of them: the queue's index skips them.
DECIDED_SHARE = 0.2
REQUESTS = 9
GOAL_MS = 300
BATCH = 10_000
PASSWORD = "bench-password-0123"
OPERATOR = Principal.operator("bench")
BANKS = ["baseline-nl", "iwf-a", "ncmec-a1", "policy-x"]


class Load:
    """Who the rows are written as: the upload service's key opens, a reviewer decides."""

    def __init__(self, session: Session) -> None:
        accounts.add_jurisdiction(
            session, OPERATOR, JurisdictionIn(code="US", name="United States")
        )
        self.org = accounts.create_organisation(
            session,
            OPERATOR,
            OrganisationIn(slug="photos", name="Photos", kind=OrgKind.industry, country_code="US"),
        )
        user, _ = accounts.create_user(
            session,
            OPERATOR,
            UserIn(
                username="reviewer",
                display_name="Reviewer",
                role=Role.reviewer,
                organisation="photos",
                password=PASSWORD,
            ),
        )
        self.reviewer = accounts.principal_for_user(user)
        _, self.token = accounts.create_api_key(
            session,
            OPERATOR,
            ApiKeyIn(name="upload service", role=Role.reviewer, days=1, organisation="photos"),
            max_days=1,
        )
        uploader = accounts.authenticate_api_key(session, self.token)
        assert isinstance(uploader, Principal)
        self.uploader = uploader


class Chain:
    """Audit events appended in bulk, chained after the head as ``audit.record`` does."""

    def __init__(self, session: Session) -> None:
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update())
        self.head = head.scalar_one_or_none() or AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(self.head)
        self.rows: list[dict[str, Any]] = []

    def add(
        self, actor: Principal, kind: EventType, subject: str, details: dict[str, Any], at: datetime
    ) -> None:
        event = AuditEvent(
            seq=self.head.seq + 1,
            occurred_at=at,
            actor=actor.audit_label,
            actor_user_id=actor.user_id,
            organisation_id=actor.organisation_id,
            event_type=str(kind),
            subject_type="review_case",
            subject_id=subject,
            details=canonical_json(details),
            prev_hash=self.head.hash,
        )
        event.hash = event_hash(event)
        self.head.seq, self.head.hash = event.seq, event.hash
        self.rows.append(
            {c.key: getattr(event, c.key) for c in AuditEvent.__table__.c if c.key != "id"}
        )

    def write(self, session: Session) -> None:
        insert_rows(session, AuditEvent, self.rows)
        self.rows = []


def _load(session: Session, who: Load, count: int, seed: int = 20) -> int:
    """``count`` open cases and :data:`DECIDED_SHARE` as many decided, oldest first (ids
    rise with time, as cases opened one after another do); the number decided."""
    rng = random.Random(seed)
    total = count + round(count * DECIDED_SHARE)
    decided_at = set(rng.sample(range(1, total + 1), total - count))
    now = utcnow()
    # Three days of cases at a steady rate: the SLA is 24 hours, so a third are overdue.
    step = timedelta(hours=72) / total
    chain = Chain(session)
    org = who.org.id
    counts = {CaseStatus.open: 0, CaseStatus.confirmed: 0}
    references_seen: set[str] = set()
    for start in range(1, total + 1, BATCH):
        case_rows, match_rows, decision_rows = [], [], []
        for n in range(start, min(start + BATCH, total + 1)):
            opened = now - step * (total - n + 1)
            reference = references.new("RC")
            while reference in references_seen:  # unique, as the column is
                reference = references.new("RC")
            references_seen.add(reference)
            content = f"upload-{n}"
            decided = n in decided_at
            distances = [rng.randint(0, 31), rng.randint(0, 31)]
            matches = [
                {
                    "id": 2 * n + k, "case_id": n, "bank": BANKS[(n + k) % len(BANKS)],
                    "entry_id": rng.randint(1, 1_000_000), "signal_type": "pdq",
                    "category": "A1", "verification": "verified", "distance": distances[k],
                    "variant": "original", "form": None, "matched_at": opened, "feedback": None,
                }
                for k in range(2)
            ]  # fmt: skip
            closed = opened + timedelta(minutes=rng.randint(5, 600)) if decided else None
            status = CaseStatus.confirmed if decided else CaseStatus.open
            counts[status] += 1
            case_rows.append(
                {
                    "id": n, "reference": reference, "organisation_id": org,
                    "content_id": content, "media_path": f"uploads/{n}.jpg", "media_url": None,
                    "active_key": None if decided else content, "status": status.value,
                    "undecided": not decided, "opened_at": opened, "updated_at": closed or opened,
                    "decided_at": closed,
                    "assignee_user_id": who.reviewer.user_id if decided else None,
                    "assignee": who.reviewer.audit_label if decided else None,
                    "best_distance": min(distances), "match_count": 2,
                    "cybertipline_progress": None, "dsa_progress": None,
                }
            )  # fmt: skip
            match_rows += matches
            chain.add(
                who.uploader, EventType.CASE_OPENED, reference, {"content_id": content}, opened
            )
            chain.add(
                who.uploader,
                EventType.CASE_MATCH_ADDED,
                reference,
                {
                    "matches": [
                        {"bank": m["bank"], "entry_id": m["entry_id"], "distance": m["distance"]}
                        for m in matches
                    ]
                },
                opened,
            )
            if closed is not None:
                decision_rows.append(
                    {
                        "case_id": n, "decision": DecisionKind.confirm.value,
                        "reviewer": who.reviewer.audit_label,
                        "reviewer_user_id": who.reviewer.user_id, "reason": "",
                        "result": CaseStatus.confirmed.value, "decided_at": closed,
                    }
                )  # fmt: skip
                chain.add(
                    who.reviewer,
                    EventType.CASE_DECIDED,
                    reference,
                    {"decision": "confirm", "status": "confirmed"},
                    closed,
                )
        insert_rows(session, Case, case_rows)
        insert_rows(session, CaseMatch, match_rows)
        insert_rows(session, CaseDecision, decision_rows)
        chain.write(session)
    for status, number in counts.items():
        session.add(CaseCount(organisation_id=org, status=status, count=number))
    if session.get_bind().dialect.name == "postgresql":
        # The ids were given: the sequences move past them, so the next row the services
        # write takes the next id.
        for table in ("review_cases", "review_case_matches"):
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :top)"),
                {"t": table, "top": session.scalar(text(f"SELECT max(id) FROM {table}"))},  # noqa: S608 - our table names
            )
    return counts[CaseStatus.confirmed]


def _services_on_top(sessions: sessionmaker[Session], who: Load, count: int) -> None:
    """The services write beside the bulk rows: a case opened, the oldest open one decided;
    then the audit chain verifies whole and the counts hold."""
    with sessions.begin() as session:
        cases.open_case(
            session,
            who.uploader,
            ContentRef(content_id="upload-new"),
            [MatchIn(bank="iwf-a", entry_id=7, distance=3)],
        )
        oldest, _, _ = cases.list_cases(session, who.reviewer, Listing(sort="opened", limit=1))
        decisions.decide(
            session,
            who.reviewer,
            oldest[0].reference,
            DecisionIn(decision=DecisionKind.confirm, reason="bench"),
        )
    with sessions() as session:
        checked = verify(session)
        if not checked.ok:
            raise RuntimeError(f"the audit chain does not verify: {checked}")
        counts = cases.status_counts(session, who.reviewer)
        undecided = session.scalar(
            select(Case.id).where(Case.undecided.is_(True)).order_by(Case.id.desc()).limit(1)
        )
    if counts[CaseStatus.open] != count or undecided is None:
        raise RuntimeError(f"the counts do not hold: {counts}")


def _plan(engine: Engine, sessions: sessionmaker[Session], who: Load, listing: Listing) -> str:
    """The plan of the query a page of the queue runs, as the database gives it."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM review_cases" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with sessions() as session:
            cases.list_cases(session, who.reviewer, listing)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = seen[0]
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters
        ).all()
    if postgres:
        lines = [str(r[0]).split("  (cost")[0].strip().lstrip("->").strip() for r in rows]
    else:
        lines = [str(r[-1]) for r in rows]
    return " → ".join(line for line in lines if line)


def _log_in(client: TestClient) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 303:
        raise RuntimeError(f"could not log in: {response.status_code}")


def _median_ms(client: TestClient, path: str, headers: dict[str, str]) -> float:
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return statistics.median(samples)


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'review.db'}"


def _analyse(engine: Engine) -> None:
    # What autovacuum does within a minute of a bulk load: statistics and the visibility map.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )


def review_queue_benchmark(count: int = DEFAULT_CASES) -> list[str]:
    asked = [
        ("page", "the queue, first page", "/review"),
        ("page", "newest first", "/review?sort=-opened"),
        ("page", "page 1,000 (offset 49,950)", "/review?page=1000"),
        ("page", "bank filter", "/review?bank=iwf-a"),
        ("page", "overdue only", "/review?overdue=1"),
        ("api", "API: GET /api/v1/review/cases, first page", "/api/v1/review/cases"),
        ("api", "API: overdue only", "/api/v1/review/cases?overdue=true"),
    ]
    decided = round(count * DECIDED_SHARE)
    lines = [
        f"{count:,} open cases of one platform and {decided:,} decided ones, two matches "
        f"each; each figure the median of {REQUESTS} requests through the app (the pages "
        "as a logged-in reviewer, the API with the upload service's key; 50 a page, the "
        "count shown):",
        "",
        "| database | request | median ms | target |",
        "|---|---|---|---|",
    ]
    plans: list[str] = []
    loads: list[str] = []
    problem = postgres_problem()
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and problem:
            lines += ["", *not_measured(problem)]
            continue
        with _database(backend) as url, tempfile.TemporaryDirectory() as folder:
            engine = create_db_engine(url)
            try:
                upgrade(engine)
                sessions = make_session_factory(engine)
                started = time.perf_counter()
                with sessions.begin() as session:
                    who = Load(session)
                    _load(session, who, count)
                loaded = time.perf_counter() - started
                _services_on_top(sessions, who, count)
                _analyse(engine)
                for order, listing in [
                    ("oldest first", Listing(sort="opened")),
                    ("newest first", Listing(sort="opened", descending=True)),
                ]:
                    plan = _plan(engine, sessions, who, listing)
                    plans.append(f"- {backend}, {order}: `{plan}`")
                loads.append(f"{backend} {loaded:.0f} s")
                settings = load_settings(
                    data_dir=Path(folder), secret_key="bench-secret-key-for-csrf-signing"
                )
                app = create_app(settings, engine=engine, sessions=sessions)
                with TestClient(
                    app, base_url="http://testserver", follow_redirects=False
                ) as client:
                    _log_in(client)
                    for kind, name, path in asked:
                        headers = {"Authorization": f"Bearer {who.token}"} if kind == "api" else {}
                        ms = _median_ms(client, path, headers)
                        verdict = "**met**" if ms <= GOAL_MS else "**not met**"
                        lines.append(f"| {backend} | {name} | {ms:.0f} | ≤ {GOAL_MS}: {verdict} |")
            finally:
                engine.dispose()
    lines += [
        "",
        f"Loaded in bulk ({', '.join(loads)}: cases, matches, decisions and their "
        f"{2 * count + 3 * decided:,} chained audit events), then a case opened and one "
        "decided by the services on top, the audit chain verified whole. The first page's "
        "query, as the database plans it (`EXPLAIN`):",
        "",
        *plans,
        "",
        "Either way it reads one range of the index `(organisation_id, undecided, opened_at, "
        "id)` in order, forwards or backwards, and stops after the page (no sort); the tabs' "
        "counts come from `review_case_counts`, "
        "kept with every change of status; a filtered count stops at 10,001 (shown as "
        "10,000+).",
    ]
    return lines


if __name__ == "__main__":
    import sys

    print(
        "\n".join(review_queue_benchmark(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CASES))
    )
