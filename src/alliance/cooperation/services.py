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
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from alliance.accounts.models import User
from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import AuditActor, AuditEntry, record_many
from alliance.cooperation.models import (
    DeconflictionAlert,
    TargetKind,
    WatchedTarget,
    WatchSequence,
)
from alliance.cooperation.schemas import AlertMatch, AlertOut
from alliance.db.base import utcnow
from alliance.db.bulk import among, batches
from alliance.db.listing import Listing, ordered
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.hosting.urls import host_in_domain

# Values per SQL IN: well under SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 500
# Kinds looked up by equality; domain targets (few) are matched in Python.
_EXACT_KINDS = (
    TargetKind.url,
    TargetKind.hash,
    TargetKind.report,
    TargetKind.series,
    TargetKind.account,
)


@dataclass
class Touched:
    """What one action touched; a target matches when it names any of it."""

    url: str | None = None  # normalised, as hosting.urls.normalise_url gives it
    host: str | None = None  # taken from ``url`` when not given
    hashes: set[str] = field(default_factory=set)  # "sha256:ab12..."
    # Hashes reached only as near duplicates of what was touched (a PDQ neighbour a match
    # found): a hash target naming one of these is a near match, not the same content.
    near_hashes: set[str] = field(default_factory=set)
    reports: set[str] = field(default_factory=set)  # report references
    series: set[str] = field(default_factory=set)  # series codes
    accounts: set[str] = field(default_factory=set)  # "<platform's slug>:<account id>"

    def __post_init__(self) -> None:
        if self.host is None and self.url:
            self.host = urlsplit(self.url).hostname

    def values(self, kind: TargetKind) -> set[str]:
        """The touched values a target of ``kind`` is compared with by equality."""
        match kind:
            case TargetKind.url:
                return {self.url} if self.url else set()
            case TargetKind.hash:
                return self.hashes | self.near_hashes
            case TargetKind.report:
                return self.reports
            case TargetKind.series:
                return self.series
            case TargetKind.account:
                return self.accounts
            case TargetKind.domain:
                return set()


#: Most hashes an alert lists as "which matched"; its counts cover the rest.
MAX_MATCHES = 20


@dataclass(frozen=True)
class Closeness:
    """How the items an alert counts matched the target: ``exact`` were the same content
    (an equal hash, URL, report, ...), ``near`` near duplicates (PDQ within the matching
    distance). ``which`` names the watcher's own hashes that matched, as
    ``{"match": "exact"|"near", "hash": "md5:…", "distance": 8}``; never the toucher's."""

    exact: int = 0
    near: int = 0
    which: tuple[dict[str, str | int], ...] = ()


def closeness_of(target: WatchedTarget, touched: Touched, count: int) -> Closeness:
    """The closeness of a target matched by ``touched``: near only for a hash target
    reached through ``touched.near_hashes`` alone."""
    kind = TargetKind(target.kind)
    if kind is TargetKind.hash:
        near = target.value not in touched.hashes and target.value in touched.near_hashes
        match = "near" if near else "exact"
        which: tuple[dict[str, str | int], ...] = ({"match": match, "hash": target.value},)
        return Closeness(exact=0, near=count, which=which) if near else Closeness(count, 0, which)
    return Closeness(exact=count)


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
    label: str | None = None,
) -> WatchedTarget:
    """``organisation_id`` watches ``value`` for ``source`` (e.g. hold ``H-…``);
    ``label`` is what people call the source when more than its reference (a series'
    code name).

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
        if label is not None and existing.label != label:
            existing.label = label
        return existing
    target = WatchedTarget(
        organisation_id=organisation_id,
        kind=kind,
        value=value,
        source=source,
        source_reference=source_reference,
        expires_at=expires_at,
        label=label,
    )
    session.add(target)
    session.flush()
    if kind is TargetKind.hash:
        _watch_changed(session)
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
    ended = int(getattr(result, "rowcount", 0))
    if ended:
        _watch_changed(session)
    return ended


# --- the watched hashes, for a server to hold -------------------------------------------

_WATCH_BUMPED = "alliance_watch_sequence_bumped"  # session info: the transaction that did


def _watch_changed(session: Session) -> None:
    """Move the watched hashes' sequence on, once a transaction (the row's lock then
    orders the transactions that change what is watched)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None or session.info.get(_WATCH_BUMPED) is transaction:
        return
    session.execute(  # the one row is migration 0028's
        update(WatchSequence)
        .where(WatchSequence.id == 1)
        .values(sequence=WatchSequence.sequence + 1)
        .execution_options(synchronize_session=False)
    )
    session.info[_WATCH_BUMPED] = transaction


