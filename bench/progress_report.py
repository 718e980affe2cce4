"""The alliance progress report at the issue's scale (issue 17): 1,000,000 takedown items,
10,000,000 media records and 100,000 victims, over six years and 48 member countries.

Everything happens in a fresh PostgreSQL database (:mod:`bench.postgres`, dropped at the
end). No media is involved; every URL is under ``example.test``.

1. **Load** (setting up; timed, but not part of the goal). The member countries, and in
   each a hotline, a police agency, a government and a random number of platforms,
   through the account services; the secretariat and two users (its admin, and one
   country's government editor). Then, set-based (``INSERT ... SELECT`` over
   ``generate_series``, ``setseed`` first, so the same seed gives the same rows): the
   takedown items with their reports, timelines (received, routed, assessed, law
   enforcement informed, notices, holds, removal), the series, victims, referrals,
   deconfliction targets and alerts, seizures, library entries, terms and adoptions, hash
   banks with their entries, subscriptions and match events, and the legal reviews; then
   the 10,000,000 media records by :func:`bench.victims.copy_records` (binary ``COPY``).
   Rates, delays and sizes are drawn at random (seeded) from realistic ranges, and each
   country's share of the activity from a skewed distribution: a few countries host most
   of the material, as in INHOPE's statistics.
2. **Builds**: :func:`alliance.reports.building.build_progress_report` for the alliance
   (the first build after the load, "cold", then warm ones) and for one country (warm,
   ``COUNTRY_RUNS`` times: p50 and p95), each in a transaction of its own as the web
   request is; then the report pages through the app (``TestClient``, logged in as
   those users), and the public page of a published report, which shows what changed
   since it was published.

``python -m bench --only progress`` runs only this (``--progress-items`` sizes it);
``python -m bench.progress_report [ITEMS]`` too.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import JurisdictionIn, OrganisationIn, UserIn
from alliance.countries.models import MemberCountry
from alliance.countries.names import country_name
from alliance.db import create_db_engine, make_session_factory, transaction
from alliance.db.migrate import upgrade
from alliance.reports import publication
from alliance.reports.building import build_progress_report
from alliance.settings import load_settings
from alliance.signing import Signer
from alliance.web.app import create_app
from bench import victims
from bench.postgres import not_measured, postgres_database, postgres_problem

DEFAULT_ITEMS = 1_000_000  # the figures
DEFAULT_RECORDS = 10_000_000
DEFAULT_VICTIMS = 100_000
BUILD_GOAL_SECONDS = 60.0  # alliance-wide report, on 2 cores
PAGE_GOAL_SECONDS = 1.0  # one country's report page, warm
COUNTRY_RUNS = 7
ALLIANCE_RUNS = 2
YEARS = 6  # of history before the load
K = 5
SEED = 17
OPERATOR = Principal.operator("bench")
PASSWORD = "bench-password-0123"
#: 48 member countries (ISO 3166-1 alpha-2).
COUNTRIES = [
    "AL",
    "AR",
    "AU",
    "BE",
    "BG",
    "CA",
    "CH",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GB",
    "GE",
    "GH",
    "GR",
    "HR",
    "HU",
    "IE",
    "IL",
    "IS",
    "IT",
    "JP",
    "KR",
    "LT",
    "LU",
    "LV",
    "MD",
    "ME",
    "MT",
    "NG",
    "NL",
    "NO",
    "NZ",
    "PH",
    "PL",
    "PT",
    "RO",
    "RS",
    "SE",
    "SI",
    "SK",
    "TH",
    "UA",
    "US",
]
SECRETARIAT_COUNTRY = "BE"


# --- the world: countries, organisations, users -----------------------------------------


@dataclass
class _World:
    engine: Engine
    sessions: sessionmaker[Session]
    url: str  # for psycopg
    hotline: dict[str, int] = field(default_factory=dict)
    police: dict[str, int] = field(default_factory=dict)
    government: dict[str, int] = field(default_factory=dict)
    industry: dict[str, list[int]] = field(default_factory=dict)
    secretariat: int = 0
    secretariat_admin: Principal | None = None
    editor: Principal | None = None
    editor_country: str = ""


def _world(url: str, rng: np.random.Generator) -> _World:
    engine = create_db_engine(url)
    upgrade(engine)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    world = _World(engine, make_session_factory(engine), plain)
    # The country whose government reads its own report: one of the busier ones.
    world.editor_country = "NL"
    with transaction(world.sessions) as session:

        def organisation(code: str, kind: OrgKind, slug: str) -> int:
            return accounts.create_organisation(
                session,
                OPERATOR,
                OrganisationIn(slug=slug, name=slug, kind=kind, country_code=code),
            ).id

        for code in COUNTRIES:
            name = country_name(code) or code
            accounts.add_jurisdiction(session, OPERATOR, JurisdictionIn(code=code, name=name))
            session.add(
                MemberCountry(
                    code=code,
                    name=name,
                    joined_on=date(2012, 12, 5) + timedelta(days=int(rng.integers(0, 2500))),
                )
            )
            low = code.lower()
            world.hotline[code] = organisation(code, OrgKind.hotline, f"hotline-{low}")
            world.police[code] = organisation(code, OrgKind.law_enforcement, f"police-{low}")
            world.government[code] = organisation(code, OrgKind.government, f"gov-{low}")
            world.industry[code] = [
                organisation(code, OrgKind.industry, f"platform-{low}-{n}")
                for n in range(int(rng.integers(0, 7)))
            ]
        world.secretariat = organisation(SECRETARIAT_COUNTRY, OrgKind.secretariat, "secretariat")
        admin, _ = accounts.create_user(
            session,
            OPERATOR,
            UserIn(
                username="sec-admin",
                display_name="Secretariat admin",
                role=Role.secretariat_admin,
                organisation="secretariat",
                password=PASSWORD,
            ),
        )
        editor, _ = accounts.create_user(
            session,
            OPERATOR,
            UserIn(
                username="gov-editor",
                display_name="Government editor",
                role=Role.country_editor,
                organisation=f"gov-{world.editor_country.lower()}",
                password=PASSWORD,
            ),
        )
        world.secretariat_admin = accounts.principal_for_user(admin)
        world.editor = accounts.principal_for_user(editor)
    return world


# --- the set-based load -------------------------------------------------------------------


def _array(values: Any, kind: str) -> str:
    """A PostgreSQL array literal of numbers or codes (values made here, never input)."""
    if kind == "text":
        return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"
    return "ARRAY[" + ",".join(str(v) for v in values) + f"]::{kind}[]"


def _weights(rng: np.random.Generator, count: int, skew: float) -> str:
    """Lower bounds of ``count`` buckets of [0, 1), as a float8[] for ``width_bucket``:
    each country's share drawn from a log-normal of spread ``skew``."""
    shares = rng.lognormal(0.0, skew, count)
    shares /= shares.sum()
    return _array(np.round(np.concatenate([[0.0], np.cumsum(shares)[:-1]]), 9), "float8")


