"""The earlier years' industry reports: what the progress report's figures on reports
reaching the police (``industry_reports.*``, goal 3) rest on in the demo.

In each of the five years before this one, the demo platforms report confirmed cases to
the police of the uploader's country (one of the four demo police forces, the country the
platform declared: no IP addresses), a few hours after confirming them. The police accept
most within hours or days, faster as the years go on; they decline a few, and forward a
few to another force, which accepts them. Everything goes through the services, as the
demo's reviewers and investigators, and is then dated back; the audit trail keeps the
moment the demo was built, as the victim-identification history's does.

Benign and synthetic: hashes derived from the seed, invented accounts and references.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.cooperation.models import WatchedTarget
from alliance.db.base import utcnow
from alliance.industry import inbox, submission
from alliance.industry.models import IndustryReport
from alliance.industry.schemas import DeclineIn, ForwardIn, IndustryReportIn

#: How many years before this one have industry reports, and how many a year per force.
EARLIER_YEARS = 5
REPORTS_PER_YEAR = (7, 10)
#: The demo's countries with police, and with two platforms each (:mod:`alliance.demo.world`).
COUNTRIES = ("NL", "GB", "US", "PH")
#: The median hours to acceptance in the earliest year; each year after takes 3/4 of it.
FIRST_MEDIAN_HOURS = 72.0
DECLINED, FORWARDED = 0.08, 0.08  # the shares declined and forwarded


def _value(seed: int, text: str) -> str:
    return hashlib.sha256(f"alliance-demo-industry-history:{seed}:{text}".encode()).hexdigest()


def _case(seed: int, reference: str, country: str, confirmed: datetime) -> IndustryReportIn:
    return IndustryReportIn.model_validate(
        {
            "case_reference": reference,
            "confirmed_at": confirmed.isoformat(),
            "classification": "A2",
            "uploader": {
                "account_id": f"demo-user-{_value(seed, reference)[:8]}",
                "declared_country": country,
            },
            "hashes": [{"signal_type": "sha256", "value": _value(seed, reference)}],
            "note": "Demo case of an earlier year: synthetic hashes, no picture behind them.",
        }
    )


def _hours(rng: random.Random, median: float) -> timedelta:
    return timedelta(hours=min(60 * 24.0, rng.lognormvariate(math.log(median), 1.0)))


def _date(session: Session, report: IndustryReport, moments: list[datetime]) -> None:
    """Date the report's steps (in order) and its own moments back."""
    for step, when in zip(report.steps, moments, strict=True):
        step.at = when
    report.received_at = moments[0]
    report.routed_at = moments[-2]  # the last routing: the decision came after it
    if report.decided_at is not None:
        report.decided_at = moments[-1]
        for target in session.execute(
            select(WatchedTarget).where(WatchedTarget.source_reference == report.reference)
        ).scalars():
            target.registered_at = moments[-1]


def build_history(
    session: Session, actor: Principal, seed: int, *, now: datetime | None = None
) -> int:
    """The earlier years' industry reports; returns how many."""
    rng = random.Random(f"industry-history:{seed}")  # noqa: S311 - demo data, by seed
    today = (now or utcnow()).date()

    def as_user(username: str) -> Principal:
        return accounts.principal_for_user(accounts.get_user(session, actor, username))

    platforms = [
        as_user(f"{cc.lower()}-{kind}reviewer") for cc in COUNTRIES for kind in ("", "chat-")
    ]
    police = {cc: as_user(f"{cc.lower()}-investigator") for cc in COUNTRIES}
    made = 0
    for year in range(today.year - EARLIER_YEARS, today.year):
        median = FIRST_MEDIAN_HOURS * 0.75 ** (year - today.year + EARLIER_YEARS)
        for country in COUNTRIES:
            for n in range(rng.randint(*REPORTS_PER_YEAR)):
                confirmed = datetime(year, 1, 1, 8, tzinfo=UTC) + timedelta(
                    days=rng.randint(0, 363), minutes=rng.randint(0, 12 * 60)
                )
                received = confirmed + timedelta(minutes=rng.randint(5, 6 * 60))
                reference = f"HX-{seed}-{year}-{country}-{n:02d}"
                data = _case(seed, reference, country, confirmed)
                sent = submission.submit(session, rng.choice(platforms), data, None).report
                moments = [received, received]
                draw = rng.random()
                if draw < DECLINED:
                    moments.append(received + _hours(rng, median))
                    reason = "Demo: no offence under our law."
                    inbox.decline(
                        session, police[country], sent.reference, DeclineIn(reason=reason)
                    )
                elif draw < DECLINED + FORWARDED:
                    to = rng.choice([c for c in COUNTRIES if c != country])
                    forwarded = received + _hours(rng, median / 2)
                    moments += [forwarded, forwarded, forwarded + _hours(rng, median)]
                    note = "Demo: the uploader lives in your country."
                    inbox.forward(
                        session, police[country], sent.reference, ForwardIn(country=to, note=note)
                    )
                    inbox.accept(session, police[to], sent.reference)
                else:
                    moments.append(received + _hours(rng, median))
                    inbox.accept(session, police[country], sent.reference)
                _date(session, sent, moments)
                made += 1
    session.flush()
    return made
