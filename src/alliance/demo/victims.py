"""The demo's victim-identification world: seven years of history and a seizure to triage.

Everything is benign and synthetic. Series have code names ("Amber Lantern"), never a
person's name; victims are references (``V-…``) with an age group; media records are
hashes — random ones for the history, and for the GB police's series "Blue Heron" the real
hashes of pictures drawn by :mod:`alliance.demo.media` (coloured shapes on gradients).

Two parts:

* **the history** (:func:`build_history`): series owned by the four demo police forces,
  first seen from the spring seven years before this one until last month, with member
  records, collaborating agencies and victims identified year after year — alliance-wide
  the count grows by roughly 11-18 % a year, with one year short of the +10 % target —
  some safeguarded, two series merged, and referrals (one accepted, one declined, one
  waiting for the NL police to decide). The five years before this one also have their
  cross-border referrals, answered, and each police force's seizures triaged (their
  deconfliction alerts acknowledged), for the progress report's trends. Series, victims,
  identifications, merges, referrals and seizures go through the services as the demo's
  investigators, so the audit trail is real; the past is set through the services' own
  inputs (``SeriesIn.first_seen_at``, ``IdentifyIn.identified_on``) and the timelines are
  back-dated to match, as the takedown history's are. Member records are inserted in bulk.
* **the seizure** (:func:`write_seizure`): a folder of pictures in the data directory —
  exact copies of "Blue Heron" members (triage says *known*), ordinary edits of other
  members (*near* duplicates: the GB police get a deconfliction alert) and unrelated
  pictures (*new*) — and its hash set as ``alliance hash --signals pdq,md5,sha1,sha256``
  prints it and as VICS 2.0 JSON, ready to upload as the NL investigator.

The same seed gives the same pictures, hashes and history (references are random).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation
from alliance.accounts.policy import Principal
from alliance.banks.formats.vics import CONTEXT_MEDIA
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, WatchedTarget
from alliance.db.base import utcnow
from alliance.demo import media
from alliance.hashing import crypto, pdq
from alliance.hashing.record import hash_media
from alliance.victims import identification, referrals, series, triage
from alliance.victims.formats import MediaType, SeizureFormat
from alliance.victims.models import (
    AgeGroup,
    MediaRecord,
    Referral,
    Seizure,
    Series,
    SeriesAgency,
    SeriesEvent,
    SeriesStatus,
    Verdict,
    Victim,
)
from alliance.victims.schemas import (
    AgencyIn,
    DecisionIn,
    IdentifyIn,
    MergeIn,
    ReferralIn,
    SafeguardIn,
    SeriesIn,
    SeriesUpdate,
    VictimIn,
)

#: Countries with a demo police force and investigator (``{cc}-investigator``).
POLICE_COUNTRIES = ("NL", "GB", "US", "PH")
#: Who tries the seizure, and who owns the series it touches.
TRY_AS = "nl-investigator"
SHOWCASE_NAME = "Blue Heron"
SHOWCASE_OWNER = "GB"

SEIZURE_FOLDER = "demo-seizure"
SEIZURE_JSONL = "demo-seizure.jsonl"
SEIZURE_VICS = "demo-seizure-vics.json"
SEIZURE_SIGNALS = ("pdq", "md5", "sha1", "sha256")

#: Years of identifications, this one included.
HISTORY_YEARS = 7
HISTORY_SERIES = 48
#: "Blue Heron": its members' pictures; the seizure copies the first COPIED exactly and
#: edits the next EDITED; NEW_PICTURES unrelated pictures complete it.
SHOWCASE_PICTURES = 18
COPIED = 8
EDITED = 6
NEW_PICTURES = 10
#: An edit whose PDQ moved further than this from its original is replaced by a milder
#: one, so every edited file stays a near duplicate (triage's threshold is 31).
MAX_EDIT_DISTANCE = 24

_FIRST_WORDS = (
    "Amber", "Azure", "Cedar", "Cobalt", "Copper", "Coral", "Crimson", "Frost", "Golden",
    "Granite", "Indigo", "Ivory", "Ochre", "Pewter", "Quartz", "Russet", "Sable", "Saffron",
    "Scarlet", "Silver", "Slate", "Tawny", "Teal", "Umber",
)  # fmt: skip
_SECOND_WORDS = (
    "Anchor", "Beacon", "Cairn", "Canyon", "Compass", "Delta", "Falcon", "Ferry", "Fjord",
    "Gable", "Glacier", "Harbour", "Junction", "Kestrel", "Kiln", "Lagoon", "Lantern",
    "Marsh", "Meadow", "Orchard", "Otter", "Pier", "Quarry", "Reef", "Ridge", "Spindle",
    "Summit", "Thicket", "Trellis", "Tundra",
)  # fmt: skip
_AGE_GROUPS = (
    AgeGroup.infant,
    AgeGroup.pre_pubescent,
    AgeGroup.pubescent,
    AgeGroup.not_determined,
)
_AGE_WEIGHTS = (8, 70, 17, 5)
# Where a series' second country, and an identification abroad, may lie.
_OTHER_COUNTRIES = {
    "NL": ("BE", "DE"),
    "GB": ("DE", "FR", "NL"),
    "US": ("CA", "BR", "PH"),
    "PH": ("TH", "AU", "JP"),
}


# --- pictures and hashes -------------------------------------------------------------------


def _member_picture(seed: int, number: int) -> Image.Image:
    return media.picture(seed * 10_000 + 5_000 + number)


def _new_picture(seed: int, number: int) -> Image.Image:
    return media.picture(seed * 10_000 + 6_000 + number)


@dataclass(frozen=True)
class Hashes:
    md5: str
    sha1: str
    sha256: str
    pdq: str


def hashes_of(data: bytes) -> Hashes:
    """A file's hashes, computed as ``alliance hash`` computes them."""
    digests = crypto.digest_file(data, ("md5", "sha1", "sha256"))
    return Hashes(digests["md5"], digests["sha1"], digests["sha256"], pdq.hash_file(data).hex)


