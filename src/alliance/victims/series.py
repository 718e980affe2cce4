"""Series: starting one, linking material to it, its agencies, status and merges.

Every series registers its code as a deconfliction target of each of its agencies, so a
seizure that comes close to it alerts them (:mod:`alliance.victims.triage`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal
from alliance.audit import EventType, record
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import TargetKind
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.victims import access
from alliance.victims.formats import MediaType
from alliance.victims.models import (
    AgencyRole,
    MediaRecord,
    Referral,
    SeizureItem,
    Series,
    SeriesAgency,
    SeriesEvent,
    SeriesStatus,
    Verdict,
    Victim,
    VictimStatus,
)
from alliance.victims.schemas import (
    AgencyIn,
    AgencyOut,
    LinkIn,
    MediaRecordOut,
    MergeIn,
    SeriesDetail,
    SeriesEventOut,
    SeriesIn,
    SeriesOut,
    SeriesSummary,
    SeriesUpdate,
)
from alliance.victims.triage import get_seizure

TARGET_SOURCE = "series"


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def event(
    session: Session, series: Series, actor: str, kind: str, details: dict[str, Any] | None = None
) -> None:
    session.add(SeriesEvent(series_id=series.id, actor=actor, kind=kind, details=details or {}))


def _watch(session: Session, series: Series, organisation_id: int) -> None:
    cooperation.register(
        session,
        organisation_id=organisation_id,
        kind=TargetKind.series,
        value=series.code,
        source=TARGET_SOURCE,
        source_reference=series.code,
        label=series.name,
    )


def _manageable(session: Session, principal: Principal, code: str) -> Series:
    series = access.get_series(session, principal, code, Permission.SERIES_MANAGE)
    if series.merged_into_id is not None:
        into = session.get_one(Series, series.merged_into_id)
        raise Conflict(f"series {series.code} was merged into {into.code}; work on that one")
    return series


def _require_owner(session: Session, principal: Principal, series: Series, what: str) -> None:
    if access.agency_role(session, series, principal.organisation_id) != AgencyRole.owner:
        raise PermissionDenied(f"only the owning agency ({series.owner.name}) may {what}")


def create_series(session: Session, principal: Principal, data: SeriesIn) -> Series:
    agency = access.require_agency(session, principal, Permission.SERIES_MANAGE)
    key = name_key(data.name)
    taken = session.execute(select(Series.code).where(Series.name_key == key)).scalar()
    if taken is not None:
        raise Conflict(f"the code name {data.name!r} is taken (series {taken}); choose another")
    seizure = get_seizure(session, principal, data.seizure) if data.seizure else None
    now = utcnow()
    first_seen = data.first_seen_at or (seizure.submitted_at if seizure else now)
    series = Series(
        code=references.new("S"),
        name=data.name,
        name_key=key,
        owner_organisation_id=agency.id,
        status=SeriesStatus.active,
        first_seen_at=first_seen,
        countries=data.countries or [agency.country_code],
        notes=data.notes,
        created_by=principal.audit_label,
    )
    session.add(series)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"the code name {data.name!r} is taken; choose another") from None
    session.add(
        SeriesAgency(
            series_id=series.id,
            organisation_id=agency.id,
            role=AgencyRole.owner,
            added_by=principal.audit_label,
        )
    )
    _watch(session, series, agency.id)
    event(session, series, principal.audit_label, "created", {"name": series.name})
    record(
        session,
        principal,
        EventType.SERIES_CREATED,
        "series",
        series.code,
        {"countries": series.countries},
        organisation_id=agency.id,
    )
    if seizure is not None:
        link_items(
            session, principal, series.code, LinkIn(seizure=seizure.reference, lines=data.lines)
        )
    session.refresh(series)
    return series


def update_series(session: Session, principal: Principal, code: str, data: SeriesUpdate) -> Series:
    series = _manageable(session, principal, code)
    changes: dict[str, Any] = {}
    if data.status is not None and data.status is not series.status:
        changes["status"] = [series.status.value, data.status.value]
        series.status = data.status
    if data.notes is not None and data.notes != series.notes:
        changes["notes"] = "changed"  # notes stay out of the audit trail, like hold reasons
        series.notes = data.notes
    if data.countries is not None and data.countries != series.countries:
        changes["countries"] = data.countries
        series.countries = data.countries
    if changes:
        series.updated_at = utcnow()
        event(session, series, principal.audit_label, "updated", changes)
        session.flush()
        apply_identification(session, [series.id])
        record(
            session,
            principal,
            EventType.SERIES_UPDATED,
            "series",
            series.code,
            changes,
            organisation_id=series.owner_organisation_id,
        )
    return series


def add_agency(session: Session, principal: Principal, code: str, data: AgencyIn) -> SeriesAgency:
    series = _manageable(session, principal, code)
    _require_owner(session, principal, series, "invite agencies")
    organisation = session.execute(
        select(Organisation).where(Organisation.slug == data.organisation.strip().lower())
    ).scalar_one_or_none()
    if organisation is None or not organisation.active:
        raise NotFound(f"no organisation {data.organisation}")
    if organisation.kind is not OrgKind.law_enforcement:
        raise InvalidInput(f"{organisation.name} is not a law-enforcement agency")
    if access.agency_role(session, series, organisation.id) is not None:
        raise Conflict(f"{organisation.name} already works on series {series.code}")
    return join(session, principal, series, organisation)


def join(
    session: Session, principal: Principal, series: Series, organisation: Organisation
) -> SeriesAgency:
    """``organisation`` becomes a collaborator (an invitation or an accepted referral)."""
    agency = SeriesAgency(
        series_id=series.id,
        organisation_id=organisation.id,
        role=AgencyRole.collaborator,
        added_by=principal.audit_label,
    )
    session.add(agency)
    session.flush()
    _watch(session, series, organisation.id)
    event(session, series, principal.audit_label, "agency_added", {"agency": organisation.name})
    record(
        session,
        principal,
        EventType.SERIES_AGENCY_ADDED,
        "series",
        series.code,
        {"agency": organisation.slug},
        organisation_id=series.owner_organisation_id,
    )
    return agency


@dataclass(frozen=True)
class Candidate:
    """An item of a seizure that may start or join a series: in no series yet."""

    line: int
    name: str | None
    verdict: Verdict
    #: The series a near-duplicate resembles (a known item in no series has none).
    series: SeriesSummary | None
    #: Whether the agency works on that series.
    yours: bool
    distance: int | None
    hash: str | None
    #: Chosen unless it resembles another agency's series.
    chosen: bool


def _unplaced(seizure_id: int) -> ColumnElement[bool]:
    """Items of the seizure whose file is a member of no series."""
    return and_(
        SeizureItem.seizure_id == seizure_id,
        or_(SeizureItem.media_record_id.is_(None), MediaRecord.series_id.is_(None)),
    )


def _ours(organisation_id: int) -> Any:
    return select(SeriesAgency.series_id).where(SeriesAgency.organisation_id == organisation_id)


def candidates(
    session: Session, principal: Principal, reference: str, *, limit: int = 1000
) -> tuple[list[Candidate], bool]:
    """The seizure's items that may start or join a series (in file order, up to
    ``limit``) and whether there are more: every item whose file is in no series yet.
    Near-duplicates of another agency's series are offered unchosen: they may be that
    series' new material, for its agency to take up (the alert told it). Not counted in
    full: a page of a million-item seizure reads ``limit + 1`` rows, not a million."""
    seizure = get_seizure(session, principal, reference)
    ours = set(session.execute(_ours(seizure.organisation_id)).scalars())
    base = (
        select(SeizureItem)
        .outerjoin(MediaRecord, MediaRecord.id == SeizureItem.media_record_id)
        .where(_unplaced(seizure.id))
    )
    items = list(session.execute(base.order_by(SeizureItem.line).limit(limit + 1)).scalars())
    more = len(items) > limit
    items = items[:limit]
    near = {i.series_id for i in items if i.series_id is not None}
    summaries = {
        s.id: access.summary(s)
        for s in session.execute(select(Series).where(Series.id.in_(near))).scalars()
    }
    return [
        Candidate(
            line=i.line,
            name=i.name,
            verdict=i.verdict,
            series=summaries.get(i.series_id) if i.series_id is not None else None,
            yours=i.series_id in ours,
            distance=i.distance,
            hash=i.sha256 or i.md5 or i.sha1 or i.pdq,
            chosen=i.series_id is None or i.series_id in ours,
        )
        for i in items
    ], more


def link_items(session: Session, principal: Principal, code: str, data: LinkIn) -> int:
    """Make a seizure's items members of a series; returns how many were linked.

    ``data.lines`` names the items chosen; each must be an item of the seizure (else
    nothing is linked). Without it: every item in no series yet, except near-duplicates
    of a series the agency does not work on (:func:`candidates`' default choice)."""
    series = _manageable(session, principal, code)
    seizure = get_seizure(session, principal, data.seizure)
    query = select(SeizureItem).where(SeizureItem.seizure_id == seizure.id)
    if data.lines is None:
        query = query.outerjoin(MediaRecord, MediaRecord.id == SeizureItem.media_record_id).where(
            _unplaced(seizure.id),
            or_(
                SeizureItem.series_id.is_(None),
                SeizureItem.series_id.in_(_ours(seizure.organisation_id)),
            ),
        )
    else:
        if not data.lines:
            raise InvalidInput("choose at least one item", field="lines")
        query = query.where(SeizureItem.line.in_(set(data.lines)))
    items = list(session.execute(query.order_by(SeizureItem.line)).scalars())
    if data.lines is not None:
        missing = sorted(set(data.lines) - {i.line for i in items})
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            raise InvalidInput(
                f"seizure {seizure.reference} has no line {shown}: choose among its items",
                field="lines",
            )
    if not items:
        raise InvalidInput(f"seizure {seizure.reference} has no unlinked new material to link")
    now = utcnow()
    linked = 0
    for item in items:
        if item.media_record_id is not None:
            media = session.get_one(MediaRecord, item.media_record_id)
            if media.series_id == series.id:
                continue
            if media.series_id is not None:
                other = session.get_one(Series, media.series_id)
                raise Conflict(
                    f"line {item.line} is already a member of series {other.code}; "
                    "merge the series instead",
                    field="lines",
                )
            media.series_id = series.id
            media.catalogued_at = now
        else:
            media = MediaRecord(
                md5=item.md5,
                sha1=item.sha1,
                sha256=item.sha256,
                pdq=item.pdq,
                media_type=item.media_type or MediaType.image,
                category=item.category,
                submissions=1,
                first_seen_at=seizure.submitted_at,
                last_seen_at=seizure.submitted_at,
                series_id=series.id,
                created_by_organisation_id=seizure.organisation_id,
                catalogued_at=now,
            )
            session.add(media)
            session.flush()
            item.media_record_id = media.id
        item.series_id = series.id
        linked += 1
    apply_identification(session, [series.id])
    series.first_seen_at = min(series.first_seen_at, seizure.submitted_at)
    series.updated_at = now
    details = {"seizure": seizure.reference, "items": linked}
    event(session, series, principal.audit_label, "media_linked", details)
    record(
        session,
        principal,
        EventType.SERIES_MEDIA_LINKED,
        "series",
        series.code,
        details,
        organisation_id=series.owner_organisation_id,
    )
    return linked


def identification_flags(session: Session, series_ids: Iterable[int]) -> dict[int, set[str]]:
    """The flags each series gives every record it holds (series without any are left out).

    ``victim_identified`` once one of its victims is identified (or safeguarded);
    ``offender_identified`` once its status has been set to offender identified, even if
    it has moved on since (to closed): its timeline keeps the change.
    """
    wanted = sorted(set(series_ids))
    flags: dict[int, set[str]] = {}
    victims = select(Victim.series_id).where(
        Victim.series_id.in_(wanted), Victim.status != VictimStatus.unidentified
    )
    for series_id in session.execute(victims.distinct()).scalars():
        flags.setdefault(series_id, set()).add("victim_identified")
    offender = SeriesStatus.offender_identified.value
    now_offender = select(Series.id).where(
        Series.id.in_(wanted), Series.status == SeriesStatus.offender_identified
    )
    changes = select(SeriesEvent.series_id, SeriesEvent.details).where(
        SeriesEvent.series_id.in_(wanted), SeriesEvent.kind == "updated"
    )
    was_offender = {
        series_id
        for series_id, details in session.execute(changes)
        if isinstance(status := details.get("status"), list) and status[-1:] == [offender]
    }
    for series_id in {*session.execute(now_offender).scalars(), *was_offender}:
        flags.setdefault(series_id, set()).add("offender_identified")
    return flags


def apply_identification(session: Session, series_ids: Iterable[int]) -> int:
    """Stamp each series' :func:`identification_flags` on all the records it holds; the one
    rule for a status change, a victim identified, material linked, merged or imported
    into a series. A flag is never cleared. Returns how many records were newly marked
    victim identified."""
    marked = 0
    for series_id, names in identification_flags(session, series_ids).items():
        for name in sorted(names):
            column = getattr(MediaRecord, name)
            changed = session.execute(
                update(MediaRecord)
                .where(MediaRecord.series_id == series_id, column.is_(False))
                .values({name: True})
                .returning(MediaRecord.id)
            ).all()
            marked += len(changed) if name == "victim_identified" else 0
    return marked


def merge_series(session: Session, principal: Principal, code: str, data: MergeIn) -> Series:
    """Fold series ``code`` into ``data.into``: members, victims, agencies and referrals
    move; ``code`` is closed and points at the survivor. Only the owner of ``code`` may."""
    source = _manageable(session, principal, code)
    _require_owner(session, principal, source, "merge the series")
    target = _manageable(session, principal, data.into)
    if source.id == target.id:
        raise Conflict("a series cannot be merged into itself")
    now = utcnow()
    for model in (MediaRecord, SeizureItem, Victim, Referral):
        values: dict[str, Any] = {"series_id": target.id}
        if model is MediaRecord:
            values["catalogued_at"] = now
        session.execute(update(model).where(model.series_id == source.id).values(**values))
    working = {a.organisation_id for a in target.agencies}
    for agency in source.agencies:
        if agency.organisation_id not in working:
            join(session, principal, target, agency.organisation)
    apply_identification(session, [target.id])
    target.first_seen_at = min(target.first_seen_at, source.first_seen_at)
    target.countries = sorted({*target.countries, *source.countries})
    target.updated_at = now
    source.merged_into_id = target.id
    source.status = SeriesStatus.closed
    source.updated_at = now
    cooperation.end(session, TARGET_SOURCE, source.code)
    event(session, source, principal.audit_label, "merged", {"into": target.code})
    event(session, target, principal.audit_label, "absorbed", {"series": source.code})
    record(
        session,
        principal,
        EventType.SERIES_MERGED,
        "series",
        source.code,
        {"into": target.code},
        organisation_id=source.owner_organisation_id,
    )
    return target


# --- reading ------------------------------------------------------------------------


def list_series(
    session: Session, principal: Principal, *, include_closed: bool = True
) -> list[Series]:
    access.require_agency(session, principal, Permission.SERIES_READ)
    query = (
        select(Series)
        .where(access.series_clause(principal, Permission.SERIES_READ, Series.id))
        .order_by(Series.updated_at.desc())
    )
    if not include_closed:
        query = query.where(Series.status != SeriesStatus.closed)
    return list(session.execute(query).scalars())


#: What the list of series may be sorted by (``Listing.sort``).
SERIES_SORTS = ("code", "name", "status", "first_seen", "members", "updated")


def find_series(
    session: Session,
    principal: Principal,
    *,
    status: SeriesStatus | None = None,
    search: str = "",
    listing: Listing | None = None,
) -> list[Series]:
    """The series the agency works on, of one ``status``, whose name or code contains
    ``search``; most recently updated first, or in the ``listing``'s order and page
    (sortable by :data:`SERIES_SORTS`; ``members`` is the number of media records)."""
    access.require_agency(session, principal, Permission.SERIES_READ)
    query = select(Series).where(access.series_clause(principal, Permission.SERIES_READ, Series.id))
    if status is not None:
        query = query.where(Series.status == status)
    text = " ".join(search.split())
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Series.name.ilike(like, escape="\\"), Series.code.ilike(like, escape="\\"))
        )
    members = (
        select(func.count())
        .select_from(MediaRecord)
        .where(MediaRecord.series_id == Series.id)
        .scalar_subquery()
    )
    columns: dict[str, Any] = {
        "code": Series.code,
        "name": Series.name_key,
        "status": Series.status,
        "first_seen": Series.first_seen_at,
        "members": members,
        "updated": Series.updated_at,
    }
    listing = listing or Listing(sort="updated", descending=True, limit=None)
    tiebreak = [Series.id.desc()] if listing.descending else [Series.id.asc()]
    return list(session.execute(ordered(query, listing, columns, tiebreak)).unique().scalars())


