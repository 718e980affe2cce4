"""Library search: 100,000 entries, full text with each database's engine (FTS5 on SQLite,
a GIN ``tsvector`` index on PostgreSQL) beside a plain ``LIKE`` scan of the same data.

The entries are synthetic: titles and summaries drawn from a vocabulary of topical and
filler words (a few words common, most rare, as in real text), tags, audiences and
languages drawn at random. Each query goes through the service the pages and the API use
(:func:`alliance.library.search.search_entries`: the count and a page of 25), as the
public sees it (published entries only). The ``LIKE`` scan asks the same: the count and
the newest 25 whose text holds every word.

Two sets of queries: the fixed :data:`QUERIES`, and a mix drawn at random (seeded: ``python
-m bench.library 100000 SEED``) of broad and rare words, phrases and excluded words, a
third of them with a filter (tag, audience or kind) and some asking for a later page.
"""

from __future__ import annotations

import contextlib
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import JurisdictionIn, OrganisationIn
from alliance.db import create_db_engine, make_session_factory
from alliance.db.base import utcnow
from alliance.db.bulk import insert_rows
from alliance.db.like import contains
from alliance.db.listing import Listing
from alliance.db.migrate import upgrade
from alliance.library.models import LibraryEntry, LibraryTerm
from alliance.library.search import LibraryQuery, facet_word, search_entries
from alliance.library.vocabulary import TAG_LABELS, Audience, Tag
from bench.postgres import not_measured, postgres_database, postgres_problem

DEFAULT_ENTRIES = 100_000
DEFAULT_SEED = 1
DRAWN = 40
DRAWN_ROUNDS = 2
T = TypeVar("T")
OPERATOR = Principal.operator("bench")
TOPICAL = [
    "sextortion", "grooming", "selfie", "nude", "images", "campaign", "parents", "school",
    "teachers", "helpline", "reporting", "removal", "platform", "chat", "video", "livestream",
    "consent", "pressure", "privacy", "safety", "youth", "influencer", "police", "hotline",
]  # fmt: skip
QUERIES = [
    "sextortion",
    "grooming teachers",
    '"nude selfie"',
    "helpline -police",
    "livestream",
    "self-generated",
    "AI-generated material",
    "zqxw",  # matches nothing
    "campaign",  # matches a great many
]


def _words(rng: random.Random, filler: list[str], n: int) -> str:
    out = []
    for _ in range(n):
        if rng.random() < 0.15:
            out.append(rng.choice(TOPICAL))
        else:  # Zipf-like: a few filler words common, most rare
            out.append(filler[min(int(rng.paretovariate(1.1)) - 1, len(filler) - 1)])
    return " ".join(out)


