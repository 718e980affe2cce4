"""Seizure triage: which of a seizure's files are known, which may be new material of a
known series, which are new — so an investigator's time goes where a child may still be
at risk.

Cryptographic hashes are looked up in the media records in chunks; files no hash of which
is known are searched by PDQ among series members (:mod:`alliance.victims.catalogue`).
A near-duplicate of another agency's series — or a sighting of that series' undistributed
material — alerts that agency through the one deconfliction mechanism.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alliance import references
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.audit import EventType, record
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, WatchedTarget
from alliance.db.base import utcnow
from alliance.db.bulk import among, batches, insert_rows
from alliance.db.listing import Listing, ordered
from alliance.errors import NotFound
from alliance.victims import access, catalogue, formats
from alliance.victims.models import (
    MediaRecord,
    Seizure,
    SeizureItem,
    Series,
    SeriesAgency,
    Verdict,
)
from alliance.victims.schemas import PreviousTriage, SeriesHit, TriageLine, TriageReport

LOOKUP_CHUNK = 5_000
INSERT_CHUNK = 10_000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class _Known:
    record_id: int
    series_id: int | None
    category: int | None
    baseline: bool
    victim_identified: bool
    distributed: bool


def _exact(
    session: Session, items: Sequence[formats.SeizureHashes], progress: Progress | None
) -> dict[int, _Known]:
    """Item position → the record one of its cryptographic hashes names."""
    known: dict[int, _Known] = {}
    wanted: dict[str, dict[str, list[int]]] = {"md5": {}, "sha1": {}, "sha256": {}}
    for position, item in enumerate(items):
        for algorithm, positions in wanted.items():
            value = getattr(item, algorithm)
            if value is not None:
                positions.setdefault(value, []).append(position)
    total = sum(len(v) for v in wanted.values())
    done = 0
    for algorithm, positions in wanted.items():
        column = getattr(MediaRecord, algorithm)
        for chunk in batches(list(positions), LOOKUP_CHUNK):
            rows = session.execute(
                select(
                    column,
                    MediaRecord.id,
                    MediaRecord.series_id,
                    MediaRecord.category,
                    MediaRecord.baseline,
                    MediaRecord.victim_identified,
                    MediaRecord.is_distributed,
                ).where(among(session, column, chunk))
            )
            for value, *fields in rows:
                hit = _Known(*fields)
                for position in positions[value]:
                    # A record in a series says more than one outside any.
                    if position not in known or (
                        known[position].series_id is None and hit.series_id is not None
                    ):
                        known[position] = hit
            done += len(chunk)
            if progress:
                progress("known hashes", done, total)
    return known


def hashes_digest(items: Sequence[formats.SeizureHashes]) -> str:
    """A SHA-256 over the set of the items' hashes: the same files give the same digest
    whatever the format, the order or the file names."""
    keys = sorted(
        {"|".join(v.lower() if v else "" for v in (i.md5, i.sha1, i.sha256, i.pdq)) for i in items}
    )
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def previous_triage(session: Session, seizure: Seizure) -> Seizure | None:
    """The agency's first earlier seizure with the same file or the same set of hashes."""
    same = [
        column == value
        for column, value in (
            (Seizure.file_sha256, seizure.file_sha256),
            (Seizure.hashes_sha256, seizure.hashes_sha256),
        )
        if value is not None
    ]
    if not same:
        return None
    return session.execute(
        select(Seizure)
        .where(
            Seizure.organisation_id == seizure.organisation_id,
            Seizure.id < seizure.id,  # triaged before it
            or_(*same),
        )
        .order_by(Seizure.id)
        .limit(1)
    ).scalar_one_or_none()


