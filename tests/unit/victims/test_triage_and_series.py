"""Seizure triage, series linking, identification and merges, on both databases."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.cooperation import services as cooperation
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.victims import identification, series, triage
from alliance.victims.models import (
    MediaRecord,
    Seizure,
    SeizureItem,
    Series,
    SeriesStatus,
    Verdict,
    VictimStatus,
)
from alliance.victims.schemas import (
    AgencyIn,
    IdentifyIn,
    LinkIn,
    MergeIn,
    SeriesIn,
    SeriesUpdate,
    VictimIn,
)
from tests import factories


def digest(kind: str, text: str) -> str:
    return hashlib.new(kind, text.encode()).hexdigest()


@dataclass
class World:
    nl: Principal
    gb: Principal
    hotline: Principal
    secretariat: Principal


@pytest.fixture
def world(session: Session) -> World:
    def investigator(country: str) -> Principal:
        org = factories.organisation(session, OrgKind.law_enforcement, country)
        return factories.principal(factories.user(session, org, Role.investigator))

    hotline = factories.user(session, factories.organisation(session), Role.analyst)
    secretariat = factories.user(
        session,
        factories.organisation(session, OrgKind.secretariat, "BE"),
        Role.secretariat_admin,
    )
    return World(
        nl=investigator("NL"),
        gb=investigator("GB"),
        hotline=factories.principal(hotline),
        secretariat=factories.principal(secretariat),
    )


def jsonl(*items: dict[str, str]) -> bytes:
    lines = (json.dumps({"path": f"f{n}.png", **i}) + "\n" for n, i in enumerate(items))
    return "".join(lines).encode()


def gb_series(session: Session, world: World, members: int = 3) -> str:
    """A GB series of ``members`` files started from a GB seizure; returns its code."""
    data = jsonl(
        *({"md5": digest("md5", f"gb-{n}"), "pdq": factories.pdq_hex(n)} for n in range(members))
    )
    seizure = triage.triage_seizure(session, world.gb, data)
    assert seizure.new == members
    created = series.create_series(
        session, world.gb, SeriesIn(name="Blue Heron", seizure=seizure.reference)
    )
    return created.code


def test_triage_sorts_known_near_and_new_and_alerts_the_series_agency(
    session: Session, world: World
) -> None:
    code = gb_series(session, world)
    data = jsonl(
        {"md5": digest("md5", "gb-0")},  # known: a member's file
        {"pdq": factories.flip_bits(factories.pdq_hex(1), 12)},  # near a member
        {"md5": digest("md5", "unrelated"), "pdq": factories.pdq_hex(99)},  # new
    )
    seizure = triage.triage_seizure(
        session, world.nl, data, case_reference="NL-CASE-7", shared_note="call desk 3"
    )

    assert (seizure.items, seizure.known, seizure.near, seizure.new) == (3, 1, 1, 1)
    report = triage.report(session, world.nl, seizure)
    [hit] = report.series
    assert (hit.series.code, hit.known, hit.near, hit.yours, hit.alerted) == (
        code,
        1,
        1,
        False,
        True,
    )
    verdicts = [line.verdict for line in triage.lines(session, seizure)]
    assert verdicts == [Verdict.known, Verdict.near, Verdict.new]
    assert triage.lines(session, seizure)[1].distance == 12

    [alert] = cooperation.list_alerts(session, world.gb)
    shown = cooperation.alert_out(alert)
    assert (shown.action, shown.subject, shown.count) == ("seizure", seizure.reference, 2)
    assert shown.shared_note == "call desk 3"
    assert "NL-CASE-7" not in json.dumps(shown.model_dump(mode="json"))
    assert cooperation.list_alerts(session, world.nl) == []
    # Series are law enforcement's alone: not even the secretariat reads their alerts.
    assert cooperation.list_alerts(session, world.secretariat) == []
    with pytest.raises(NotFound):
        cooperation.acknowledge(session, world.secretariat, alert.id)


def test_the_agency_of_a_series_gets_no_alert_for_its_own_seizures(
    session: Session, world: World
) -> None:
    gb_series(session, world)
    triage.triage_seizure(
        session, world.gb, jsonl({"pdq": factories.flip_bits(factories.pdq_hex(0), 5)})
    )
    assert cooperation.list_alerts(session, world.gb) == []


def test_known_records_count_submissions_and_become_distributed(
    session: Session, world: World
) -> None:
    gb_series(session, world, members=1)
    triage.triage_seizure(session, world.nl, jsonl({"md5": digest("md5", "gb-0")}))
    media = session.execute(select(MediaRecord)).scalar_one()
    assert (media.submissions, media.is_distributed) == (2, True)


def test_bad_seizures_are_refused_whole(session: Session, world: World) -> None:
    bad = jsonl({"md5": digest("md5", "ok")}) + b'{"md5": "xyz"}\n'
    with pytest.raises(InvalidInput, match="line 2"):
        triage.triage_seizure(session, world.nl, bad)
    with pytest.raises(PermissionDenied):
        triage.triage_seizure(session, world.hotline, jsonl({"md5": digest("md5", "a")}))
    with pytest.raises(PermissionDenied):
        triage.triage_seizure(session, world.secretariat, jsonl({"md5": digest("md5", "a")}))
    assert session.execute(select(func.count(Seizure.id))).scalar() == 0
    assert session.execute(select(func.count(SeizureItem.id))).scalar() == 0


def test_a_series_is_private_to_its_agencies(session: Session, world: World) -> None:
    code = gb_series(session, world)
    seizure = triage.triage_seizure(session, world.nl, jsonl({"md5": digest("md5", "new")}))
    with pytest.raises(NotFound):
        series.get_series(session, world.nl, code)
    with pytest.raises(NotFound):
        series.link_items(session, world.nl, code, LinkIn(seizure=seizure.reference))
    with pytest.raises(NotFound):  # nor another agency's seizure
        series.link_items(session, world.gb, code, LinkIn(seizure=seizure.reference))
    assert [s.code for s in series.list_series(session, world.nl)] == []
    with pytest.raises(PermissionDenied):
        series.list_series(session, world.secretariat)


def test_code_names_are_unique(session: Session, world: World) -> None:
    gb_series(session, world)
    with pytest.raises(Conflict, match="taken"):
        series.create_series(session, world.nl, SeriesIn(name="blue  HERON"))


def test_identifying_a_victim_marks_every_member_and_only_once(
    session: Session, world: World
) -> None:
    code = gb_series(session, world)
    victim = identification.add_victim(session, world.gb, code, VictimIn())
    identification.identify_victim(session, world.gb, victim.reference, IdentifyIn(country="GB"))

    flags = session.execute(select(MediaRecord.victim_identified)).scalars().all()
    assert flags and all(flags)
    assert series.get_series(session, world.gb, code).status is SeriesStatus.victim_identified
    assert victim.status is VictimStatus.identified
    with pytest.raises(Conflict, match="already identified"):
        identification.identify_victim(session, world.gb, victim.reference, IdentifyIn())
    with pytest.raises(NotFound):
        identification.get_victim(session, world.nl, victim.reference)

    # Triage now reports the material as identified.
    seizure = triage.triage_seizure(session, world.nl, jsonl({"md5": digest("md5", "gb-1")}))
    assert seizure.identified == 1


def test_every_read_of_a_victim_is_audited(session: Session, world: World) -> None:
    code = gb_series(session, world)
    victim = identification.add_victim(session, world.gb, code, VictimIn())
    identification.get_victim(session, world.gb, victim.reference)
    identification.list_victims(session, world.gb, code)
    reads = session.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.event_type == EventType.VICTIM_READ.value,
            AuditEvent.subject_id == victim.reference,
        )
    ).scalar()
    assert reads == 2


def test_new_material_joins_a_series_and_is_then_known(session: Session, world: World) -> None:
    code = gb_series(session, world)
    series.add_agency(
        session,
        world.gb,
        code,
        AgencyIn(organisation=_slug(session, world.nl)),
    )
    seizure = triage.triage_seizure(session, world.nl, jsonl({"md5": digest("md5", "fresh")}))
    assert series.link_items(session, world.nl, code, LinkIn(seizure=seizure.reference)) == 1
    again = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "fresh")}))
    assert again.known == 1
    with pytest.raises(InvalidInput, match="no line 9"):
        series.link_items(session, world.nl, code, LinkIn(seizure=seizure.reference, lines=[9]))


def test_merges_move_everything_and_refuse_conflicts(session: Session, world: World) -> None:
    heron = gb_series(session, world)
    seizure = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "x")}))
    kite = series.create_series(
        session, world.gb, SeriesIn(name="Red Kite", seizure=seizure.reference)
    ).code
    identification.add_victim(session, world.gb, kite, VictimIn())

    with pytest.raises(Conflict, match="itself"):
        series.merge_series(session, world.gb, kite, MergeIn(into=kite))
    survivor = series.merge_series(session, world.gb, kite, MergeIn(into=heron))
    out = series.series_out(session, survivor)
    assert (out.media, out.victims) == (4, 1)
    merged = series.get_series(session, world.gb, kite)
    assert merged.status is SeriesStatus.closed
    with pytest.raises(Conflict, match="merged into"):
        series.merge_series(session, world.gb, kite, MergeIn(into=heron))
    with pytest.raises(Conflict, match="merged into"):
        series.update_series(session, world.gb, kite, SeriesUpdate(notes="x"))


def _slug(session: Session, principal: Principal) -> str:
    from alliance.accounts.models import Organisation

    return session.get_one(Organisation, principal.organisation_id).slug


# --- one rule for a series' identification flags -----------------------------------------


def _flags(session: Session, code: str) -> list[tuple[bool, bool]]:
    """(victim_identified, offender_identified) of every record of series ``code``."""
    rows = session.execute(
        select(MediaRecord.victim_identified, MediaRecord.offender_identified)
        .join(Series, Series.id == MediaRecord.series_id)
        .where(Series.code == code)
        .order_by(MediaRecord.id)
    )
    return [(victim, offender) for victim, offender in rows]


def test_material_linked_after_the_offender_is_identified_is_marked(
    session: Session, world: World
) -> None:
    code = gb_series(session, world, members=2)
    series.update_series(
        session, world.gb, code, SeriesUpdate(status=SeriesStatus.offender_identified)
    )
    assert _flags(session, code) == [(False, True)] * 2

    seizure = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "later")}))
    series.link_items(session, world.gb, code, LinkIn(seizure=seizure.reference))

    assert _flags(session, code) == [(False, True)] * 3


def test_the_offender_flag_outlives_the_status_that_set_it(session: Session, world: World) -> None:
    code = gb_series(session, world, members=1)
    for status in (SeriesStatus.offender_identified, SeriesStatus.closed):
        series.update_series(session, world.gb, code, SeriesUpdate(status=status))

    seizure = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "after")}))
    series.link_items(session, world.gb, code, LinkIn(seizure=seizure.reference))

    assert _flags(session, code) == [(False, True)] * 2


def test_material_merged_into_an_identified_series_takes_both_flags(
    session: Session, world: World
) -> None:
    heron = gb_series(session, world, members=1)
    victim = identification.add_victim(session, world.gb, heron, VictimIn())
    identification.identify_victim(session, world.gb, victim.reference, IdentifyIn(country="GB"))
    series.update_series(
        session, world.gb, heron, SeriesUpdate(status=SeriesStatus.offender_identified)
    )
    seizure = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "kite")}))
    kite = series.create_series(
        session, world.gb, SeriesIn(name="Red Kite", seizure=seizure.reference)
    ).code
    assert _flags(session, kite) == [(False, False)]

    series.merge_series(session, world.gb, kite, MergeIn(into=heron))

    assert _flags(session, heron) == [(True, True)] * 2


def test_a_merged_series_flags_stay_on_its_own_records_only(session: Session, world: World) -> None:
    """Merging a series whose offender is known does not mark the survivor's records: the
    rule follows the survivor's own identification."""
    heron = gb_series(session, world, members=1)
    seizure = triage.triage_seizure(session, world.gb, jsonl({"md5": digest("md5", "kite")}))
    kite = series.create_series(
        session, world.gb, SeriesIn(name="Red Kite", seizure=seizure.reference)
    ).code
    series.update_series(
        session, world.gb, kite, SeriesUpdate(status=SeriesStatus.offender_identified)
    )

    series.merge_series(session, world.gb, kite, MergeIn(into=heron))

    assert sorted(_flags(session, heron)) == [(False, False), (False, True)]
