"""ICSE CSV and VICS JSON in and out of the known-media database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.victims import exchange, formats, series
from alliance.victims.formats import MediaRow, MediaType
from alliance.victims.models import MediaRecord, Series, SeriesEvent, SeriesStatus
from alliance.victims.schemas import AgencyIn, SeriesUpdate
from tests.support.victims_world import VictimsWorld, build_world, digest, member_hashes

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def world(session: Session) -> VictimsWorld:
    return build_world(session)


def media_row(seed: str, **changes: Any) -> MediaRow:
    row = MediaRow(
        md5=digest("md5", seed),
        sha1=digest("sha1", seed),
        sha256=None,
        pdq=None,
        image_id=None,
        media_type=MediaType.image,
        category=None,
        baseline=False,
        victim_identified=False,
        offender_identified=False,
        is_distributed=False,
        submissions=1,
        file_available=False,
        series_name=None,
    )
    return replace(row, **changes)


def icse(*rows: MediaRow) -> bytes:
    return "".join(formats.render_icse_csv(rows)).encode()


def vics(*rows: MediaRow) -> bytes:
    return "".join(formats.render_vics(rows)).encode()


def export(world: VictimsWorld, fmt: str = "icse", code: str | None = None) -> str:
    return "".join(exchange.export_records(world.session, world.nl, series=code, fmt=fmt))


def by_md5(session: Session, seed: str) -> MediaRecord:
    return session.execute(
        select(MediaRecord).where(MediaRecord.md5 == digest("md5", seed))
    ).scalar_one()


def record_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(MediaRecord)).scalar_one()


def last_audit(session: Session) -> AuditEvent:
    found = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert found is not None
    return found


# --- export --------------------------------------------------------------------------


def test_whole_database_export_names_only_the_agencys_own_series(
    session: Session, world: VictimsWorld
) -> None:
    world.series(world.nl, "Amber Fox", 2, category=1, baseline=True)
    world.series(world.gb, "Grey Owl", 1)

    rows = formats.parse_icse_csv(export(world).encode())

    assert len(rows) == 3
    names = {row.md5: row.series_name for row in rows}
    assert names[member_hashes("Amber Fox-0")["md5"]] == "Amber Fox"
    assert names[member_hashes("Grey Owl-0")["md5"]] is None  # GB's: hashes, not its name
    assert all(row.baseline for row in rows if row.series_name == "Amber Fox")
    audit = last_audit(session)
    assert audit.event_type == EventType.MEDIA_EXPORTED
    assert json.loads(audit.details) == {"format": "icse", "records": 3, "series": None}
    assert "Grey Owl" not in export(world, "vics")


def test_a_series_export_holds_its_members_with_every_hash(
    session: Session, world: VictimsWorld
) -> None:
    code = world.series(world.nl, "Amber Fox", 2, category=2).code
    world.series(world.nl, "Blue Heron", 1)

    rows = formats.parse_vics_records(export(world, "vics", code).encode())

    assert [(r.md5, r.sha1, r.sha256, r.pdq) for r in rows] == [
        tuple(member_hashes(f"Amber Fox-{n}").values()) for n in range(2)
    ]
    assert {(r.series_name, r.category) for r in rows} == {("Amber Fox", 2)}
    assert json.loads(last_audit(session).details)["series"] == code


def test_export_is_refused_outside_the_agencys_reach(session: Session, world: VictimsWorld) -> None:
    gb_code = world.series(world.gb, "Grey Owl", 1).code
    with pytest.raises(NotFound):
        exchange.export_records(session, world.nl, series=gb_code)
    for outsider in (world.hotline, world.secretariat):
        with pytest.raises(PermissionDenied):
            exchange.export_records(session, outsider)
    with pytest.raises(InvalidInput, match="unknown records format"):
        exchange.export_records(session, world.nl, fmt="xlsx")


# --- import --------------------------------------------------------------------------


def test_import_creates_records_links_own_series_and_starts_new_ones(
    session: Session, world: VictimsWorld
) -> None:
    own = world.series(world.nl, "Amber Fox", 0)
    data = icse(
        media_row("a", series_name="  amber   FOX "),  # the same code name, spelt loosely
        media_row("b", series_name="Copper Moth", category=3),
        media_row("c", victim_identified=True, submissions=4),
    )

    result = exchange.import_records(session, world.nl, data, "icse")

    assert (result.created, result.updated, result.linked) == (3, 0, 2)
    [new_code] = result.series_created
    new = session.execute(select(Series).where(Series.code == new_code)).scalar_one()
    assert new.name == "Copper Moth" and new.owner_organisation_id == own.owner_organisation_id
    assert by_md5(session, "a").series_id == own.id
    assert by_md5(session, "b").series_id == new.id
    assert by_md5(session, "b").category is None  # ICSE carries no category
    c = by_md5(session, "c")
    assert (c.series_id, c.victim_identified, c.submissions) == (None, True, 4)
    assert c.created_by_organisation_id == own.owner_organisation_id
    audit = last_audit(session)
    assert audit.event_type == EventType.MEDIA_IMPORTED
    assert json.loads(audit.details)["created"] == 3
    kinds = session.execute(
        select(SeriesEvent.kind).where(SeriesEvent.series_id == own.id)
    ).scalars()
    assert "media_imported" in list(kinds)


def test_import_merges_into_existing_records_without_losing_anything(
    session: Session, world: VictimsWorld
) -> None:
    code = world.series(
        world.nl,
        "Amber Fox",
        [{"md5": digest("md5", "a"), "sha1": None}, {"md5": None, "sha1": digest("sha1", "b")}],
        submissions=5,
        victim_identified=True,
        category=1,
        first_seen_at=LONG_AGO,
    ).code
    before = by_md5(session, "a").catalogued_at
    data = vics(
        media_row("a", baseline=True, submissions=2, category=4, victim_identified=False),
        media_row("b", md5=None, is_distributed=True, submissions=9, category=2),
        media_row("b", md5=None, sha256=digest("sha256", "b"), offender_identified=True),
    )

    result = exchange.import_records(session, world.nl, data, exchange.RecordFormat.vics)

    assert (result.created, result.updated, result.linked) == (0, 2, 0)
    a = by_md5(session, "a")
    assert (a.baseline, a.submissions, a.category, a.victim_identified) == (True, 5, 1, True)
    assert a.sha1 == digest("sha1", "a")  # an empty hash is filled
    assert a.catalogued_at == before  # no series change: the PDQ catalogue stays
    b = session.execute(
        select(MediaRecord).where(MediaRecord.sha1 == digest("sha1", "b"))
    ).scalar_one()
    assert (b.is_distributed, b.offender_identified, b.submissions, b.category) == (
        True,
        True,
        9,
        1,
    )
    assert b.sha256 == digest("sha256", "b")
    assert record_count(session) == 2
    # The database's own export re-imports as no change at all.
    again = exchange.import_records(session, world.nl, export(world, "vics", code).encode(), "vics")
    assert (again.created, again.updated, again.linked) == (0, 0, 0)


def test_rows_sharing_a_hash_become_one_record(session: Session, world: VictimsWorld) -> None:
    data = icse(
        media_row("a", sha1=None, submissions=2),
        media_row("a", submissions=3),  # by MD5; adds the SHA-1 ...
        media_row("a", md5=None, is_distributed=True),  # ... which this row is found by
    )
    result = exchange.import_records(session, world.nl, data, "icse")

    assert (result.created, record_count(session)) == (1, 1)
    a = by_md5(session, "a")
    assert (a.sha1, a.submissions, a.is_distributed) == (digest("sha1", "a"), 3, True)


def test_linking_moves_catalogued_at_and_takes_the_series_identification(
    session: Session, world: VictimsWorld
) -> None:
    own = world.series(world.nl, "Amber Fox", 1, first_seen_at=LONG_AGO)
    world.identified_victim(world.nl, own.code, LONG_AGO.date())
    exchange.import_records(session, world.nl, icse(media_row("loose")), "icse")
    before = by_md5(session, "loose").catalogued_at

    result = exchange.import_records(
        session, world.nl, icse(media_row("loose", series_name="Amber Fox")), "icse"
    )

    assert (result.updated, result.linked) == (1, 1)
    loose = by_md5(session, "loose")
    assert loose.series_id == own.id and loose.catalogued_at > before
    assert loose.victim_identified is True


def test_a_series_of_another_agency_refuses_the_whole_file(
    session: Session, world: VictimsWorld
) -> None:
    gb = world.series(world.gb, "Grey Owl", 1)
    count = record_count(session)
    data = icse(
        media_row("a", series_name="Brand New"),
        media_row("b"),
        media_row("c", series_name="grey owl"),
    )
    with pytest.raises(InvalidInput, match=rf"record 3: series 'grey owl' exists \({gb.code}"):
        exchange.import_records(session, world.nl, data, "icse")
    assert record_count(session) == count
    assert session.execute(select(Series.name)).scalars().all() == ["Grey Owl"]
    # Once GB invites NL, the same file links to GB's series.
    series.add_agency(session, world.gb, gb.code, AgencyIn(organisation="nl-police"))
    assert exchange.import_records(session, world.nl, data, "icse").linked == 2


def test_a_record_of_another_series_is_a_conflict(session: Session, world: VictimsWorld) -> None:
    world.series(world.nl, "Amber Fox", [{"md5": digest("md5", "a")}])
    world.series(world.nl, "Blue Heron", 0)
    data = icse(media_row("b"), media_row("a", series_name="Blue Heron"))
    with pytest.raises(Conflict, match="record 2: the media is already a member of series S-"):
        exchange.import_records(session, world.nl, data, "icse")
    # Two names for one file within the file are refused alike.
    twice = icse(media_row("z", series_name="One Name"), media_row("z", series_name="Other"))
    with pytest.raises(Conflict, match="record 2"):
        exchange.import_records(session, world.nl, twice, "icse")
    assert record_count(session) == 1


def test_malformed_files_are_refused_with_their_line(session: Session, world: VictimsWorld) -> None:
    good = icse(media_row("a")).decode()
    bad = (good + "nothex;;;;true;false;false;;1;false;image;false\n").encode()
    with pytest.raises(InvalidInput, match="line 3"):
        exchange.import_records(session, world.nl, bad, "icse")
    with pytest.raises(InvalidInput, match=r"value\[0\]"):
        exchange.import_records(
            session, world.nl, vics(media_row("a")).replace(b'"MD5": "', b'"MD5": "X'), "vics"
        )
    with pytest.raises(InvalidInput, match="too short"):
        exchange.import_records(session, world.nl, icse(media_row("a", series_name="x")), "icse")
    with pytest.raises(PermissionDenied):
        exchange.import_records(session, world.hotline, good.encode(), "icse")
    with pytest.raises(InvalidInput, match="unknown records format"):
        exchange.import_records(session, world.nl, good.encode(), "csv")
    assert record_count(session) == 0


def test_a_big_file_goes_in_batches(session: Session, world: VictimsWorld) -> None:
    existing = [{"md5": digest("md5", f"n{n}")} for n in range(0, 3000, 2)]
    world.series(world.nl, "Amber Fox", existing)
    rows = [media_row(f"n{n}", series_name="Amber Fox") for n in range(3000)]

    result = exchange.import_records(session, world.nl, icse(*rows), "icse")

    assert (result.created, result.updated, result.linked) == (1500, 1500, 1500)
    assert record_count(session) == 3000


def test_records_imported_into_an_offender_identified_series_are_marked(
    session: Session, world: VictimsWorld
) -> None:
    code = world.series(world.nl, "Amber Fox", 1).code
    series.update_series(
        session, world.nl, code, SeriesUpdate(status=SeriesStatus.offender_identified)
    )

    data = icse(media_row("late", series_name="Amber Fox"))
    assert exchange.import_records(session, world.nl, data, "icse").linked == 1

    assert by_md5(session, "late").offender_identified