def watch_sequence(session: Session) -> int:
    """The watched hashes' sequence number: it moves on when they may have changed."""
    value = session.execute(
        select(WatchSequence.sequence).where(WatchSequence.id == 1)
    ).scalar_one_or_none()
    return int(value or 0)


def watched_hashes(session: Session) -> frozenset[str]:
    """Every hash (``"pdq:<hex>"``, ...) a target not ended names, whatever its owner or
    expiry: a match on any other hash alerts no one. Read :func:`watch_sequence` first:
    a change committed in between is then seen again at the next sequence."""
    values = session.execute(
        select(WatchedTarget.value)
        .where(WatchedTarget.kind == TargetKind.hash, WatchedTarget.ended_at.is_(None))
        .distinct()
    ).scalars()
    return frozenset(values)


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
    closeness: Closeness | None = None,
) -> list[DeconflictionAlert]:
    """``actor`` did ``action`` (report, match, assessment, seizure, ...) to what
    ``touched`` names: every active target of another organisation that matches gets one
    alert, audited under the target's owner.

    ``subject`` is what the actor's platform calls the thing (an item reference),
    ``count`` how many items the action covered, ``shared_note`` case details the actor
    chose to share. ``targets``, from :func:`active_targets`, saves the queries when
    touching many things at once; ``closeness`` says how the count splits into exact
    and near matches when the caller knows better than :func:`closeness_of`.
    """
    return touch_each(
        session,
        actor,
        [(touched, count)],
        action,
        subject=subject,
        shared_note=shared_note,
        targets=targets,
        closeness=None if closeness is None else [closeness],
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
    closeness: Sequence[Closeness] | None = None,
) -> list[DeconflictionAlert]:
    """:func:`touch` for several things one action touched, each with its own count (a
    seizure's items in each of the series they touch): one alert per touched thing and
    matching target, found and written in a few statements whatever their number.
    ``closeness``, one per touched thing, splits each count into exact and near matches
    (a seizure's known items and its near duplicates of a series)."""
    if closeness is not None and len(closeness) != len(touches):
        raise ValueError("one closeness per touched thing")
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
        (target, count, closeness[n] if closeness else closeness_of(target, touched, count))
        for n, (touched, count) in enumerate(touches)
        for target in matcher.matching(touched)
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
            exact_count=close.exact,
            near_count=close.near,
            matches=[dict(m) for m in close.which[:MAX_MATCHES]] or None,
            shared_note=shared_note,
            created_at=now,
        )
        for target, count, close in alerted
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
            for (target, count, _), alert in zip(alerted, alerts, strict=True)
        ],
    )
    return alerts


# --- reading and acknowledging ----------------------------------------------------------


#: Sources whose alerts only the alerted agency reads, whatever the reader's reach: series
#: are law enforcement's alone (the secretariat sees victim-identification aggregates only).
PRIVATE_SOURCES = frozenset({"series"})
#: What a list of alerts may be sorted by (``Listing.sort``).
ALERT_SORTS = ("created", "source", "action", "touched_by", "count", "acknowledged")
MATCH_FILTERS = ("exact", "near")


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
    *,
    acknowledged: bool | None = None,
    match: str | None = None,
    reference: str | None = None,
) -> Select[DeconflictionAlert]:
    authorize(principal, Permission.ALERT_READ)
    query = _visible(query, principal)
    if unacknowledged_only:
        acknowledged = False
    if acknowledged is not None:
        seen = DeconflictionAlert.acknowledged_at
        query = query.where(seen.is_not(None) if acknowledged else seen.is_(None))
    if source is not None:
        query = query.where(
            DeconflictionAlert.target_id.in_(
                select(WatchedTarget.id).where(WatchedTarget.source == source)
            )
        )
    if reference is not None:
        query = query.where(
            DeconflictionAlert.target_id.in_(
                select(WatchedTarget.id).where(WatchedTarget.source_reference == reference)
            )
        )
    if match is not None:
        if match not in MATCH_FILTERS:
            raise InvalidInput("match is exact or near", field="match")
        column = (
            DeconflictionAlert.exact_count if match == "exact" else DeconflictionAlert.near_count
        )
        query = query.where(column > 0)
    return query


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    unacknowledged_only: bool = False,
    acknowledged: bool | None = None,
    source: str | None = None,
    match: str | None = None,
    reference: str | None = None,
    listing: Listing | None = None,
    limit: int = 500,
) -> list[DeconflictionAlert]:
    """Alerts to the principal's agency (every agency's with ALL reach), newest first, or
    in the ``listing``'s order and page (sortable by :data:`ALERT_SORTS`).

    ``acknowledged`` keeps the acknowledged (True) or the open (False) ones, ``source``
    those of holds or of series, ``reference`` those of one hold or series, ``match``
    those with exact or with near matches."""
    query = _filtered(
        select(DeconflictionAlert),
        principal,
        unacknowledged_only,
        source,
        acknowledged=acknowledged,
        match=match,
        reference=reference,
    )
    if listing is None:
        listing = Listing(sort="created", descending=True, limit=limit)
    if listing.sort == "source":
        query = query.join(WatchedTarget, WatchedTarget.id == DeconflictionAlert.target_id)
    columns: dict[str, Any] = {
        "created": DeconflictionAlert.created_at,
        "source": WatchedTarget.source_reference,
        "action": DeconflictionAlert.action,
        "touched_by": DeconflictionAlert.touched_by,
        "count": DeconflictionAlert.count,
        "acknowledged": DeconflictionAlert.acknowledged_at,
    }
    tiebreak = (
        [DeconflictionAlert.id.desc()] if listing.descending else [DeconflictionAlert.id.asc()]
    )
    return list(session.execute(ordered(query, listing, columns, tiebreak)).unique().scalars())


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