def get_series(session: Session, principal: Principal, code: str) -> Series:
    return access.get_series(session, principal, code, Permission.SERIES_READ)


def _counts(session: Session, series_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    media = dict(
        session.execute(
            select(MediaRecord.series_id, func.count())
            .where(MediaRecord.series_id.in_(series_ids))
            .group_by(MediaRecord.series_id)
        ).all()
    )
    victims: dict[int, tuple[int, int]] = {}
    for series_id, status, count in session.execute(
        select(Victim.series_id, Victim.status, func.count())
        .where(Victim.series_id.in_(series_ids))
        .group_by(Victim.series_id, Victim.status)
    ):
        total, identified = victims.get(series_id, (0, 0))
        victims[series_id] = (
            total + count,
            identified + (count if status is not VictimStatus.unidentified else 0),
        )
    return {sid: (int(media.get(sid, 0)), *victims.get(sid, (0, 0))) for sid in series_ids}


def series_out(session: Session, series: Series) -> SeriesOut:
    return series_outs(session, [series])[0]


def series_outs(session: Session, many: Sequence[Series]) -> list[SeriesOut]:
    counts = _counts(session, [s.id for s in many])
    merged = {
        s.id: s.code
        for s in session.execute(
            select(Series).where(Series.id.in_({m.merged_into_id for m in many} - {None}))
        ).scalars()
    }
    out = []
    for series in many:
        media, victims, identified = counts[series.id]
        out.append(
            SeriesOut(
                **access.summary(series).model_dump(),
                first_seen_at=series.first_seen_at,
                countries=series.countries,
                notes=series.notes,
                agencies=[
                    AgencyOut(
                        organisation=a.organisation.name,
                        slug=a.organisation.slug,
                        country=a.organisation.country_code,
                        role=a.role,
                        added_at=a.added_at,
                    )
                    for a in series.agencies
                ],
                media=media,
                victims=victims,
                identified_victims=identified,
                merged_into=merged.get(series.merged_into_id or -1),
                created_at=series.created_at,
                updated_at=series.updated_at,
            )
        )
    return out


def series_detail(session: Session, principal: Principal, code: str) -> SeriesDetail:
    series = get_series(session, principal, code)
    timeline = session.execute(
        # Oldest first, by when it happened (the item timeline's order): an import or
        # the demo may record events out of their order of insertion.
        select(SeriesEvent)
        .where(SeriesEvent.series_id == series.id)
        .order_by(SeriesEvent.at, SeriesEvent.id)
    ).scalars()
    return SeriesDetail(
        **series_out(session, series).model_dump(),
        timeline=[
            SeriesEventOut(at=e.at, kind=e.kind, actor=e.actor, details=e.details) for e in timeline
        ],
    )


def members(
    session: Session, principal: Principal, code: str, *, offset: int = 0, limit: int = 500
) -> list[MediaRecordOut]:
    series = get_series(session, principal, code)
    found = session.execute(
        select(MediaRecord)
        .where(MediaRecord.series_id == series.id)
        .order_by(MediaRecord.id)
        .offset(offset)
        .limit(limit)
    ).scalars()
    return [media_out(m) for m in found]


def media_out(media: MediaRecord) -> MediaRecordOut:
    return MediaRecordOut.model_validate(media, from_attributes=True)