def _load(session: Session, count: int, seed: int = 16) -> list[str]:
    """Fill the library; the filler vocabulary, most common words first."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "ba", "po", "ri"]
    filler = list(
        dict.fromkeys(
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)
        )
    )
    accounts.add_jurisdiction(session, OPERATOR, JurisdictionIn(code="NL", name="Netherlands"))
    org = accounts.create_organisation(
        session,
        OPERATOR,
        OrganisationIn(slug="bench-org", name="Bench org", kind=OrgKind.ngo, country_code="NL"),
    )
    now = utcnow()
    tags = list(Tag)
    audiences = list(Audience)
    batch = 10_000
    for start in range(0, count, batch):
        rows = []
        terms = []
        for n in range(start + 1, min(start + batch, count) + 1):
            chosen = rng.sample(tags, rng.randint(1, 3))
            title = _words(rng, filler, 5)
            summary = _words(rng, filler, 40)
            audience = rng.choice(audiences).value
            kind = "campaign" if n % 3 else "guidance"
            status = "published" if n % 10 else "draft"
            text = "\n".join([title, summary, *(TAG_LABELS[t] for t in chosen)])
            rows.append(
                {
                    "id": n,
                    "kind": kind,
                    "title": title,
                    "summary": summary,
                    "country_code": "NL",
                    "organisation_id": org.id,
                    "starts_on": None,
                    "ends_on": None,
                    "reach": "",
                    "status": status,
                    "search_text": text,
                    # what alliance.library.search.facet_words writes for such an entry
                    "search_facets": " ".join(
                        [
                            facet_word("status", status),
                            facet_word("kind", kind),
                            facet_word("country", "NL"),
                            facet_word("org", org.id),
                            *(facet_word("tag", t.value) for t in chosen),
                            facet_word("audience", audience),
                        ]
                    ),
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now - timedelta(minutes=n) if n % 10 else None,
                }
            )
            terms += [
                {"entry_id": n, "facet": "tag", "value": t.value, "position": i}
                for i, t in enumerate(chosen)
            ]
            terms.append({"entry_id": n, "facet": "audience", "value": audience, "position": 9})
        insert_rows(session, LibraryEntry, rows)
        insert_rows(session, LibraryTerm, terms)
    return filler


@dataclass(frozen=True)
class Asked:
    """One query of the drawn mix: the words, the filters and where the page starts."""

    query: LibraryQuery
    offset: int = 0


def drawn_queries(filler: list[str], seed: int, count: int = 40) -> list[Asked]:
    """``count`` queries drawn with ``seed``: a broad (topical) word, two of them, a filler
    word, a broad and a filler word, a phrase (two topical words, or a tag's label), or a
    word without another; a third with a filter, one in five asking for the second or
    third page. Filler words are drawn evenly across the orders of magnitude of their
    rank (as many from the ten commonest as from the next ninety...): people type rare
    words and common ones, some found in every entry, but not as often as the text holds
    them (half the filler in the text is one word)."""
    rng = random.Random(seed)

    def broad() -> str:
        return rng.choice(TOPICAL)

    def some() -> str:
        return filler[min(int(math.exp(rng.uniform(0, math.log(len(filler))))), len(filler)) - 1]

    shapes: list[Callable[[], str]] = [
        broad,
        lambda: f"{broad()} {broad()}",
        some,
        lambda: f"{broad()} {some()}",
        lambda: f'"{broad()} {broad()}"',
        lambda: f'"{rng.choice(list(TAG_LABELS.values())).lower()}"',
        lambda: f"{broad()} -{broad()}",
    ]
    asked = []
    for _ in range(count):
        words = rng.choice(shapes)()
        draw = rng.random()
        if draw < 1 / 6:
            query = LibraryQuery(words=words, tags=[rng.choice(list(Tag)).value])
        elif draw < 1 / 4:
            query = LibraryQuery(words=words, audiences=[rng.choice(list(Audience)).value])
        elif draw < 1 / 3:
            query = LibraryQuery(words=words, kind=rng.choice(["campaign", "guidance"]))
        else:
            query = LibraryQuery(words=words)
        asked.append(Asked(query, rng.choice([25, 50]) if rng.random() < 0.2 else 0))
    return asked


def _like(session: Session, words: str) -> None:
    pieces = [w for w in words.replace('"', " ").split() if not w.startswith("-")]
    where = and_(
        LibraryEntry.status == "published",
        *(contains(LibraryEntry.search_text, w) for w in pieces),
    )
    session.execute(select(func.count()).select_from(LibraryEntry).where(where)).scalar_one()
    session.execute(
        select(LibraryEntry.id).where(where).order_by(LibraryEntry.published_at.desc()).limit(25)
    ).all()


def _service(session: Session, words: str) -> None:
    search_entries(session, None, LibraryQuery(words=words), Listing(limit=25))


def _service_asked(session: Session, asked: Asked) -> None:
    search_entries(session, None, asked.query, Listing(limit=25, offset=asked.offset))


def _timings(run: Callable[[T], None], queries: list[T], rounds: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            run(query)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return statistics.median(samples), p95, samples[-1]


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'library.db'}"


def library_benchmark(
    count: int = DEFAULT_ENTRIES, rounds: int = 5, seed: int = DEFAULT_SEED
) -> list[str]:
    lines = [
        f"{count:,} entries (90 % published); {len(QUERIES)} fixed queries × {rounds} rounds "
        f"and {DRAWN} drawn at random (seed {seed}) × {DRAWN_ROUNDS} rounds, each the count "
        "and a page of 25, as the public library asks:",
        "",
        "| database | search | median ms | p95 ms | max ms | loaded in |",
        "|---|---|---|---|---|---|",
    ]
    problem = postgres_problem()
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and problem:
            lines += ["", *not_measured(problem)]
            continue
        with _database(backend) as url:
            engine = create_db_engine(url)
            try:
                upgrade(engine)
                sessions = make_session_factory(engine)
                started = time.perf_counter()
                with sessions.begin() as session:
                    filler = _load(session, count)
                mix = drawn_queries(filler, seed, DRAWN)
                loaded = time.perf_counter() - started
                if backend == "postgresql":
                    # What autovacuum does after a bulk load (PostgreSQL 13+ vacuums on
                    # inserts too): statistics, and the visibility map that lets the
                    # filters' indexes answer alone. Measuring before it would measure a
                    # state a running server leaves within a minute.
                    with engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as connection:
                        connection.exec_driver_sql("VACUUM ANALYZE")
                runs: list[tuple[str, Callable[[Session, Any], None], list[Any], int]] = [
                    ("full text (service)", _service, list(QUERIES), rounds),
                    ("full text, drawn mix", _service_asked, mix, DRAWN_ROUNDS),
                    ("plain LIKE scan", _like, list(QUERIES), rounds),
                ]
                for name, run, queries, times in runs:
                    with sessions() as session:
                        median, p95, worst = _timings(partial(run, session), queries, times)
                    lines.append(
                        f"| {backend} | {name} | {median:.1f} | {p95:.1f} | {worst:.1f} "
                        f"| {loaded:.0f} s |"
                    )
            finally:
                engine.dispose()
    lines += [
        "",
        "Queries: "
        + ", ".join(f"`{q}`" for q in QUERIES)
        + "; the drawn mix: "
        + ", ".join(f"`{a.query.words}`" for a in mix[:6])
        + ", …"
        + ". Target: p95 ≤ 50 ms on both.",
    ]
    return lines


if __name__ == "__main__":
    import sys

    entries = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ENTRIES
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_SEED
    print("\n".join(library_benchmark(entries, seed=seed)))