def open_alert_count(session: Session, principal: Principal) -> int:
    """Alerts to the principal's own agency not yet acknowledged: what waits for it (the
    navigation's count). Other agencies' alerts never count, whatever the reach; 0 for
    whoever may not read alerts or belongs to no agency."""
    if not principal.can(Permission.ALERT_READ) or principal.organisation_id is None:
        return 0
    return int(
        session.execute(
            select(func.count())
            .select_from(DeconflictionAlert)
            .where(
                DeconflictionAlert.organisation_id == principal.organisation_id,
                DeconflictionAlert.acknowledged_at.is_(None),
            )
        ).scalar_one()
    )


def alert_out(alert: DeconflictionAlert) -> AlertOut:
    target = alert.target
    acknowledger = alert.acknowledged_by_organisation
    return AlertOut(
        id=alert.id,
        organisation=alert.organisation.name,
        source=target.source,
        source_reference=target.source_reference,
        source_label=target.label,
        target_kind=target.kind,
        target_value=target.value,
        subject=alert.subject,
        count=alert.count,
        exact_count=alert.exact_count,
        near_count=alert.near_count,
        matches=[AlertMatch.model_validate(m) for m in alert.matches or []],
        shared_note=alert.shared_note,
        touched_by=alert.touched_by,
        touched_by_organisation=(
            alert.touched_by_organisation.name if alert.touched_by_organisation else None
        ),
        action=alert.action,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_by_organisation=acknowledger.name if acknowledger else None,
    )


def may_acknowledge(principal: Principal, alert: DeconflictionAlert) -> bool:
    """Only the watching agency acknowledges its alerts: the secretariat reads other
    agencies' alerts (of holds), but acknowledging them would tell the agency that
    someone had, when nobody there has seen it."""
    return (
        principal.can(Permission.ALERT_MANAGE)
        and principal.organisation_id is not None
        and alert.organisation_id == principal.organisation_id
    )


def _person(session: Session, principal: Principal) -> str:
    """Who acknowledged, as people read it: a user's display name, an API key's prefix."""
    if principal.user_id is not None:
        user = session.get(User, principal.user_id)
        if user is not None:
            return user.display_name
    if principal.kind == "api_key":
        return f"API key {principal.name}"
    return principal.name


def acknowledge(session: Session, principal: Principal, alert_id: int) -> DeconflictionAlert:
    """Mark an alert to the principal's agency as seen, recording who did; repeating it
    changes nothing. An alert the principal may read but is not its agency's is refused
    (only the watching agency acknowledges); one it may not read is not found."""
    authorize(principal, Permission.ALERT_MANAGE)
    alert = session.get(DeconflictionAlert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id} for your agency")
    if not may_acknowledge(principal, alert):
        readable = principal.reach(Permission.ALERT_READ) is Reach.ALL and (
            alert.target.source not in PRIVATE_SOURCES
        )
        if not readable:
            raise NotFound(f"no alert {alert_id} for your agency")
        raise PermissionDenied(
            f"only {alert.organisation.name}, the agency watching this "
            f"{alert.target.source}, may acknowledge its alert"
        )
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = _person(session, principal)
        alert.acknowledged_by_organisation_id = principal.organisation_id
        record(
            session,
            principal,
            EventType.DECONFLICTION_ACKNOWLEDGED,
            alert.target.source,
            alert.target.source_reference,
            {"alert": alert.id},
            organisation_id=alert.organisation_id,
        )
        session.flush()
        session.refresh(alert)
    return alert