def triage_seizure(
    session: Session,
    principal: Principal,
    data: bytes,
    *,
    fmt: formats.SeizureFormat | None = None,
    filename: str | None = None,
    case_reference: str | None = None,
    shared_note: str | None = None,
    progress: Progress | None = None,
) -> Seizure:
    """Triage one seizure's hash set; all or nothing."""
    agency = access.require_agency(session, principal, Permission.SEIZURE_TRIAGE)
    fmt = fmt or formats.detect_seizure_format(data, filename)
    items = formats.parse_seizure(data, fmt)
    known = _exact(session, items, progress)

    unknown = [p for p, item in enumerate(items) if p not in known and item.pdq is not None]
    if progress:
        progress("near duplicates", 0, len(unknown))
    queries = [[items[p].pdq or "", *items[p].pdq_variants] for p in unknown]
    near = dict(zip(unknown, catalogue.near_hits(session, queries), strict=True))
    if progress:
        progress("near duplicates", len(unknown), len(unknown))

    now = utcnow()
    seizure = Seizure(
        reference=references.new("SZ"),
        organisation_id=agency.id,
        submitted_by=principal.audit_label,
        submitted_at=now,
        case_reference=(case_reference or "").strip() or None,
        source_format=fmt.value,
        items=len(items),
        known=len(known),
        near=sum(1 for hit in near.values() if hit is not None),
        new=0,
        categorised=sum(1 for k in known.values() if k.category is not None),
        identified=sum(1 for k in known.values() if k.victim_identified),
        baseline=sum(1 for k in known.values() if k.baseline),
        file_sha256=hashlib.sha256(data).hexdigest(),
        hashes_sha256=hashes_digest(items),
    )
    seizure.new = seizure.items - seizure.known - seizure.near
    session.add(seizure)
    session.flush()
    earlier = previous_triage(session, seizure)
    repeat = earlier is not None

    rows: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        row: dict[str, Any] = {
            "seizure_id": seizure.id,
            "line": item.line,
            "name": item.name[:500] if item.name else None,
            "md5": item.md5,
            "sha1": item.sha1,
            "sha256": item.sha256,
            "pdq": item.pdq,
            "media_type": item.media_type,
            "category": item.category,
            "verdict": Verdict.new,
            "media_record_id": None,
            "series_id": None,
            "distance": None,
        }
        if (hit := known.get(position)) is not None:
            row.update(
                verdict=Verdict.known, media_record_id=hit.record_id, series_id=hit.series_id
            )
            if row["category"] is None:
                row["category"] = hit.category
        elif (near_hit := near.get(position)) is not None:
            row.update(
                verdict=Verdict.near, series_id=near_hit.series_id, distance=near_hit.distance
            )
        rows.append(row)
    for number, chunk in enumerate(batches(rows, INSERT_CHUNK)):
        insert_rows(session, SeizureItem, chunk)
        if progress:
            progress("saving", min((number + 1) * INSERT_CHUNK, len(rows)), len(rows))

    # Each known record was seen once more; seen in two seizures, it is distributed. The
    # same seizure uploaded again by the same agency is not a sighting: counting it made
    # its files "distributed" and their submissions climb with every re-upload.
    seen = [] if repeat else sorted({k.record_id for k in known.values()})
    for ids in batches(seen, LOOKUP_CHUNK):
        session.execute(
            update(MediaRecord)
            .where(among(session, MediaRecord.id, ids))
            .values(submissions=MediaRecord.submissions + 1, last_seen_at=now, is_distributed=True)
        )

    # A re-upload does not alert an agency again about what the first upload told it.
    told = _alerted(session, [earlier.reference]) if earlier is not None else set()
    _deconflict(session, principal, seizure, known.values(), near.values(), shared_note, told)
    record(
        session,
        principal,
        EventType.SEIZURE_TRIAGED,
        "seizure",
        seizure.reference,
        {
            "items": seizure.items,
            "known": seizure.known,
            "near": seizure.near,
            "new": seizure.new,
            "format": fmt.value,
        },
        organisation_id=agency.id,
    )
    return seizure