FUNCTIONS = """
CREATE FUNCTION pg_temp.lognormal(median float8, sigma float8) RETURNS float8
LANGUAGE sql VOLATILE AS $$
  SELECT median * exp(sigma * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
$$;
CREATE FUNCTION pg_temp.after(t timestamp, now timestamp) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN t <= now THEN t END $$;
"""


@dataclass
class _Plan:
    """What was drawn for this run: sizes and rates (reported beside the figures)."""

    items: int
    records: int
    victims: int
    drawn: dict[str, float] = field(default_factory=dict)

    def draw(self, rng: np.random.Generator, name: str, low: float, high: float) -> float:
        value = float(rng.uniform(low, high))
        self.drawn[name] = value
        return value

    def count(self, rng: np.random.Generator, name: str, low: int, high: int) -> int:
        value = int(rng.integers(low, high + 1))
        self.drawn[name] = value
        return value


def _statements(world: _World, plan: _Plan, rng: np.random.Generator, now: datetime) -> list[str]:
    """The load, as SQL statements run in order on one connection."""
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    codes = _array(COUNTRIES, "text")
    hotline = _array([world.hotline[c] for c in COUNTRIES], "int")
    police = _array([world.police[c] for c in COUNTRIES], "int")
    every_org = [world.hotline[c] for c in COUNTRIES] + [world.government[c] for c in COUNTRIES]
    platforms = [(c, o) for c in COUNTRIES for o in world.industry[c]]
    platform_ids = _array([o for _, o in platforms], "int")
    n = plan.items
    d = plan.draw
    growth = d(rng, "yearly growth of takedown items", 0.05, 0.35) * YEARS
    hosting = _weights(rng, len(COUNTRIES), d(rng, "country skew (log-normal sigma)", 1.0, 1.8))
    victims_weights = _weights(rng, len(COUNTRIES), d(rng, "victim-ID skew", 0.6, 1.2))
    people = _weights(rng, len(COUNTRIES), 0.8)
    unknown = d(rng, "items without a hosting country", 0.01, 0.06)
    baseline = d(rng, "baseline share", 0.35, 0.6)
    national = d(rng, "national share", 0.1, 0.25)
    doubtful = d(rng, "doubtful share", 0.02, 0.08)
    assess_h = d(rng, "median hours to assessment", 4, 48)
    lea_routing = d(rng, "LEA informed at routing", 0.2, 0.7)
    lea_h = d(rng, "median hours assessment to LEA", 1, 24)
    held = d(rng, "items held", 0.005, 0.04)
    hold_d = d(rng, "median days held", 5, 60)
    notice_h = d(rng, "median hours assessment to notice", 2, 30)
    removal_h = d(rng, "median hours notice to removal", 8, 72)
    removal_sigma = d(rng, "removal spread (log-normal sigma)", 0.8, 1.8)
    never = d(rng, "never removed", 0.02, 0.1)
    extra_reports = d(rng, "repeat reports per item", 0.05, 0.3)
    public = d(rng, "public reports", 0.25, 0.5)
    scanner = d(rng, "scanner reports", 0.05, 0.25)
    two_items = d(rng, "public reports naming a second item", 0.01, 0.08)
    series = max(100, round(plan.victims / d(rng, "victims per series", 3, 8)))
    identified = d(rng, "victims identified", 0.3, 0.7)
    referrals = plan.count(rng, "referrals", 10_000, 50_000)
    alerts = plan.count(rng, "deconfliction alerts", 20_000, 100_000)
    seizures = plan.count(rng, "seizures", 2_000, 10_000)
    entries = plan.count(rng, "library entries", 2_000, 10_000)
    adoptions = plan.count(rng, "library adoptions", 1_000, 6_000)
    bank_entries = plan.count(rng, "bank entries", 100_000, 400_000)
    matches = plan.count(rng, "match events", 200_000, 1_500_000)
    self_generated = d(rng, "library entries on self-generated imagery", 0.05, 0.25)
    plan.drawn["series"] = series
    t0 = f"timestamp '{start.replace(tzinfo=None).isoformat()}'"
    t_now = f"timestamp '{now.replace(tzinfo=None).isoformat()}'"
    # A moment in the six years, denser later (growth): ln(1 + u (e^g - 1)) / g.
    moment = (
        f"{t0} + make_interval(secs => ln(1 + random() * (exp({growth}) - 1)) / {growth} * {span})"
    )
    out = [
        f"SELECT setseed({float(rng.uniform(-1, 1))})",
        # Per item, everything drawn once (OFFSET 0 keeps each random() evaluated once).
        f"""CREATE UNLOGGED TABLE bench_draw AS
        SELECT i,
          CASE WHEN random() >= {unknown} THEN width_bucket(random(), {hosting}) END AS c,
          {moment} AS received,
          random() AS cls,
          pg_temp.lognormal(20, 1.0) AS route_min,
          pg_temp.lognormal({assess_h}, 1.2) AS assess_h,
          random() < {lea_routing} AS at_routing,
          pg_temp.lognormal({lea_h}, 1.3) AS lea_h,
          random() < {held} AS held,
          pg_temp.lognormal({hold_d}, 0.9) AS hold_d,
          random() < 0.1 AS hold_open,
          pg_temp.lognormal({notice_h}, 1.0) AS notice_h,
          pg_temp.lognormal({removal_h}, {removal_sigma}) AS removal_h,
          random() < {never} AS never,
          random() < 0.5 AS closed_unremoved,
          pg_temp.lognormal(30, 0.7) AS close_d
        FROM generate_series(1, {n}) AS i""",
        f"""CREATE UNLOGGED TABLE bench_items AS
        SELECT i, c, received, routed, assessed, cls_name,
          CASE WHEN illegal THEN pg_temp.after(
            CASE WHEN at_routing THEN routed
              ELSE assessed + make_interval(secs => lea_h * 3600) END,
            {t_now}) END AS lea_informed,
          hold_placed, hold_end,
          pg_temp.after(notice, {t_now}) AS first_notice,
          pg_temp.after(
            CASE WHEN NOT never THEN notice + make_interval(secs => removal_h * 3600) END,
            {t_now}) AS removed,
          pg_temp.after(CASE WHEN assessed IS NOT NULL AND NOT illegal THEN assessed
            WHEN never AND closed_unremoved THEN notice + make_interval(days => close_d::int) END,
            {t_now}) AS closed,
          removal_h
        FROM (
          SELECT *, CASE WHEN illegal THEN
              CASE WHEN NOT held THEN assessed + make_interval(secs => notice_h * 3600)
                   ELSE hold_end + make_interval(secs => notice_h * 3600) END END AS notice
          FROM (
            SELECT *,
              CASE WHEN illegal AND held THEN pg_temp.after(assessed + interval '1 hour', {t_now})
              END AS hold_placed,
              CASE WHEN illegal AND held AND NOT hold_open THEN pg_temp.after(
                assessed + interval '1 hour' + make_interval(secs => hold_d * 86400), {t_now})
              END AS hold_end
            FROM (
              SELECT d.*, routed, a.assessed,
                CASE WHEN a.assessed IS NULL THEN NULL
                  WHEN cls < {baseline} THEN 'baseline'
                  WHEN cls < {baseline + national} THEN 'national'
                  WHEN cls < {baseline + national + doubtful} THEN 'doubtful'
                  WHEN cls < {baseline + national + doubtful}
                    + 0.6 * (1 - {baseline + national + doubtful})
                    THEN 'not_illegal'
                  ELSE 'ignore' END AS cls_name,
                a.assessed IS NOT NULL AND cls < {baseline + national} AS illegal
              FROM bench_draw d,
                LATERAL (SELECT pg_temp.after(
                  received + make_interval(secs => route_min * 60), {t_now})
                  AS routed) r,
                LATERAL (SELECT pg_temp.after(
                  r.routed + make_interval(secs => assess_h * 3600), {t_now})
                  AS assessed) a
            ) s1
          ) s2
        ) s3""",
        f"""INSERT INTO content_items (id, reference, url, open_url, host, stage, classification,
          report_count, ip_address, country_code, asn, resolved_at, assigned_organisation_id,
          lea_organisation_id, routed_at, lea_informed_at, lea_window_ends_at, received_at,
          assessed_at, first_notice_at, last_notice_at, notice_count, removed_at, closed_at)
        SELECT i, 'I-' || lpad(i::text, 10, '0'),
          'http://h' || (i % 20011) || '.example.test/f/' || i || '.jpg',
          CASE WHEN removed IS NULL AND closed IS NULL
            THEN 'http://h' || (i % 20011) || '.example.test/f/' || i || '.jpg' END,
          'h' || (i % 20011) || '.example.test',
          CASE WHEN removed IS NOT NULL THEN 'removed' WHEN closed IS NOT NULL THEN 'closed'
            WHEN first_notice IS NOT NULL THEN 'notified'
            WHEN cls_name IN ('baseline', 'national') THEN 'notice_pending'
            WHEN routed IS NOT NULL THEN 'awaiting_assessment'
            WHEN c IS NULL THEN 'unresolved' ELSE 'received' END,
          cls_name, 1, '203.0.113.' || (1 + i % 250), ({codes})[c], 64500 + i % 500,
          routed, ({hotline})[c], ({police})[c], routed, lea_informed,
          assessed + interval '24 hours', received, assessed, first_notice,
          CASE WHEN first_notice IS NOT NULL THEN pg_temp.after(first_notice
            + make_interval(days => least(5, floor(removal_h / 24))::int), {t_now}) END,
          CASE WHEN first_notice IS NULL THEN 0 ELSE 1 + least(5, floor(removal_h / 24))::int END,
          removed, closed
        FROM bench_items""",
    ]
    # The items' timelines.
    events = [
        ("received", "received", "NULL"),
        ("routed", "routed", "({hotline})[c]"),
        ("assessed", "assessed", "({hotline})[c]"),
        ("lea_informed", "lea_informed", "({hotline})[c]"),
        ("notice_sent", "first_notice", "({hotline})[c]"),
        ("hold_placed", "hold_placed", "({police})[c]"),
        ("hold_released", "hold_end", "({police})[c]"),
        ("removed", "removed", "({hotline})[c]"),
    ]
    for kind, column, organisation in events:
        who = organisation.format(hotline=hotline, police=police)
        out.append(
            f"""INSERT INTO item_events (item_id, at, kind, actor, organisation_id, details)
            SELECT i, {column}, '{kind}', 'bench', {who}, '{{}}'
            FROM bench_items WHERE {column} IS NOT NULL"""
        )
    extra = round(n * extra_reports)
    out += [
        f"""CREATE UNLOGGED TABLE bench_extra AS
        SELECT {n} + j AS r, 1 + floor(random() * {n})::int AS item,
          1 + floor(random() * {n})::int AS second, random() AS u, random() AS v
        FROM generate_series(1, {extra}) j""",
        f"""INSERT INTO reports (id, reference, source, reporter_organisation_id, description,
          hashes, actor, received_at)
        SELECT r, 'R-' || lpad(r::text, 10, '0'), source,
          CASE WHEN source = 'public' THEN NULL ELSE {world.secretariat} END, '', '[]', 'bench',
          received
        FROM (
          SELECT i AS r, received,
            CASE WHEN u < {public} THEN 'public' WHEN u < {public + scanner} THEN 'scanner'
              WHEN u < {public + scanner} + 0.6 * (1 - {public + scanner}) THEN 'hotline'
              WHEN u < {public + scanner} + 0.8 * (1 - {public + scanner}) THEN 'industry'
              ELSE 'law_enforcement' END AS source
          FROM (SELECT i, received, random() AS u FROM bench_items OFFSET 0) s
          UNION ALL
          SELECT e.r, received + make_interval(secs => pg_temp.lognormal(48, 1.5) * 3600),
            CASE WHEN e.u < {public} THEN 'public' ELSE 'hotline' END
          FROM bench_extra e JOIN bench_items ON bench_items.i = e.item
        ) all_reports""",
        """INSERT INTO report_items (report_id, item_id, submitted_url)
        SELECT i, i, 'http://example.test/' || i FROM bench_items""",
        """INSERT INTO report_items (report_id, item_id, submitted_url)
        SELECT r, item, 'http://example.test/' || item FROM bench_extra""",
        f"""INSERT INTO report_items (report_id, item_id, submitted_url)
        SELECT e.r, e.second, 'http://example.test/' || e.second FROM bench_extra e
        JOIN reports ON reports.id = e.r AND reports.source = 'public'
        WHERE e.v < {two_items} AND e.second <> e.item""",
        """UPDATE content_items SET report_count = report_count + extra.n FROM (
          SELECT item_id, count(*) - 1 AS n FROM report_items GROUP BY item_id HAVING count(*) > 1
        ) extra WHERE content_items.id = extra.item_id""",
    ]
    # Victims: series of the police agencies, victims identified by country.
    out += [
        f"""INSERT INTO series (id, code, name, name_key, owner_organisation_id, status,
          first_seen_at, countries, notes, created_at, created_by, updated_at)
        SELECT s, 'S-' || lpad(s::text, 8, '0'), 'Bench series ' || s, 'bench series ' || s,
          ({police})[width_bucket(random(), {victims_weights})], 'active', seen, '[]', '',
          seen, 'bench', seen
        FROM (SELECT s, {t0} - interval '4 years'
          + make_interval(secs => random() * {span + 4 * 365 * 86400}) AS seen
          FROM generate_series(1, {series}) s OFFSET 0) f""",
        """UPDATE series SET merged_into_id = id - 1 WHERE id > 1 AND id % 97 = 0""",
        f"""INSERT INTO victims (id, reference, series_id, age_group, status, identified_on,
          identified_by_organisation_id, identified_country, created_at, created_by)
        SELECT v, 'V-' || lpad(v::text, 10, '0'), s.id,
          (ARRAY['infant', 'pre_pubescent', 'pubescent', 'not_determined'])[1 + floor(u1 * 4)::int],
          CASE WHEN found IS NULL THEN 'unidentified' WHEN u1 < 0.3 THEN 'safeguarded'
            ELSE 'identified' END,
          found::date,
          CASE WHEN found IS NOT NULL THEN
            CASE WHEN u2 < 0.8 THEN s.owner_organisation_id ELSE ({police})[c] END END,
          CASE WHEN found IS NOT NULL THEN
            CASE WHEN u2 < 0.8 THEN o.country_code WHEN u2 < 0.95 THEN ({codes})[c] END END,
          s.first_seen_at, 'bench'
        FROM (
          SELECT v, 1 + floor(random() * {series})::int AS series, random() AS u1,
            random() AS u2, width_bucket(random(), {victims_weights}) AS c, random() AS found_u,
            random() AS when_u
          FROM generate_series(1, {plan.victims}) v OFFSET 0
        ) d
        JOIN series s ON s.id = d.series
        JOIN organisations o ON o.id = s.owner_organisation_id,
        LATERAL (SELECT pg_temp.after(greatest(s.first_seen_at, {t0})
          + make_interval(secs => sqrt(when_u) * {span}), {t_now}) AS t) w,
        LATERAL (SELECT CASE WHEN found_u < {identified} THEN w.t END AS found) f""",
        # Series watched by their owner; a tenth by a second country's agency too.
        f"""INSERT INTO deconfliction_targets (organisation_id, kind, value, source,
          source_reference, registered_at)
        SELECT owner_organisation_id, 'series', code, 'series', code, first_seen_at FROM series
        UNION ALL
        SELECT ({police})[1 + floor(random() * {len(COUNTRIES)})::int], 'series', code,
          'series', code, first_seen_at + interval '30 days'
        FROM series WHERE random() < 0.1""",
        f"""INSERT INTO deconfliction_targets (organisation_id, kind, value, source,
          source_reference, registered_at, ended_at)
        SELECT ({police})[c], 'url', 'http://h' || (i % 20011) || '.example.test/f/' || i || '.jpg',
          'hold', 'H-' || i, hold_placed, hold_end
        FROM bench_items WHERE hold_placed IS NOT NULL AND c IS NOT NULL""",
        f"""INSERT INTO referrals (reference, series_id, from_organisation_id, to_organisation_id,
          to_country, package, status, created_at, created_by, decided_at, decided_by)
        SELECT 'F-' || lpad(r::text, 10, '0'), s.id, s.owner_organisation_id, ({police})[c],
          ({codes})[c], '{{}}',
          CASE WHEN decided IS NULL THEN 'pending' WHEN u < 0.8 THEN 'accepted' ELSE 'declined' END,
          created, 'bench', decided, CASE WHEN decided IS NOT NULL THEN 'bench' END
        FROM (
          SELECT r, 1 + floor(random() * {series})::int AS series,
            width_bucket(random(), {victims_weights}) AS c, random() AS u, {moment} AS created,
            random() < 0.9 AS answered, pg_temp.lognormal(30, 1.4) AS answer_h
          FROM generate_series(1, {referrals}) r OFFSET 0
        ) d JOIN series s ON s.id = d.series,
        LATERAL (SELECT CASE WHEN answered THEN pg_temp.after(
          created + make_interval(secs => answer_h * 3600), {t_now}) END AS decided) x""",
        f"""INSERT INTO deconfliction_alerts (organisation_id, touched_by_organisation_id,
          touched_by, action, created_at, acknowledged_at, target_id, count)
        SELECT t.organisation_id, ({police})[c], 'bench', 'match',
          greatest(created, t.registered_at),
          CASE WHEN random() < 0.85 THEN pg_temp.after(greatest(created, t.registered_at)
            + make_interval(secs => pg_temp.lognormal(40, 1.5) * 3600), {t_now}) END, t.id, 1
        FROM (
          SELECT a,
            1 + floor(random() * (SELECT max(id) FROM deconfliction_targets))::int AS target,
            width_bucket(random(), {victims_weights}) AS c, {moment} AS created
          FROM generate_series(1, {alerts}) a OFFSET 0
        ) d JOIN deconfliction_targets t ON t.id = d.target""",
        f"""INSERT INTO seizures (reference, organisation_id, submitted_by, submitted_at,
          source_format, items, known, near, new, categorised, identified, baseline)
        SELECT 'Z-' || lpad(z::text, 10, '0'), ({police})[c], 'bench', submitted, 'jsonl',
          items, (items * k)::int, (items * (1 - k) / 2)::int, items - (items * k)::int
            - (items * (1 - k) / 2)::int, (items * k * 0.85)::int, (items * k * 0.1)::int,
          (items * k * 0.3)::int
        FROM (SELECT z, width_bucket(random(), {victims_weights}) AS c, {moment} AS submitted,
          greatest(1, pg_temp.lognormal(20000, 1.8))::int AS items, 0.5 + 0.45 * random() AS k
          FROM generate_series(1, {seizures}) z OFFSET 0) d""",
    ]
    # Awareness and best practice: the library.
    org_array = _array(every_org, "int")
    out += [
        f"""INSERT INTO library_entries (id, kind, title, summary, country_code, organisation_id,
          reach, status, search_text, created_by, created_at, updated_at, published_at)
        SELECT e, (ARRAY['campaign', 'practice', 'guidance', 'training', 'research'])[
            1 + floor(k * 5)::int],
          'Bench entry ' || e, 'A benchmark entry.', ({codes})[c], ({org_array})[c], '',
          CASE WHEN p < 0.9 THEN 'published' ELSE 'draft' END, 'bench entry ' || e, 'bench',
          created, created, CASE WHEN p < 0.9 THEN created END
        FROM (SELECT e, random() AS k, width_bucket(random(), {people}) AS c, random() AS p,
          {moment} AS created FROM generate_series(1, {entries}) e OFFSET 0) d""",
        f"""INSERT INTO library_terms (entry_id, facet, value, position)
        SELECT id, 'tag', tag, 0 FROM (
          SELECT id, CASE WHEN random() < {self_generated} THEN 'self_generated'
            ELSE (ARRAY['sextortion', 'grooming', 'prevention', 'reporting'])[
              1 + floor(random() * 4)::int] END AS tag
          FROM library_entries OFFSET 0) t""",
        f"""INSERT INTO library_adoptions (entry_id, organisation_id, notes, adopted_by, created_at)
        SELECT DISTINCT ON (entry, org) entry, org, '', 'bench', created FROM (
          SELECT 1 + floor(random() * {entries})::int AS entry,
            ({org_array})[1 + floor(random() * {len(every_org)})::int] AS org
          FROM generate_series(1, {adoptions}) OFFSET 0) d
        JOIN library_entries ON library_entries.id = d.entry,
        LATERAL (SELECT pg_temp.after(library_entries.created_at
          + make_interval(secs => random() * 365 * 86400), {t_now}) AS created) x
        WHERE x.created IS NOT NULL""",
    ]
    # Industry: hash banks, their entries, subscriptions and match events.
    banks = 4
    out += [
        f"""INSERT INTO banks (id, name, uid, owner_organisation_id, scope, description,
          suppression, pdq_threshold, dispute_threshold, subscriber_kinds, subscriber_countries,
          sequence, revision, created_at, updated_at)
        SELECT b, 'bench-bank-' || b, 'bank' || b, {world.hotline["NL"]}, 'baseline', '', false,
          31, 2, '[]', '[]', 0, 'r1', {t0}, {t0}
        FROM generate_series(1, {banks}) b""",
        f"""INSERT INTO bank_entries (bank_id, signal_type, signal_value, baseline,
          contributor_organisation_id, votes, confirmed, disputed, flagged, added_at, changed_seq)
        SELECT 1 + e % {banks}, 'pdq', md5(e::text) || md5((-e)::text), true,
          {world.hotline["NL"]}, 3, 3, 0, false, {t0}, e
        FROM generate_series(1, {bank_entries}) e""",
        f"""INSERT INTO bank_syncs (bank_id, organisation_id, checkpoint, kind, synced_at,
          first_synced_at)
        SELECT b, o, 1, 'delta', CASE WHEN random() < 0.8 THEN {t_now} - interval '1 day'
            ELSE first + make_interval(secs => random() * extract(epoch FROM {t_now} - first)) END,
          first
        FROM unnest({platform_ids}) o CROSS JOIN generate_series(1, {banks}) b,
        LATERAL (SELECT {moment} AS first WHERE random() < 0.7 AND b + o > 0) f""",
        f"""INSERT INTO match_events (entry_id, bank_id, organisation_id, actor, signal_type,
          distance, matched_at)
        SELECT 1 + e % {bank_entries}, 1 + (e % {bank_entries}) % {banks}, s.organisation_id,
          'bench', 'pdq', floor(random() * 32)::int,
          s.first_synced_at + make_interval(secs => random()
            * extract(epoch FROM s.synced_at - s.first_synced_at))
        FROM (SELECT e, 1 + floor(random() * (SELECT count(*) FROM bank_syncs))::int AS pick
          FROM generate_series(1, {matches}) e OFFSET 0) d
        JOIN (SELECT row_number() OVER (ORDER BY id) AS n, * FROM bank_syncs) s ON s.n = d.pick""",
    ]
    # Legal reviews: one to four per country, most published.
    out += [
        f"""INSERT INTO legal_reviews (id, country_code, criteria_framework, score_framework,
          sufficient, score_total, non_photographic, ai_generated, provider_reporting, notes,
          reviewed_on, reviewed_by, recorded_by, recorded_at, published, demo)
        SELECT row_number() OVER (), code, 'icmec2018', 'oosi2019', met >= 4, score,
          'covered', 'unclear', 'covered', '', on_day, 'bench', 'bench', {t_now},
          random() < 0.9, false
        FROM (
          SELECT code, r, date '2012-06-01' + (r * 900 + floor(random() * 600))::int AS on_day,
            least(5, r + floor(random() * 3))::int AS met, floor(random() * 9)::int AS score
          FROM unnest({codes}) code,
            generate_series(0, floor(random() * 4 + 0 * length(code))::int) r
          OFFSET 0
        ) d WHERE on_day < {t_now}""",
        """INSERT INTO legal_review_criteria (review_id, item_id, status, statute)
        SELECT id, 'icmec2018.crit.' || c, CASE WHEN random() < 0.6 THEN 'met'
          WHEN random() < 0.5 THEN 'partly' ELSE 'not_met' END, ''
        FROM legal_reviews, generate_series(1, 5) c""",
    ]
    for table in (
        "content_items",
        "reports",
        "series",
        "victims",
        "referrals",
        "deconfliction_targets",
        "deconfliction_alerts",
        "seizures",
        "library_entries",
        "library_adoptions",
        "banks",
        "bank_entries",
        "bank_syncs",
        "match_events",
        "legal_reviews",
        "item_events",
    ):
        out.append(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )
    out += ["DROP TABLE bench_draw", "DROP TABLE bench_extra"]
    return out


