"""Deconfliction: one mechanism for the whole system.

A feature that wants to hear about other organisations' work on something registers a
target (:func:`register`: an investigation hold registers what it holds, a series its
hashes) and keeps its lifetime in step (:func:`set_expiry`, :func:`end`). Everything that
touches content — a report, a bank match, an assessment, a seizure triage — calls
:func:`touch` (:func:`touch_each` for many things at once) with what it touched; the owner
of every active target it touches gets one alert. :func:`target_matches` is the only rule
for whether a target covers what was touched; holds use it too, to decide what is on hold.

Alerts tell the owner who touched the target, how, when and what the toucher's platform
calls the thing (an item reference); the toucher's case details only if it chose to share
a note. The toucher is never told the target is watched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import AuditActor, AuditEntry, record_many
from alliance.cooperation.models import DeconflictionAlert, TargetKind, WatchedTarget
from alliance.cooperation.schemas import AlertOut
from alliance.db.base import utcnow
from alliance.db.bulk import among, batches
from alliance.errors import NotFound
from alliance.hosting.urls import host_in_domain

# Values per SQL IN: well under SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 500
# Kinds looked up by equality; domain targets (few) are matched in Python.
_EXACT_KINDS = (TargetKind.url, TargetKind.hash, TargetKind.report, TargetKind.series)


@dataclass
class Touched:
    """What one action touched; a target matches when it names any of it."""

    url: str | None = None  # normalised, as hosting.urls.normalise_url gives it
    host: str | None = None  # taken from ``url`` when not given
    hashes: set[str] = field(default_factory=set)  # "sha256:ab12..."
    reports: set[str] = field(default_factory=set)  # report references
    series: set[str] = field(default_factory=set)  # series codes

    def __post_init__(self) -> None:
        if self.host is None and self.url:
            self.host = urlsplit(self.url).hostname

    def values(self, kind: TargetKind) -> set[str]:
        """The touched values a target of ``kind`` is compared with by equality."""
        match kind:
            case TargetKind.url:
                return {self.url} if self.url else set()
            case TargetKind.hash:
                return self.hashes
            case TargetKind.report:
                return self.reports
            case TargetKind.series:
                return self.series
            case TargetKind.domain:
                return set()


def target_matches(kind: TargetKind | str, value: str, touched: Touched) -> bool:
    """Whether a target of ``kind`` naming ``value`` covers what was touched."""
    kind = TargetKind(kind)
    if kind is TargetKind.domain:
        return touched.host is not None and host_in_domain(touched.host, value)
    return value in touched.values(kind)


def normalise_value(kind: TargetKind | str, value: str) -> str:
    """A target value as :func:`target_matches` compares it. URLs are expected already
    normalised (``hosting.urls.normalise_url``), report references as issued."""
    value = value.strip()
    if TargetKind(kind) in (TargetKind.domain, TargetKind.hash):
        return value.lower()
    return value


# --- registering ----------------------------------------------------------------------


def _active(now: datetime) -> ColumnElement[bool]:
    return and_(
        WatchedTarget.ended_at.is_(None),
        or_(WatchedTarget.expires_at.is_(None), WatchedTarget.expires_at > now),
    )


def is_active(target: WatchedTarget, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return target.ended_at is None and (target.expires_at is None or target.expires_at > now)


def register(
    session: Session,
    *,
    organisation_id: int,
    kind: TargetKind | str,
    value: str,
    source: str,
    source_reference: str,
    expires_at: datetime | None = None,
) -> WatchedTarget:
    """``organisation_id`` watches ``value`` for ``source`` (e.g. hold ``H-…``).

    Registering the same target again while it is active returns the existing one.
    """
    kind = TargetKind(kind)
    value = normalise_value(kind, value)
    existing = session.execute(
        select(WatchedTarget)
        .where(
            WatchedTarget.organisation_id == organisation_id,
            WatchedTarget.kind == kind,
            WatchedTarget.value == value,
            WatchedTarget.source == source,
            WatchedTarget.source_reference == source_reference,
            _active(utcnow()),
        )
        .limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    target = WatchedTarget(
        organisation_id=organisation_id,
        kind=kind,
        value=value,
        source=source,
        source_reference=source_reference,
        expires_at=expires_at,
    )
    session.add(target)
    session.flush()
    return target


def set_expiry(
    session: Session, source: str, source_reference: str, expires_at: datetime | None
) -> int:
    """Every not-ended target of ``source_reference`` now expires at ``expires_at`` (a
    renewed hold); returns how many."""
    result = session.execute(
        update(WatchedTarget)
        .where(
            WatchedTarget.source == source,
            WatchedTarget.source_reference == source_reference,
            WatchedTarget.ended_at.is_(None),
        )
        .values(expires_at=expires_at)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0))


def end(
    session: Session,
    source: str,
    source_reference: str,
    *,
    kind: TargetKind | str | None = None,
    value: str | None = None,
) -> int:
    """Stop watching: every target of ``source_reference``, or only the one named by
    ``kind`` and ``value``; returns how many ended."""
    query = update(WatchedTarget).where(
        WatchedTarget.source == source,
        WatchedTarget.source_reference == source_reference,
        WatchedTarget.ended_at.is_(None),
    )
    if kind is not None:
        query = query.where(WatchedTarget.kind == TargetKind(kind))
        if value is not None:
            query = query.where(WatchedTarget.value == normalise_value(kind, value))
    elif value is not None:
        query = query.where(WatchedTarget.value == value.strip())
    result = session.execute(
        query.values(ended_at=utcnow()).execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0))


def active_targets(
    session: Session,
    now: datetime | None = None,
    *,
    source: str | None = None,
    source_reference: str | None = None,
) -> list[WatchedTarget]:
    """Active targets, optionally of one source (and reference); load once and pass to
    :func:`touch` as ``targets`` when touching many things in one transaction."""
    query = select(WatchedTarget).where(_active(now or utcnow())).order_by(WatchedTarget.id)
    if source is not None:
        query = query.where(WatchedTarget.source == source)
    if source_reference is not None:
        query = query.where(WatchedTarget.source_reference == source_reference)
    return list(session.execute(query).scalars())


# --- touching -------------------------------------------------------------------------


def _candidates(
    session: Session, touched: Sequence[Touched], now: datetime, exclude_organisation: int | None
) -> list[WatchedTarget]:
    """Active targets of other organisations that may match one of ``touched``: those
    naming one of its values, and every domain target when a host was touched."""

    def base() -> Select[WatchedTarget]:
        query = select(WatchedTarget).where(_active(now))
        if exclude_organisation is not None:
            query = query.where(WatchedTarget.organisation_id != exclude_organisation)
        return query

    found: dict[int, WatchedTarget] = {}
    for kind in _EXACT_KINDS:
        values = sorted(set().union(*(t.values(kind) for t in touched)))
        for chunk in batches(values, _IN_CHUNK):
            rows = session.execute(
                base().where(WatchedTarget.kind == kind, among(session, WatchedTarget.value, chunk))
            ).scalars()
            found.update((t.id, t) for t in rows)
    if any(t.host for t in touched):
        domains = session.execute(base().where(WatchedTarget.kind == TargetKind.domain))
        found.update((t.id, t) for t in domains.scalars())
    return [found[i] for i in sorted(found)]


class _Matcher:
    """Which of some targets match a touched thing, by lookup rather than by comparing
    each target (a seizure touches thousands of series, each watched by its agencies)."""

    def __init__(self, targets: Sequence[WatchedTarget]) -> None:
        self.by_value: dict[tuple[TargetKind, str], list[WatchedTarget]] = {}
        self.domains: list[WatchedTarget] = []
        for target in targets:
            kind = TargetKind(target.kind)
            if kind is TargetKind.domain:
                self.domains.append(target)
            else:
                self.by_value.setdefault((kind, target.value), []).append(target)

    def matching(self, touched: Touched) -> list[WatchedTarget]:
        found = {
            target.id: target
            for kind in _EXACT_KINDS
            for value in touched.values(kind)
            for target in self.by_value.get((kind, value), ())
        }
        if touched.host:
            found.update(
                (t.id, t) for t in self.domains if target_matches(t.kind, t.value, touched)
            )
        return [found[i] for i in sorted(found)]


def touch(
    session: Session,
    actor: AuditActor,
    touched: Touched,
    action: str,
    *,
    subject: str | None = None,
    count: int = 1,
    shared_note: str | None = None,
    targets: Sequence[WatchedTarget] | None = None,
) -> list[DeconflictionAlert]:
    """``actor`` did ``action`` (report, match, assessment, seizure, ...) to what
    ``touched`` names: every active target of another organisation that matches gets one
    alert, audited under the target's owner.

    ``subject`` is what the actor's platform calls the thing (an item reference),
    ``count`` how many items the action covered, ``shared_note`` case details the actor
    chose to share. ``targets``, from :func:`active_targets`, saves the queries when
    touching many things at once.
    """
    return touch_each(
        session,
        actor,
        [(touched, count)],
        action,
        subject=subject,
        shared_note=shared_note,
        targets=targets,
    )


def touch_each(
    session: Session,
    actor: AuditActor,
    touches: Sequence[tuple[Touched, int]],
    action: str,
    *,
    subject: str | None = None,
    shared_note: str | None = None,
    targets: Sequence[WatchedTarget] | None = None,
) -> list[DeconflictionAlert]:
    """:func:`touch` for several things one action touched, each with its own count (a
    seizure's items in each of the series they touch): one alert per touched thing and
    matching target, found and written in a few statements whatever their number."""
    now = utcnow()
    if targets is None:
        candidates = _candidates(session, [t for t, _ in touches], now, actor.organisation_id)
    else:
        candidates = [
            t for t in targets if t.organisation_id != actor.organisation_id and is_active(t, now)
        ]
    if not candidates:
        return []
    matcher = _Matcher(candidates)
    alerted = [
        (target, count) for touched, count in touches for target in matcher.matching(touched)
    ]
    alerts = [
        DeconflictionAlert(
            target_id=target.id,
            organisation_id=target.organisation_id,
            touched_by_organisation_id=actor.organisation_id,
            touched_by=actor.audit_label,
            action=action,
            subject=subject,
            count=count,
            shared_note=shared_note,
            created_at=now,
        )
        for target, count in alerted
    ]
    if not alerts:
        return []
    session.add_all(alerts)
    session.flush()
    record_many(
        session,
        actor,
        [
            AuditEntry(
                EventType.DECONFLICTION_ALERTED,
                target.source,
                target.source_reference,
                # The shared note stays out of the trail: only the recipient may read it.
                {"action": action, "alert": alert.id, "subject": subject, "count": count},
                organisation_id=target.organisation_id,
            )
            for (target, count), alert in zip(alerted, alerts, strict=True)
        ],
    )
    return alerts


# --- reading and acknowledging ----------------------------------------------------------


#: Sources whose alerts only the alerted agency reads, whatever the reader's reach: series
#: are law enforcement's alone (the secretariat sees victim-identification aggregates only).
PRIVATE_SOURCES = frozenset({"series"})


def _visible(query: Select[DeconflictionAlert], principal: Principal) -> Select[DeconflictionAlert]:
    own = DeconflictionAlert.organisation_id == (principal.organisation_id or -1)
    if principal.reach(Permission.ALERT_READ) is not Reach.ALL:
        return query.where(own)
    private = select(WatchedTarget.id).where(WatchedTarget.source.in_(PRIVATE_SOURCES))
    return query.where(or_(own, DeconflictionAlert.target_id.not_in(private)))


def _filtered(
    query: Select[DeconflictionAlert],
    principal: Principal,
    unacknowledged_only: bool,
    source: str | None,
) -> Select[DeconflictionAlert]:
    authorize(principal, Permission.ALERT_READ)
    query = _visible(query, principal)
    if unacknowledged_only:
        query = query.where(DeconflictionAlert.acknowledged_at.is_(None))
    if source is not None:
        query = query.where(
            DeconflictionAlert.target_id.in_(
                select(WatchedTarget.id).where(WatchedTarget.source == source)
            )
        )
    return query


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    unacknowledged_only: bool = False,
    source: str | None = None,
    limit: int = 500,
) -> list[DeconflictionAlert]:
    """Alerts to the principal's agency (every agency's with ALL reach), newest first."""
    query = _filtered(select(DeconflictionAlert), principal, unacknowledged_only, source)
    query = query.order_by(DeconflictionAlert.created_at.desc(), DeconflictionAlert.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def count_alerts(
    session: Session,
    principal: Principal,
    *,
    unacknowledged_only: bool = True,
    source: str | None = None,
) -> int:
    query = _filtered(select(DeconflictionAlert), principal, unacknowledged_only, source)
    ids = query.with_only_columns(DeconflictionAlert.id).subquery()
    return int(session.execute(select(func.count()).select_from(ids)).scalar_one())


def alert_out(alert: DeconflictionAlert) -> AlertOut:
    target = alert.target
    return AlertOut(
        id=alert.id,
        source=target.source,
        source_reference=target.source_reference,
        target_kind=target.kind,
        target_value=target.value,
        subject=alert.subject,
        count=alert.count,
        shared_note=alert.shared_note,
        touched_by=alert.touched_by,
        touched_by_organisation=(
            alert.touched_by_organisation.name if alert.touched_by_organisation else None
        ),
        action=alert.action,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
    )


def acknowledge(session: Session, principal: Principal, alert_id: int) -> DeconflictionAlert:
    """Mark an alert to the principal's agency as seen; repeating it changes nothing.
    Another agency's alert is not found."""
    authorize(principal, Permission.ALERT_MANAGE)
    alert = session.get(DeconflictionAlert, alert_id)
    if alert is None or (
        alert.organisation_id != principal.organisation_id
        and (
            principal.reach(Permission.ALERT_MANAGE) is not Reach.ALL
            or alert.target.source in PRIVATE_SOURCES
        )
    ):
        raise NotFound(f"no alert {alert_id} for your agency")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = principal.audit_label
        record(
            session,
            principal,
            EventType.DECONFLICTION_ACKNOWLEDGED,
            alert.target.source,
            alert.target.source_reference,
            {"alert": alert.id},
            organisation_id=alert.organisation_id,
        )
    return alert


def open_alert_count(session: Session, principal: Principal) -> int:
    """Alerts to the principal's own agency not yet acknowledged: what waits for it (the
    secretariat's wider reading reach does not make other agencies' alerts its work)."""
    authorize(principal, Permission.ALERT_READ)
    if principal.organisation_id is None:
        return 0
    query = select(func.count(DeconflictionAlert.id)).where(
        DeconflictionAlert.organisation_id == principal.organisation_id,
        DeconflictionAlert.acknowledged_at.is_(None),
    )
    return int(session.execute(query).scalar_one())