def _deconflict(
    session: Session,
    principal: Principal,
    seizure: Seizure,
    known: Iterable[_Known],
    near: Iterable[catalogue.NearHit | None],
    shared_note: str | None,
    told: set[str] | None = None,
) -> None:
    """Alert the agencies of every series this seizure touches closely: near duplicates of
    its members (possible new material) and sightings of members not yet distributed."""
    exact: dict[int, list[int]] = defaultdict(list)  # series → member records seen
    close: dict[int, list[tuple[int, int]]] = defaultdict(list)  # → (record, distance)
    for hit in near:
        if hit is not None:
            close[hit.series_id].append((hit.record_id, hit.distance))
    for k in known:
        if k.series_id is not None and not k.distributed:
            exact[k.series_id].append(k.record_id)
    touched = sorted({*exact, *close})
    if not touched:
        return
    ours = set(
        session.execute(
            select(SeriesAgency.series_id).where(
                SeriesAgency.organisation_id == seizure.organisation_id,
                SeriesAgency.series_id.in_(touched),
            )
        ).scalars()
    )
    codes = dict(
        session.execute(select(Series.id, Series.code).where(Series.id.in_(touched))).all()
    )
    # The agency's own series have nobody to deconflict with: it already works on them.
    # An agency already told of this seizure (a re-upload) is not alerted again.
    others = [s for s in touched if s not in ours and codes[s] not in (told or set())]
    # Which of the series' members matched, as the series' agencies know them (their own
    # hashes, never the seizure's): a few of each kind, the counts cover the rest.
    shown = {
        r
        for s in others
        for r in [
            *exact[s][: cooperation.MAX_MATCHES],
            *(r for r, _ in close[s][: cooperation.MAX_MATCHES]),
        ]
    }
    names = _member_hashes(session, shown)
    closeness = []
    for s in others:
        same: list[dict[str, str | int]] = [
            {"match": "exact", "hash": names[r]} for r in exact[s] if r in names
        ]
        like: list[dict[str, str | int]] = [
            {"match": "near", "hash": names[r], "distance": d} for r, d in close[s] if r in names
        ]
        # Both kinds shown when both happened: half the room for each, the rest to either.
        half = cooperation.MAX_MATCHES // 2
        same = same[: max(half, cooperation.MAX_MATCHES - len(like))]
        like = like[: cooperation.MAX_MATCHES - len(same)]
        closeness.append(
            cooperation.Closeness(exact=len(exact[s]), near=len(close[s]), which=(*same, *like))
        )
    cooperation.touch_each(
        session,
        principal,
        [(cooperation.Touched(series={codes[s]}), len(exact[s]) + len(close[s])) for s in others],
        "seizure",
        subject=seizure.reference,
        shared_note=(shared_note or "").strip() or None,
        closeness=closeness,
    )


def _member_hashes(session: Session, record_ids: set[int]) -> dict[int, str]:
    """A media record's strongest hash, ``"sha256:…"`` (PDQ only when it has no other)."""
    found: dict[int, str] = {}
    for ids in batches(sorted(record_ids), LOOKUP_CHUNK):
        rows = session.execute(
            select(
                MediaRecord.id,
                MediaRecord.sha256,
                MediaRecord.sha1,
                MediaRecord.md5,
                MediaRecord.pdq,
            ).where(among(session, MediaRecord.id, ids))
        )
        for record_id, *values in rows:
            kind, value = next(
                (
                    (k, v)
                    for k, v in zip(("sha256", "sha1", "md5", "pdq"), values, strict=True)
                    if v
                ),
                ("record", str(record_id)),
            )
            found[record_id] = f"{kind}:{value}"
    return found


# --- reading ------------------------------------------------------------------------