@functools.cache
def showcase_members(seed: int) -> tuple[tuple[bytes, Hashes], ...]:
    """The files of "Blue Heron" and their hashes (the GB police hold the files; the
    database only the hashes)."""
    files = (media.jpeg(_member_picture(seed, n)) for n in range(SHOWCASE_PICTURES))
    return tuple((data, hashes_of(data)) for data in files)


def _crop(image: Image.Image) -> Image.Image:
    dx, dy = image.width // 100, image.height // 100
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def _recompress(image: Image.Image) -> Image.Image:
    return Image.open(io.BytesIO(media.jpeg(image, 35))).convert("RGB")


_EDITS: tuple[tuple[str, Callable[[Image.Image], Image.Image]], ...] = (
    ("cropped", _crop),
    ("brighter", lambda im: ImageEnhance.Brightness(im).enhance(1.15)),
    ("recompressed", _recompress),
    ("smaller", lambda im: im.resize((im.width * 3 // 4, im.height * 3 // 4))),
    ("more contrast", lambda im: ImageEnhance.Contrast(im).enhance(1.2)),
)


@dataclass(frozen=True)
class SeizureFile:
    name: str
    data: bytes
    expect: Verdict
    member: int | None  # the "Blue Heron" member it copies or edits
    edit: str | None = None


def seizure_files(seed: int) -> list[SeizureFile]:
    """The demo seizure's pictures, in a shuffled, camera-like order."""
    members = showcase_members(seed)
    files: list[tuple[bytes, Verdict, int | None, str | None, str]] = []
    for n in range(COPIED):
        files.append((members[n][0], Verdict.known, n, None, "jpg"))
    for k, n in enumerate(range(COPIED, COPIED + EDITED)):
        original = _member_picture(seed, n)
        kind, change = _EDITS[k % len(_EDITS)]
        data = media.jpeg(change(original).convert("RGB"))
        moved = pdq.distance_hex(members[n][1].pdq, pdq.hash_file(data).hex)
        if moved > MAX_EDIT_DISTANCE:
            kind, data = "recompressed", media.jpeg(_recompress(original))
        files.append((data, Verdict.near, n, kind, "jpg"))
    for n in range(NEW_PICTURES):
        picture = _new_picture(seed, n)
        if n % 3 == 2:  # a few screenshots among the photos
            buffer = io.BytesIO()
            picture.save(buffer, "PNG")
            files.append((buffer.getvalue(), Verdict.new, None, None, "png"))
        else:
            files.append((media.jpeg(picture), Verdict.new, None, None, "jpg"))
    random.Random(seed * 31 + 6).shuffle(files)  # noqa: S311 - demo data, repeatable by seed
    out = []
    for number, (data, verdict, member, edit, suffix) in enumerate(files, start=1):
        stem = f"IMG_{4100 + number * 7:04d}" if suffix == "jpg" else f"screenshot-{number:02d}"
        out.append(SeizureFile(f"{stem}.{suffix}", data, verdict, member, edit))
    return out


@dataclass(frozen=True)
class DemoSeizure:
    folder: Path
    jsonl: Path
    vics: Path
    known: int
    near: int
    new: int

    @property
    def items(self) -> int:
        return self.known + self.near + self.new


def write_seizure(data_dir: Path, seed: int) -> DemoSeizure:
    """Write the seizure's pictures and its two hash files under ``data_dir``."""
    folder = data_dir / SEIZURE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.is_file():
            stale.unlink()
    # In file-name order, as `alliance hash` walks a folder.
    files = sorted(seizure_files(seed), key=lambda f: f.name)
    lines: list[str] = []
    vics_media: list[dict[str, object]] = []
    for number, item in enumerate(files, start=1):
        path = folder / item.name
        path.write_bytes(item.data)
        # Exactly what `alliance hash --signals pdq,md5,sha1,sha256 demo-seizure` prints
        # when run in the data directory.
        hashed = replace(hash_media(path, SEIZURE_SIGNALS), path=f"{SEIZURE_FOLDER}/{item.name}")
        lines.append(hashed.to_json() + "\n")
        record = hashed.to_dict()
        vics_media.append(
            {
                "MediaID": number,
                "Category": None,
                "MD5": str(record["md5"]).upper(),
                "SHA1": str(record["sha1"]).upper(),
                "MediaSize": len(item.data),
                "IsPrecategorized": False,
                "AlternativeHashes": [
                    {"HashName": "SHA256", "HashValue": record["sha256"]},
                    {"HashName": "PDQ", "HashValue": record["pdq"]},
                ],
                "MediaFiles": [
                    {"FileName": item.name, "FilePath": f"{SEIZURE_FOLDER}/{item.name}"}
                ],
            }
        )
    jsonl = data_dir / SEIZURE_JSONL
    jsonl.write_text("".join(lines))
    vics = data_dir / SEIZURE_VICS
    document = {"@odata.context": CONTEXT_MEDIA, "value": vics_media}
    vics.write_text(json.dumps(document, indent=1) + "\n")
    return DemoSeizure(
        folder=folder,
        jsonl=jsonl,
        vics=vics,
        known=sum(1 for f in files if f.expect is Verdict.known),
        near=sum(1 for f in files if f.expect is Verdict.near),
        new=sum(1 for f in files if f.expect is Verdict.new),
    )


# --- the KPI plan ----------------------------------------------------------------------------


def identifications_per_year(seed: int, today: date) -> dict[int, int]:
    """How many victims the history identifies each year, this year so far included.

    Each complete year grows on the one before by 11-18 %, except one that misses the
    +10 % target (7-9 %, less after rounding small counts); this year has, so far, its
    share of a year at that growth (so it usually stands below the target until December).
    """
    rng = random.Random(f"alliance-demo-kpi:{seed}")  # noqa: S311 - demo data
    years = list(range(today.year - HISTORY_YEARS + 1, today.year + 1))
    short = rng.choice(years[1:-1])
    counts = {years[0]: rng.randint(17, 20)}
    for year in years[1:]:
        before = counts[year - 1]
        if year == short:
            counts[year] = math.floor(before * (1 + rng.uniform(0.07, 0.095)))
        else:
            counts[year] = math.ceil(before * (1 + rng.uniform(0.11, 0.18)))
    start = date(today.year, 1, 1)
    elapsed = ((today - start).days + 1) / ((date(today.year + 1, 1, 1) - start).days)
    counts[today.year] = round(counts[today.year] * elapsed)
    return counts


# --- building the history ------------------------------------------------------------------


@dataclass
class _Clock:
    """The time the history is at: new timeline entries and records get it."""

    when: datetime | None = None


@contextmanager
def _backdating(session: Session) -> Iterator[_Clock]:
    """While open, what the services add to a series' timeline (and the series, victims
    and agencies they create) is dated ``clock.when`` instead of now."""
    clock = _Clock()

    def backdate(session: Session, _context: object, _instances: object) -> None:
        when = clock.when
        if when is None:
            return
        for obj in session.new:
            if isinstance(obj, SeriesEvent):
                obj.at = when
            elif isinstance(obj, Series):
                obj.created_at = obj.updated_at = when
            elif isinstance(obj, Victim):
                obj.created_at = when
            elif isinstance(obj, SeriesAgency):
                obj.added_at = when
            elif isinstance(obj, Referral):
                obj.created_at = when
            elif isinstance(obj, WatchedTarget):
                obj.registered_at = when
            elif isinstance(obj, DeconflictionAlert):
                obj.created_at = when
            elif isinstance(obj, Seizure):
                obj.submitted_at = when

    event.listen(session, "before_flush", backdate)
    try:
        yield clock
    finally:
        event.remove(session, "before_flush", backdate)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


@dataclass
class _Planned:
    series: Series
    owner: str  # country of the owning police
    collaborator: str | None = None
    second_country: str | None = None
    identified: list[date] = field(default_factory=list)


@dataclass(frozen=True)
class HistorySummary:
    series: int
    media: int
    victims: int
    identified: int
    per_year: dict[int, int]
    showcase: str  # "Blue Heron"'s code
    pending_referral: str | None


def build_history(
    session: Session, actor: Principal, seed: int, *, now: datetime | None = None
) -> HistorySummary:
    """The victim-identification history, through the demo investigators. Its times are
    drawn from the start of ``now``'s day: the same history all day for a seed (drawn
    from the time of day, a year's few alerting seizures came and went by the hour)."""
    now = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    today = now.date()
    rng = random.Random(f"alliance-demo-victims:{seed}")  # noqa: S311 - demo data
    police = {
        cc: accounts.principal_for_user(
            accounts.get_user(session, actor, f"{cc.lower()}-investigator")
        )
        for cc in POLICE_COUNTRIES
    }
    slugs = {cc: f"{cc.lower()}-police" for cc in POLICE_COUNTRIES}
    media_rows: list[dict[str, Any]] = []
    with _backdating(session) as clock:
        planned = _history_series(session, rng, police, now, clock, media_rows)
        showcase = _showcase(session, seed, police, slugs, now, clock, media_rows)
        session.execute(insert(MediaRecord), media_rows)
        per_year = identifications_per_year(seed, today)
        identified = _victims(session, rng, police, planned, per_year, now, clock)
        _statuses(session, rng, police, planned, today, clock)
        _merge(session, police, planned, today, clock)
        pending = _referrals(session, police, planned, today, clock)
        earlier = random.Random(f"alliance-demo-victims-years:{seed}")  # noqa: S311 - demo
        _earlier_referrals(session, earlier, police, planned, today, clock)
        _earlier_seizures(session, earlier, police, planned, media_rows, today, clock)
    session.flush()
    return HistorySummary(
        series=len(planned) + 1,
        media=len(media_rows),
        victims=session.execute(select(func.count(Victim.id))).scalar_one(),
        identified=identified,
        per_year=per_year,
        showcase=showcase.code,
        pending_referral=pending,
    )


def _history_series(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    now: datetime,
    clock: _Clock,
    media_rows: list[dict[str, Any]],
) -> list[_Planned]:
    # Seen from March of the year before the first year of identifications to last month.
    start = datetime(now.year - HISTORY_YEARS, 3, 1, 9, tzinfo=UTC)
    span = (now - timedelta(days=30) - start).total_seconds()
    seen = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(HISTORY_SERIES))
    names = rng.sample([f"{a} {b}" for a in _FIRST_WORDS for b in _SECOND_WORDS], HISTORY_SERIES)
    owners = rng.choices(POLICE_COUNTRIES, weights=(3, 3, 4, 2), k=HISTORY_SERIES)
    out = []
    for name, when, owner in zip(names, seen, owners, strict=True):
        first_seen = when.replace(microsecond=0)
        second = rng.choice(_OTHER_COUNTRIES[owner]) if rng.random() < 0.3 else None
        clock.when = first_seen
        created = series.create_series(
            session,
            police[owner],
            SeriesIn(
                name=name,
                countries=[owner, *([second] if second else [])],
                first_seen_at=first_seen,
                notes="Synthetic demo series: its members are random hashes.",
            ),
        )
        plan = _Planned(created, owner, second_country=second)
        if rng.random() < 0.25:
            plan.collaborator = rng.choice([c for c in POLICE_COUNTRIES if c != owner])
            clock.when = first_seen + timedelta(days=rng.randint(5, 90))
            if clock.when < now:
                series.add_agency(
                    session,
                    police[owner],
                    created.code,
                    AgencyIn(organisation=f"{plan.collaborator.lower()}-police"),
                )
            else:
                plan.collaborator = None
        media_rows += _random_members(rng, created, police[owner], now)
        out.append(plan)
    return out


def _random_members(
    rng: random.Random, owner_series: Series, owner: Principal, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for _ in range(rng.randint(6, 40)):
        video = rng.random() < 0.1
        first = owner_series.first_seen_at + timedelta(
            seconds=rng.uniform(0, (now - owner_series.first_seen_at).total_seconds())
        )
        submissions = rng.choice((1, 1, 1, 2, 3, 5, 8, 13))
        last = first + timedelta(seconds=rng.uniform(0, (now - first).total_seconds()))
        rows.append(
            {
                "md5": _hex(rng, 32),
                "sha1": _hex(rng, 40),
                "sha256": _hex(rng, 64),
                "pdq": None if video else _hex(rng, 64),
                "media_type": MediaType.video if video else MediaType.image,
                "category": rng.choice((1, 1, 1, 2)),
                "baseline": rng.random() < 0.3,
                "submissions": submissions,
                "is_distributed": submissions > 1,
                "first_seen_at": first,
                "last_seen_at": last if submissions > 1 else first,
                "series_id": owner_series.id,
                "created_by_organisation_id": owner.organisation_id,
                "catalogued_at": now,
            }
        )
    return rows


def _showcase(
    session: Session,
    seed: int,
    police: dict[str, Principal],
    slugs: dict[str, str],
    now: datetime,
    clock: _Clock,
    media_rows: list[dict[str, Any]],
) -> Series:
    """ "Blue Heron": the GB police's series whose members the demo seizure meets."""
    owner = police[SHOWCASE_OWNER]
    first_seen = (now - timedelta(days=430)).replace(hour=10, minute=0, second=0, microsecond=0)
    clock.when = first_seen
    showcase = series.create_series(
        session,
        owner,
        SeriesIn(
            name=SHOWCASE_NAME,
            countries=[SHOWCASE_OWNER],
            first_seen_at=first_seen,
            notes="Synthetic demo series: its members are hashes of generated pictures "
            "(coloured shapes on gradients).",
        ),
    )
    clock.when = first_seen + timedelta(days=40)
    series.add_agency(session, owner, showcase.code, AgencyIn(organisation=slugs["US"]))
    clock.when = first_seen + timedelta(days=2)
    identification.add_victim(
        session, owner, showcase.code, VictimIn(age_group=AgeGroup.pre_pubescent)
    )
    for number, (_data, found) in enumerate(showcase_members(seed)):
        seen = first_seen + timedelta(days=number * 9)
        media_rows.append(
            {
                "md5": found.md5,
                "sha1": found.sha1,
                "sha256": found.sha256,
                "pdq": found.pdq,
                "media_type": MediaType.image,
                "category": 1,
                "baseline": False,
                "submissions": 1,
                # Not yet seen anywhere else: a sighting alerts the GB police too.
                "is_distributed": False,
                "first_seen_at": seen,
                "last_seen_at": seen,
                "series_id": showcase.id,
                "created_by_organisation_id": owner.organisation_id,
                "catalogued_at": now,
            }
        )
    return showcase


def _victims(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    planned: list[_Planned],
    per_year: dict[int, int],
    now: datetime,
    clock: _Clock,
) -> int:
    """Identified victims as ``per_year`` plans them, and unidentified ones; returns how
    many were identified."""
    groups, weights = _AGE_GROUPS, _AGE_WEIGHTS
    today = now.date()
    seen = [p.series.first_seen_at.date() for p in planned]
    identified = 0
    # Identification dates, each on a series first seen a while before it (median
    # about eight months).
    for year, count in sorted(per_year.items()):
        end = min(date(year, 12, 31), today)
        begin = date(year, 1, 1)
        days = sorted(
            begin + timedelta(days=rng.randint(0, (end - begin).days)) for _ in range(count)
        )
        for day in days:
            lag = timedelta(days=min(2500.0, rng.lognormvariate(math.log(240), 0.8)))
            eligible = [i for i, s in enumerate(seen) if s <= day - timedelta(days=7)]
            target = day - lag
            index = min(eligible, key=lambda i: (abs((seen[i] - target).days), i))
            planned[index].identified.append(day)
    for plan in planned:
        code, owner = plan.series.code, plan.owner
        first_seen = plan.series.first_seen_at
        for day in sorted(plan.identified):
            clock.when = first_seen + (min(_noon(day), now) - first_seen) * rng.uniform(0.05, 0.6)
            group = rng.choices(groups, weights)[0]
            victim = identification.add_victim(
                session, police[owner], code, VictimIn(age_group=group)
            )
            who = owner
            if plan.collaborator is not None and rng.random() < 0.35:
                who = plan.collaborator
            country = who
            if plan.second_country is not None and rng.random() < 0.5:
                country = plan.second_country
            clock.when = min(_noon(day), now)
            identification.identify_victim(
                session,
                police[who],
                victim.reference,
                IdentifyIn(identified_on=day, country=country),
            )
            identified += 1
            if rng.random() < 0.2:
                on = min(day + timedelta(days=rng.randint(0, 21)), today)
                clock.when = min(_noon(on), now)
                identification.safeguard_victim(
                    session, police[who], victim.reference, SafeguardIn(safeguarded_on=on)
                )
        # Victims not identified yet: every series without one, and some others.
        missing = 1 if not plan.identified else int(rng.random() < 0.35)
        for _ in range(missing):
            clock.when = first_seen + timedelta(days=rng.randint(1, 20))
            identification.add_victim(
                session,
                police[owner],
                code,
                VictimIn(age_group=rng.choices(groups, weights)[0]),
            )
    return identified


def _statuses(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    planned: list[_Planned],
    today: date,
    clock: _Clock,
) -> None:
    """Older series whose victims were identified: offenders identified, some closed."""
    for plan in planned:
        if not plan.identified or plan.series.first_seen_at.date() > today - timedelta(
            days=3 * 365
        ):
            continue
        last = max(plan.identified)
        roll = rng.random()
        if roll < 0.45:
            status = SeriesStatus.offender_identified
        elif roll < 0.65:
            status = SeriesStatus.closed
        else:
            continue
        clock.when = _noon(min(last + timedelta(days=rng.randint(10, 120)), today))
        series.update_series(
            session, police[plan.owner], plan.series.code, SeriesUpdate(status=status)
        )


def _merge(
    session: Session,
    police: dict[str, Principal],
    planned: list[_Planned],
    today: date,
    clock: _Clock,
) -> None:
    """Two series of one police force turn out to show the same victim: merged."""
    active = [
        p for p in planned if p.series.status is not SeriesStatus.closed and p.collaborator is None
    ]
    for earlier, later in itertools.pairwise(active):
        if earlier.owner == later.owner and later.series.first_seen_at.date() < today - timedelta(
            days=400
        ):
            clock.when = later.series.first_seen_at + timedelta(days=60)
            series.merge_series(
                session, police[later.owner], later.series.code, MergeIn(into=earlier.series.code)
            )
            return


def _referrals(
    session: Session,
    police: dict[str, Principal],
    planned: list[_Planned],
    today: date,
    clock: _Clock,
) -> str | None:
    """A referral accepted, one declined and one waiting for the NL police; returns the
    waiting one's reference."""

    def candidate(owner: str, to: str, *, recent: bool) -> _Planned | None:
        for plan in reversed(planned) if recent else planned:
            if (
                plan.owner == owner
                and plan.collaborator != to
                and plan.series.merged_into_id is None
                and plan.series.status is not SeriesStatus.closed
            ):
                return plan
        return None

    steps: list[tuple[str, str, bool, str, list[str], bool | None, str]] = [
        (
            "US",
            "PH",
            False,
            "Background fittings and a product label point to the Philippines.",
            ["language: Tagalog on a poster", "electrical socket type A/B", "local brand"],
            True,
            "Accepted: our unit will work on it with you.",
        ),
        (
            "GB",
            "NL",
            False,
            "Street furniture resembles the Netherlands.",
            ["bicycle lane markings"],
            False,
            "Declined: the markings are Belgian; please refer to the Belgian police.",
        ),
        (
            "US",
            "NL",
            True,
            "A Dutch-language school book is visible in two files.",
            ["language: Dutch", "school book publisher"],
            None,
            "",
        ),
    ]
    pending = None
    for owner, to, recent, note, indicators, accept, reason in steps:
        plan = candidate(owner, to, recent=recent)
        if plan is None:
            continue
        clock.when = _noon(today - timedelta(days=12 if accept is None else 90))
        made = referrals.refer_series(
            session,
            police[owner],
            plan.series.code,
            ReferralIn(country=to, indicators=indicators, note=note),
        )
        if accept is None:
            pending = made.reference
            continue
        clock.when = _noon(today - timedelta(days=85))
        decided = referrals.decide_referral(
            session, police[to], made.reference, DecisionIn(accept=accept, reason=reason)
        )
        decided.decided_at = clock.when  # the service dates it now
    return pending


# --- the earlier years' cooperation ------------------------------------------------------

#: How many years before this one have referrals and seizures, and how many a year.
EARLIER_YEARS = 5
REFERRALS_PER_YEAR = (7, 12)
SEIZURES_PER_YEAR = (1, 2)  # per police force


def _earlier_referrals(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    planned: list[_Planned],
    today: date,
    clock: _Clock,
) -> int:
    """Cross-border referrals of the earlier years, each answered within hours or weeks
    (mostly accepted); returns how many."""
    made = 0
    for year in range(today.year - EARLIER_YEARS, today.year):
        for _ in range(rng.randint(*REFERRALS_PER_YEAR)):
            sent = _noon(date(year, 1, 1) + timedelta(days=rng.randint(0, 330)))
            owner, to = rng.sample(POLICE_COUNTRIES, 2)
            plan = _referable(session, rng, planned, owner, to, sent)
            if plan is None:
                continue
            clock.when = sent
            made_referral = referrals.refer_series(
                session,
                police[owner],
                plan.series.code,
                ReferralIn(
                    country=to,
                    indicators=["language on a visible document"],
                    note="Synthetic demo referral: indicators point to your country.",
                ),
            )
            clock.when = sent + timedelta(hours=min(900.0, rng.lognormvariate(math.log(40), 1)))
            accept = rng.random() < 0.7
            decided = referrals.decide_referral(
                session,
                police[to],
                made_referral.reference,
                DecisionIn(
                    accept=accept,
                    reason="Accepted: our unit takes it on." if accept else "Declined: not ours.",
                ),
            )
            decided.decided_at = clock.when
            made += 1
    return made


def _referable(
    session: Session,
    rng: random.Random,
    planned: list[_Planned],
    owner: str,
    to: str,
    when: datetime,
) -> _Planned | None:
    """A series of ``owner``'s, seen before ``when``, that ``to``'s police neither work on
    nor were ever referred."""
    agency = f"{to.lower()}-police"
    for plan in rng.sample(planned, len(planned)):
        if (
            plan.owner != owner
            or plan.series.first_seen_at >= when - timedelta(days=14)
            or plan.series.merged_into_id is not None
            or plan.collaborator == to
        ):
            continue
        referred = session.execute(
            select(Referral.id).where(
                Referral.series_id == plan.series.id, Referral.to_country == to
            )
        ).first()
        working = session.execute(
            select(SeriesAgency.series_id)
            .join(Organisation, Organisation.id == SeriesAgency.organisation_id)
            .where(SeriesAgency.series_id == plan.series.id, Organisation.slug == agency)
        ).first()
        if referred is None and working is None:
            return plan
    return None


def _earlier_seizures(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    planned: list[_Planned],
    media_rows: list[dict[str, Any]],
    today: date,
    clock: _Clock,
) -> int:
    """Each police force's seizures of the earlier years, as hash sets: some of their own
    series' known files, a few first sightings of other forces' series (their agencies are
    alerted, and acknowledge within days) and many files nobody knows. A year whose draws
    sighted nothing new of another force's gets one more seizure, late in the year, that
    does: every year has alerts to show. Returns how many seizures."""
    owner_of = {p.series.id: p.owner for p in planned}
    members = [r for r in media_rows if r["series_id"] in owner_of]

    def unsighted(cc: str, when: datetime) -> list[dict[str, Any]]:
        """Other forces' files first seen before ``when`` and not sighted since: a
        seizure of one alerts its agency (triage marks it distributed)."""
        return [
            r
            for r in members
            if r["first_seen_at"] < when and owner_of[r["series_id"]] != cc
            if r["submissions"] == 1
        ]

    def seize(cc: str, when: datetime, reference: str) -> int:
        """One seizure by ``cc``'s police at ``when``; returns the alerts it raised."""
        own = [r for r in members if r["first_seen_at"] < when and owner_of[r["series_id"]] == cc]
        theirs = unsighted(cc, when)
        chosen = rng.sample(own, min(len(own), rng.randint(3, 25)))
        chosen += rng.sample(theirs, min(len(theirs), rng.randint(1, 4)))
        for r in chosen:  # as triage counts them: sighted files are distributed
            r["submissions"] += 1
        lines = [{"md5": r["md5"], "sha1": r["sha1"]} for r in chosen]
        lines += [{"md5": _hex(rng, 32), "sha1": _hex(rng, 40)} for _ in range(rng.randint(10, 60))]
        rng.shuffle(lines)
        data = "".join(
            json.dumps({"path": f"seizure/{n:05d}.jpg", **line}) + "\n"
            for n, line in enumerate(lines, start=1)
        )
        clock.when = when
        seizure = triage.triage_seizure(
            session, police[cc], data.encode(), fmt=SeizureFormat.jsonl, case_reference=reference
        )
        return _acknowledge(session, rng, police, seizure.reference, when)

    made = 0
    for year in range(today.year - EARLIER_YEARS, today.year):
        alerts = 0
        for cc in POLICE_COUNTRIES:
            for _ in range(rng.randint(*SEIZURES_PER_YEAR)):
                when = _noon(date(year, 1, 1) + timedelta(days=rng.randint(0, 360)))
                alerts += seize(cc, when, f"DEMO-{year}-{made + 1:03d}")
                made += 1
        late = _noon(date(year, 12, 1))
        if not alerts and (cc := next((c for c in POLICE_COUNTRIES if unsighted(c, late)), "")):
            seize(cc, late, f"DEMO-{year}-{made + 1:03d}")
            made += 1
    return made


def _acknowledge(
    session: Session,
    rng: random.Random,
    police: dict[str, Principal],
    subject: str,
    raised: datetime,
) -> int:
    """The agencies alerted by a seizure acknowledge within hours or a couple of weeks.
    Returns how many were alerted."""
    session.flush()
    alerts = (
        session.execute(select(DeconflictionAlert).where(DeconflictionAlert.subject == subject))
        .scalars()
        .all()
    )
    by_organisation = {p.organisation_id: p for p in police.values()}
    for alert in alerts:
        agency = by_organisation.get(alert.organisation_id)
        if agency is None:
            continue
        cooperation.acknowledge(session, agency, alert.id)
        alert.acknowledged_at = raised + timedelta(
            hours=min(400.0, rng.lognormvariate(math.log(30), 1.1))
        )
    return len(alerts)