@dataclass
class _Load:
    seconds: float
    records_seconds: float
    rows: dict[str, int]
    database_bytes: int


def _load(world: _World, plan: _Plan, rng: np.random.Generator, now: datetime) -> _Load:
    start = time.perf_counter()
    with psycopg.connect(world.url) as connection, connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        for statement in _statements(world, plan, rng, now):
            cursor.execute(statement.encode())
        series = cursor.execute("SELECT max(id) FROM series").fetchone()
        identified = cursor.execute(
            "SELECT array_agg(id) FROM series WHERE id IN (SELECT series_id FROM victims "
            "WHERE status <> 'unidentified')"
        ).fetchone()
        cursor.execute("DROP TABLE bench_items")
        connection.commit()
    loaded = time.perf_counter()
    series_count = int(series[0]) if series else 0
    flags = np.zeros(series_count + 1, dtype=bool)
    flags[np.array((identified[0] if identified else None) or [], dtype=np.int64)] = True
    records = victims._records(plan.records, rng)
    records = victims._Records(
        records.md5,
        records.sha1,
        records.pdq,
        np.where(records.series > 0, 1 + records.series % series_count, 0).astype(np.int32),
        series_count,
    )
    victims.copy_records(world.url, records, flags, list(world.police.values()), rng)
    copied = time.perf_counter()
    with psycopg.connect(world.url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        rows = {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in (
                "content_items",
                "item_events",
                "reports",
                "media_records",
                "series",
                "victims",
                "referrals",
                "deconfliction_alerts",
                "library_entries",
                "match_events",
            )
        }
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return _Load(
        seconds=time.perf_counter() - start,
        records_seconds=copied - loaded,
        rows=rows,
        database_bytes=int(size[0]) if size else 0,
    )


# --- measuring --------------------------------------------------------------------------


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _build(
    world: _World, principal: Principal, country: str | None, year: int, max_age: float = 0.0
) -> float:
    """One build in a transaction of its own, as a request makes it; ``max_age`` 0: every
    figure computed, else figures computed that long ago may be used, as the pages do."""

    def run() -> None:
        with transaction(world.sessions) as session:
            build_progress_report(
                session, principal, country=country, year=year, k=K, max_age=max_age
            )

    return _timed(run)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class _Timings:
    alliance_cold: float
    alliance_warm: list[float]
    country_computed: list[float]
    country_warm: list[float]
    secretariat_country: list[float]
    alliance_page: list[float]
    country_page: list[float]
    published_page: list[float]
    published_country_page: list[float]
    max_age: float


def _get(client: TestClient, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return seconds


def _measure(world: _World, year: int, folder: Path) -> _Timings:
    assert world.secretariat_admin is not None and world.editor is not None
    code = world.editor_country
    settings = load_settings(data_dir=folder, secret_key="bench-secret-key-for-csrf-signing")
    max_age = settings.report_cache_seconds
    # Every figure computed: the first build after the load, then again (warm caches).
    cold = _build(world, world.secretariat_admin, None, year)
    warm = [_build(world, world.secretariat_admin, None, year) for _ in range(ALLIANCE_RUNS)]
    computed = [_build(world, world.editor, code, year)]
    # As the pages build it: figures computed at most max_age seconds ago (the last one).
    country = [_build(world, world.editor, code, year, max_age) for _ in range(COUNTRY_RUNS)]
    secretariat = [
        _build(world, world.secretariat_admin, code, year, max_age) for _ in range(COUNTRY_RUNS)
    ]
    signer = Signer.generate()
    with transaction(world.sessions) as session:
        publication.publish(session, world.secretariat_admin, signer, country=None, year=year, k=K)
        publication.publish(session, world.secretariat_admin, signer, country=code, year=year, k=K)
    app = create_app(settings, engine=world.engine, sessions=world.sessions)
    pages: dict[str, list[float]] = {}
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        _log_in(client, "sec-admin")
        pages["alliance"] = [
            _get(client, f"/reports/progress?year={year}") for _ in range(ALLIANCE_RUNS)
        ]
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        _log_in(client, "gov-editor")
        pages["country"] = [
            _get(client, f"/reports/progress?country={code}&year={year}")
            for _ in range(COUNTRY_RUNS)
        ]
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        pages["published"] = [
            _get(client, f"/reports/published/alliance/{year}") for _ in range(ALLIANCE_RUNS)
        ]
        pages["published_country"] = [
            _get(client, f"/reports/published/{code}/{year}") for _ in range(COUNTRY_RUNS)
        ]
    return _Timings(
        cold,
        warm,
        computed,
        country,
        secretariat,
        pages["alliance"],
        pages["country"],
        pages["published"],
        pages["published_country"],
        max_age,
    )


def _log_in(client: TestClient, username: str) -> None:
    page = client.get("/login")
    marker = 'name="csrf_token" value="'
    token = page.text.split(marker, 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 303:
        raise RuntimeError(f"could not log in as {username}: {response.status_code}")


# --- the section ------------------------------------------------------------------------


def _seconds(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return (
        f"p50 {statistics.median(values):.2f} s, p95 {_p(values, 0.95):.2f} s ({len(values)} runs)"
    )


def _verdict(value: float, goal: float) -> str:
    return "**met**" if value <= goal else "**not met**"


def progress_benchmark(
    items: int = DEFAULT_ITEMS,
    records: int = DEFAULT_RECORDS,
    victim_count: int = DEFAULT_VICTIMS,
    seed: int = SEED,
) -> list[str]:
    """The section of ``docs/benchmarks.md``."""
    problem = postgres_problem()
    if problem is not None:
        return not_measured(problem)
    rng = np.random.default_rng(seed)
    plan = _Plan(items, records, victim_count)
    now = datetime.now(UTC).replace(microsecond=0)
    year = now.year - 1
    with postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        world = _world(url, rng)
        try:
            load = _load(world, plan, rng, now)
            timings = _measure(world, year, Path(folder))
        finally:
            world.engine.dispose()
    country = world.editor_country
    alliance_warm = statistics.median(timings.alliance_warm)
    country_p50 = statistics.median(timings.country_page)
    rows = ", ".join(f"{table} {count:,}" for table, count in load.rows.items())
    drawn = "; ".join(
        f"{name} {value:,.0f}" if value >= 100 else f"{name} {value:.3g}"
        for name, value in plan.drawn.items()
    )
    return [
        f"The alliance-wide and one country's ({country}) progress report for {year}, "
        f"every indicator, {len(COUNTRIES)} member countries, the years since 2012 and the "
        f"year's quarters, on PostgreSQL: {YEARS} years of history before {now:%Y-%m-%d}, "
        f"loaded set-based (`bench/progress_report.py`, seed {seed}).",
        "",
        "| measure | time | goal |",
        "|---|---|---|",
        f"| alliance-wide report, first build after the load (cold) "
        f"| {timings.alliance_cold:.2f} s | ≤ {BUILD_GOAL_SECONDS:.0f} s: "
        f"{_verdict(timings.alliance_cold, BUILD_GOAL_SECONDS)} |",
        f"| alliance-wide report, every figure computed again (warm) "
        f"| {_seconds(timings.alliance_warm)} "
        f"| ≤ {BUILD_GOAL_SECONDS:.0f} s: {_verdict(alliance_warm, BUILD_GOAL_SECONDS)} |",
        f"| {country}'s report for its government, every figure computed "
        f"| {_seconds(timings.country_computed)} | - |",
        f"| {country}'s report for its government, figures at most "
        f"{timings.max_age:.0f} s old (as the pages build it) "
        f"| {_seconds(timings.country_warm)} | - |",
        f"| {country}'s report for the secretariat, the same "
        f"| {_seconds(timings.secretariat_country)} | - |",
        f"| page `/reports/progress` (alliance, secretariat) "
        f"| {_seconds(timings.alliance_page)} | - |",
        f"| page `/reports/progress?country={country}` (its government), warm "
        f"| {_seconds(timings.country_page)} "
        f"| ≤ {PAGE_GOAL_SECONDS:.0f} s: {_verdict(country_p50, PAGE_GOAL_SECONDS)} |",
        f"| public page of the published alliance report, with what changed since "
        f"| {_seconds(timings.published_page)} | - |",
        f"| public page of {country}'s published report, with what changed since "
        f"| {_seconds(timings.published_country_page)} | - |",
        "",
        "The pages take figures computed at most `ALLIANCE_REPORT_CACHE_SECONDS` "
        f"({timings.max_age:.0f} s by default) ago and say as of when "
        "(`alliance.reports.cache`); a page that finds none that recent computes them, "
        "which costs what a build with every figure computed does. Publishing always "
        "computes them.",
        "",
        "| load (setting up, not part of the goal) | |",
        "|---|---|",
        f"| everything, `VACUUM ANALYZE` included | {load.seconds:.0f} s |",
        f"| of which {plan.records:,} media records (`bench.victims.copy_records`, binary "
        f"`COPY`, indexes rebuilt) | {load.records_seconds:.0f} s |",
        f"| rows | {rows} |",
        f"| database size | {load.database_bytes / 1e9:.1f} GB |",
        "",
        f"Drawn for this run: {drawn}.",
    ]


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ITEMS
    scale = items / DEFAULT_ITEMS
    lines = progress_benchmark(
        items, round(DEFAULT_RECORDS * scale), max(1000, round(DEFAULT_VICTIMS * scale))
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