def get_seizure(session: Session, principal: Principal, reference: str) -> Seizure:
    """One of the agency's own seizures; another agency's is not found."""
    agency = access.require_agency(session, principal, Permission.SEIZURE_TRIAGE)
    seizure = session.execute(
        select(Seizure).where(Seizure.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if seizure is None or seizure.organisation_id != agency.id:
        raise NotFound(f"no seizure {reference.strip().upper()} of your agency")
    return seizure


#: The columns a list of seizures may be sorted by.
SEIZURE_COLUMNS: dict[str, ColumnElement[Any]] = {
    key: column.expression
    for key, column in (
        ("reference", Seizure.reference),
        ("submitted", Seizure.submitted_at),
        ("case_reference", Seizure.case_reference),
        ("items", Seizure.items),
        ("known", Seizure.known),
        ("near", Seizure.near),
        ("new", Seizure.new),
    )
}


def list_seizures(
    session: Session, principal: Principal, limit: int = 200, listing: Listing | None = None
) -> list[Seizure]:
    """The agency's seizures, newest first or in ``listing``'s order and page."""
    agency = access.require_agency(session, principal, Permission.SEIZURE_TRIAGE)
    query = select(Seizure).where(Seizure.organisation_id == agency.id)
    if listing is None:
        listing = Listing(sort="submitted", descending=True, limit=limit)
    query = ordered(query, listing, SEIZURE_COLUMNS, [Seizure.id.desc()])
    return list(session.execute(query).scalars())


def report(session: Session, principal: Principal, seizure: Seizure) -> TriageReport:
    """The seizure's totals and, per series it touched, how much of it."""
    counts: dict[int, Counter[Verdict]] = defaultdict(Counter)
    grouped = session.execute(
        select(SeizureItem.series_id, SeizureItem.verdict, func.count())
        .where(SeizureItem.seizure_id == seizure.id, SeizureItem.series_id.is_not(None))
        .group_by(SeizureItem.series_id, SeizureItem.verdict)
    )
    for series_id, verdict, count in grouped:
        if series_id is not None:
            counts[series_id][verdict] += count
    series = {
        s.id: s
        for s in session.execute(select(Series).where(Series.id.in_(list(counts)))).scalars()
    }
    ours = set(
        session.execute(
            select(SeriesAgency.series_id).where(
                SeriesAgency.organisation_id == seizure.organisation_id
            )
        ).scalars()
    )
    # A re-upload alerts nobody again: the first upload's alerts stand for it.
    earlier = previous_triage(session, seizure)
    alerted = _alerted(
        session, [seizure.reference, *([earlier.reference] if earlier is not None else [])]
    )
    hits = [
        SeriesHit(
            series=access.summary(series[series_id]),
            known=count[Verdict.known],
            near=count[Verdict.near],
            yours=series_id in ours,
            alerted=series[series_id].code in alerted,
        )
        for series_id, count in counts.items()
    ]
    hits.sort(key=lambda h: (-h.near, -h.known, h.series.code))
    return TriageReport(
        previous=_previous_out(session, seizure, earlier),
        reference=seizure.reference,
        organisation=seizure.organisation.name,
        submitted_at=seizure.submitted_at,
        case_reference=seizure.case_reference,
        source_format=seizure.source_format,
        items=seizure.items,
        known=seizure.known,
        near=seizure.near,
        new=seizure.new,
        categorised=seizure.categorised,
        identified=seizure.identified,
        baseline=seizure.baseline,
        series=hits,
    )


def lines(
    session: Session,
    seizure: Seizure,
    *,
    verdict: Verdict | None = None,
    offset: int = 0,
    limit: int = 500,
) -> list[TriageLine]:
    """The seizure's items in file order, with what is known of each."""
    query = (
        select(SeizureItem, MediaRecord)
        .outerjoin(MediaRecord, MediaRecord.id == SeizureItem.media_record_id)
        .where(SeizureItem.seizure_id == seizure.id)
        .order_by(SeizureItem.line)
        .offset(offset)
        .limit(limit)
    )
    if verdict is not None:
        query = query.where(SeizureItem.verdict == verdict)
    found = session.execute(query).all()
    series_ids = {item.series_id for item, _ in found if item.series_id is not None}
    series = {
        s.id: access.summary(s)
        for s in session.execute(select(Series).where(Series.id.in_(series_ids))).scalars()
    }
    return [
        TriageLine(
            line=item.line,
            name=item.name,
            verdict=item.verdict,
            md5=item.md5,
            sha1=item.sha1,
            sha256=item.sha256,
            pdq=item.pdq,
            series=series.get(item.series_id) if item.series_id is not None else None,
            distance=item.distance,
            category=item.category,
            baseline=bool(media and media.baseline),
            victim_identified=bool(media and media.victim_identified),
            media_type=item.media_type,
        )
        for item, media in found
    ]


def _alerted(session: Session, subjects: Sequence[str]) -> set[str]:
    """The series codes whose agencies were alerted about these seizures."""
    return set(
        session.execute(
            select(WatchedTarget.value)
            .join(DeconflictionAlert, DeconflictionAlert.target_id == WatchedTarget.id)
            .where(DeconflictionAlert.subject.in_(list(subjects)))
        ).scalars()
    )


def _previous_out(
    session: Session, seizure: Seizure, earlier: Seizure | None
) -> PreviousTriage | None:
    """What tells a re-upload from a first triage, and why its counts differ if they do."""
    if earlier is None:
        return None
    # Items the agency made series members from the earlier seizure read as known now.
    linked_then = select(SeizureItem.media_record_id).where(
        SeizureItem.seizure_id == earlier.id,
        SeizureItem.verdict.in_([Verdict.new, Verdict.near]),
        SeizureItem.media_record_id.is_not(None),
    )
    linked = session.execute(
        select(func.count()).where(
            SeizureItem.seizure_id == seizure.id,
            SeizureItem.verdict == Verdict.known,
            SeizureItem.media_record_id.in_(linked_then),
        )
    ).scalar_one()
    return PreviousTriage(
        reference=earlier.reference,
        submitted_at=earlier.submitted_at,
        same_file=earlier.file_sha256 is not None and earlier.file_sha256 == seizure.file_sha256,
        items=earlier.items,
        known=earlier.known,
        near=earlier.near,
        new=earlier.new,
        linked_since=int(linked),
        reasons=_reasons(earlier, seizure, int(linked)),
    )


def _reasons(earlier: Seizure, now: Seizure, linked: int) -> list[str]:
    if (earlier.known, earlier.near, earlier.new) == (now.known, now.near, now.new):
        return ["It reads as it did then: nothing it holds has changed in the catalogue."]
    reasons = []
    if linked:
        reasons.append(
            f"{_items(linked)} of it became series members from {earlier.reference} "
            "(Start series or Link items), so they read as known now."
        )
    more_known = now.known - earlier.known - linked
    if more_known > 0:
        reasons.append(
            f"{_items(more_known)} more read as known: their records were added to the "
            "catalogue since, by another seizure linked to a series or by an import."
        )
    near = now.near - earlier.near
    if near > 0:
        reasons.append(
            f"{_items(near)} more read as near-duplicates: series gained members since "
            "that resemble them."
        )
    elif near < 0 and not linked:
        reasons.append(
            f"{_items(-near)} fewer read as near-duplicates: material they resembled is now "
            "known, or left a series in a merge."
        )
    if not reasons:
        reasons.append("The catalogue changed since: series were linked, merged or imported.")
    return reasons


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


EXPORT_HEADER = (
    "Line",
    "File",
    "Verdict",
    "Series",
    "Series name",
    "Series owner",
    "PDQ distance",
    "VICS category",
    "Baseline",
    "Victim identified",
    "MD5",
    "SHA-1",
    "SHA-256",
    "PDQ",
)


def all_lines(session: Session, seizure: Seizure, chunk: int = 5_000) -> Iterator[TriageLine]:
    """Every item of the seizure in file order, a page at a time (for an export)."""
    offset = 0
    while True:
        page = lines(session, seizure, offset=offset, limit=chunk)
        yield from page
        if len(page) < chunk:
            return
        offset += chunk


def export_rows(session: Session, seizure: Seizure) -> Iterator[list[object]]:
    """The triage verdicts as table rows, :data:`EXPORT_HEADER`'s columns."""
    for line in all_lines(session, seizure):
        s = line.series
        yield [
            line.line,
            line.name,
            line.verdict,
            s.code if s else None,
            s.name if s else None,
            s.owner if s else None,
            line.distance,
            line.category,
            "yes" if line.baseline else "no",
            "yes" if line.victim_identified else "no",
            line.md5,
            line.sha1,
            line.sha256,
            line.pdq,
        ]


def export_vics(session: Session, seizure: Seizure) -> Iterator[str]:
    """The triage verdicts as a VICS 2.0 ``#Media`` document: each item's hashes, file
    name, category and what triage found (``Series`` of a known or near item, the
    verdict as the ``TriageVerdict`` extension). It reads back as a seizure."""
    rows = (
        formats.MediaRow(
            md5=line.md5,
            sha1=line.sha1,
            sha256=line.sha256,
            pdq=line.pdq,
            image_id=None,
            media_type=line.media_type or formats.MediaType.image,
            category=line.category,
            baseline=line.baseline,
            victim_identified=line.victim_identified,
            offender_identified=False,
            is_distributed=False,
            submissions=1,
            file_available=False,
            series_name=line.series.name if line.series else None,
            file_name=line.name,
            verdict=line.verdict.value,
        )
        for line in all_lines(session, seizure)
    )
    return formats.render_vics(rows)
