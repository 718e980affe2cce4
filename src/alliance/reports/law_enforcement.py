"""Goal 3, joint law-enforcement efforts: cross-border referrals, deconfliction, and
seizures triaged against what is already known.

- ``cooperation.referrals_sent``: cross-border referrals sent in the period (a series
  referred to another country's agency), for the sender's country.
- ``cooperation.referrals_accepted`` and ``referrals_declined``: answers given in the
  period, for the answering (receiving) country.
- ``cooperation.referral_answer_hours``: for the referrals received in the period, the
  Kaplan–Meier median hours to the answer (unanswered at the period's end: censored).
- ``cooperation.alerts``: deconfliction alerts raised in the period, for the country of
  the agency alerted (another touched its target).
- ``cooperation.alerts_acknowledged``: the Kaplan–Meier share of those alerts acknowledged
  within 7 days.
- ``cooperation.shared_targets``: targets watched during the period by agencies of two
  countries or more; for a country, those of its targets another country watches too.
- ``victims.seizures_triaged``: of the items of the seizures submitted in the period, the
  share that came out pre-categorised (a known record with a VICS category).

A country whose agencies never did the thing has no data, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from alliance.accounts.models import Organisation
from alliance.cooperation.models import DeconflictionAlert, WatchedTarget
from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    in_period,
    known_by,
    read_clocks,
    survival_by_country,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_shares, from_survival
from alliance.victims.models import Referral, ReferralStatus, Seizure

HOUR = 3600.0
INDICATORS = (
    "cooperation.referrals_sent",
    "cooperation.referrals_accepted",
    "cooperation.referrals_declined",
    "cooperation.referral_answer_hours",
    "cooperation.alerts",
    "cooperation.alerts_acknowledged",
    "cooperation.shared_targets",
    "victims.seizures_triaged",
)


def _cross_border_referrals(session: Session, *, answered: ReferralStatus | None) -> Clocks:
    """Cross-border referrals: the sender's country (or, for answers, the receiver's), sent,
    and decided (``answered``: only those decided so, the decision as their start)."""
    sender = aliased(Organisation)
    cross_border = Referral.to_country != sender.country_code
    if answered is None:
        chosen = columns(sender.country_code, Referral.created_at, None, None)
        where = [cross_border]
    else:
        chosen = columns(Referral.to_country, Referral.decided_at, None, None)
        where = [cross_border, Referral.status == answered, Referral.decided_at.is_not(None)]
    return read_clocks(
        session,
        select(*chosen).join(sender, sender.id == Referral.from_organisation_id).where(*where),
    )


def _answer_clocks(session: Session) -> Clocks:
    sender = aliased(Organisation)
    return read_clocks(
        session,
        select(*columns(Referral.to_country, Referral.created_at, Referral.decided_at, None))
        .join(sender, sender.id == Referral.from_organisation_id)
        .where(Referral.to_country != sender.country_code),
    )


def _alert_clocks(session: Session) -> Clocks:
    alerted = aliased(Organisation)
    return read_clocks(
        session,
        select(
            *columns(
                alerted.country_code,
                DeconflictionAlert.created_at,
                DeconflictionAlert.acknowledged_at,
                None,
            )
        ).join(alerted, alerted.id == DeconflictionAlert.organisation_id),
    )


def _shared_targets(session: Session, period: Period, as_of: datetime) -> dict[str | None, int]:
    """Targets watched at some time in the period by agencies of two countries or more:
    alliance-wide the number of such targets, per country those it watches."""
    ends = min(period.ends, as_of)
    watching = (
        select(
            WatchedTarget.kind.label("kind"),
            WatchedTarget.value.label("value"),
            Organisation.country_code.label("country"),
        )
        .join(Organisation, Organisation.id == WatchedTarget.organisation_id)
        .where(
            WatchedTarget.registered_at < ends,
            or_(WatchedTarget.ended_at.is_(None), WatchedTarget.ended_at >= period.starts),
            or_(WatchedTarget.expires_at.is_(None), WatchedTarget.expires_at >= period.starts),
        )
        .subquery()
    )
    shared = (
        select(watching.c.kind, watching.c.value)
        .group_by(watching.c.kind, watching.c.value)
        .having(func.count(func.distinct(watching.c.country)) >= 2)
        .subquery()
    )
    on_shared = and_(watching.c.kind == shared.c.kind, watching.c.value == shared.c.value)
    per_country = session.execute(
        select(watching.c.country, func.count(func.distinct(watching.c.value)))
        .join(shared, on_shared)
        .group_by(watching.c.country)
    )
    out: dict[str | None, int] = {str(c): int(n) for c, n in per_country}
    out[ALLIANCE] = session.execute(select(func.count()).select_from(shared)).scalar_one()
    return out


def _targets_known(session: Session, period: Period, as_of: datetime) -> set[str | None]:
    rows = session.execute(
        select(func.distinct(Organisation.country_code))
        .join(WatchedTarget, WatchedTarget.organisation_id == Organisation.id)
        .where(WatchedTarget.registered_at < min(period.ends, as_of))
    )
    countries: set[str | None] = {str(c) for (c,) in rows}
    return countries | ({ALLIANCE} if countries else set())


def _triage(session: Session, period: Period, as_of: datetime) -> dict[str | None, tuple[int, int]]:
    """Per country (and alliance-wide), how many items of the seizures submitted in the
    period came out pre-categorised, of how many."""
    rows = session.execute(
        select(Organisation.country_code, func.sum(Seizure.items), func.sum(Seizure.categorised))
        .join(Organisation, Organisation.id == Seizure.organisation_id)
        .where(
            Seizure.submitted_at >= period.starts, Seizure.submitted_at < min(period.ends, as_of)
        )
        .group_by(Organisation.country_code)
    )
    out: dict[str | None, tuple[int, int]] = {}
    for country, items, categorised in rows:
        out[str(country)] = (int(categorised or 0), int(items or 0))
    if out:
        out[ALLIANCE] = (sum(c for c, _ in out.values()), sum(i for _, i in out.values()))
    return out


def law_enforcement_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-3 indicator for each period, for ``countries`` and alliance-wide."""
    sent = _cross_border_referrals(session, answered=None)
    accepted = _cross_border_referrals(session, answered=ReferralStatus.accepted)
    declined = _cross_border_referrals(session, answered=ReferralStatus.declined)
    answers = _answer_clocks(session)
    alerts = _alert_clocks(session)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        for indicator, clocks, known in (
            ("cooperation.referrals_sent", sent, known_by(sent, period, as_of)),
            ("cooperation.referrals_accepted", accepted, known_by(answers, period, as_of)),
            ("cooperation.referrals_declined", declined, known_by(answers, period, as_of)),
            ("cooperation.alerts", alerts, known_by(alerts, period, as_of)),
        ):
            watched = in_period(clocks, period, as_of)
            out += from_counts(
                indicator, period, count_by_country(watched.country), keys,
                active=known, coverage=None,
            )  # fmt: skip
        received = in_period(answers, period, as_of)
        out += from_survival(
            "cooperation.referral_answer_hours",
            period,
            survival_by_country(received, HOUR),
            keys,
            lambda s: s.quantile(0.5),
            coverage=None,
            not_reached="fewer than half answered by the period's end",
        )
        raised = in_period(alerts, period, as_of)
        out += from_survival(
            "cooperation.alerts_acknowledged",
            period,
            survival_by_country(raised, HOUR),
            keys,
            lambda s: s.share_within(7 * 24),
            coverage=None,
            not_reached="",
        )
        out += from_counts(
            "cooperation.shared_targets",
            period,
            _shared_targets(session, period, as_of),
            keys,
            active=_targets_known(session, period, as_of),
            coverage=None,
        )
        out += from_shares(
            "victims.seizures_triaged", period, _triage(session, period, as_of), keys
        )
    return out
