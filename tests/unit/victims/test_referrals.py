"""Referring a series to another country's police: the package, the decision, who sees it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.victims import identification, referrals, series
from alliance.victims.models import AgeGroup, ReferralStatus, SeriesEvent
from alliance.victims.schemas import (
    AgencyIn,
    DecisionIn,
    MergeIn,
    ReferralIn,
    SeriesUpdate,
    VictimIn,
)
from tests.support.victims_world import VictimsWorld, build_world, member_hashes, years_ago


@pytest.fixture
def world(session: Session) -> VictimsWorld:
    return build_world(session)


def audit_types(session: Session) -> list[str]:
    return list(session.execute(select(AuditEvent.event_type).order_by(AuditEvent.seq)).scalars())


def refer_to_gb(world: VictimsWorld, code: str) -> str:
    data = ReferralIn(country="gb", indicators=["English plug sockets"])
    return referrals.refer_series(world.session, world.nl, code, data).reference


def test_a_referral_carries_a_snapshot_package_without_victim_references(
    session: Session, world: VictimsWorld
) -> None:
    nl_series = world.series(world.nl, "Amber Fox", 3, first_seen_at=years_ago(2))
    series.update_series(session, world.nl, nl_series.code, SeriesUpdate(notes="desk 4 only"))
    victim = identification.add_victim(
        session, world.nl, nl_series.code, VictimIn(age_group=AgeGroup.pre_pubescent)
    )
    identification.add_victim(session, world.nl, nl_series.code, VictimIn())

    referral = referrals.refer_series(
        session,
        world.nl,
        nl_series.code,
        ReferralIn(country="gb", indicators=["English plug sockets", " "], note="school logo"),
    )

    assert referral.reference.startswith("RF-")
    assert referral.to_organisation.slug == "gb-police"
    assert referral.status is ReferralStatus.pending
    package = referral.package
    assert package["series"]["code"] == nl_series.code
    assert package["series"]["name"] == "Amber Fox"
    assert package["media"] == 3
    assert package["victims"] == {
        "total": 2,
        "by_age_group": {"not_determined": 1, "pre_pubescent": 1},
        "by_status": {"unidentified": 2},
    }
    assert package["hashes"][0] == member_hashes("Amber Fox-0")
    assert package["truncated"] is False
    assert package["indicators"] == ["English plug sockets"]
    assert package["note"] == "school logo"
    assert package["referred_by"] == world.orgs["nl-police"].name
    text = json.dumps(package)
    assert victim.reference not in text
    assert "desk 4 only" not in text  # series notes are for its agencies only
    assert audit_types(session)[-1] == EventType.REFERRAL_SENT
    sent = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert sent is not None and sent.organisation_id == nl_series.owner_organisation_id
    kinds = session.execute(
        select(SeriesEvent.kind).where(SeriesEvent.series_id == nl_series.id)
    ).scalars()
    assert "referred" in list(kinds)


def test_the_package_caps_its_hashes(
    session: Session, world: VictimsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(referrals, "MAX_PACKAGE_HASHES", 2)
    code = world.series(world.nl, "Amber Fox", 3).code
    package = referrals.refer_series(session, world.nl, code, ReferralIn(country="GB")).package
    assert len(package["hashes"]) == 2 and package["truncated"] is True
    assert package["media"] == 3


def test_accepting_makes_the_receiver_a_collaborator(session: Session, world: VictimsWorld) -> None:
    code = world.series(world.nl, "Amber Fox", 2).code
    reference = refer_to_gb(world, code)
    with pytest.raises(NotFound):  # not yet an agency of the series
        series.get_series(session, world.gb, code)

    decided = referrals.decide_referral(session, world.gb, reference, DecisionIn(accept=True))

    assert decided.status is ReferralStatus.accepted and decided.decided_at is not None
    detail = series.series_detail(session, world.gb, code)
    assert {(a.slug, a.role.value) for a in detail.agencies} == {
        ("nl-police", "owner"),
        ("gb-police", "collaborator"),
    }
    assert detail.countries == ["GB", "NL"]
    assert "referral_accepted" in [e.kind for e in detail.timeline]
    assert EventType.REFERRAL_ACCEPTED in audit_types(session)
    with pytest.raises(Conflict, match="already accepted"):
        referrals.decide_referral(session, world.gb, reference, DecisionIn(accept=False))
    with pytest.raises(Conflict, match="already works on"):  # GB now works on it
        refer_to_gb(world, code)


def test_declining_needs_a_reason_that_the_referrer_reads(
    session: Session, world: VictimsWorld
) -> None:
    code = world.series(world.nl, "Amber Fox", 1).code
    reference = refer_to_gb(world, code)
    with pytest.raises(InvalidInput, match="reason"):
        referrals.decide_referral(
            session, world.gb, reference, DecisionIn(accept=False, reason="  ")
        )

    declined = referrals.decide_referral(
        session, world.gb, reference, DecisionIn(accept=False, reason="the sockets are Irish")
    )

    assert declined.status is ReferralStatus.declined
    shown = referrals.referral_out(referrals.get_referral(session, world.nl, reference))
    assert shown.decision_reason == "the sockets are Irish"
    assert shown.series.code == code and shown.to_country == "GB"
    with pytest.raises(NotFound):
        series.get_series(session, world.gb, code)
    last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert last is not None and last.event_type == EventType.REFERRAL_DECLINED
    assert "Irish" not in last.details  # the reason stays out of the audit trail
    # Declined, the series may be referred to GB again.
    assert refer_to_gb(world, code) != reference


def test_bad_referrals_are_refused(session: Session, world: VictimsWorld) -> None:
    code = world.series(world.nl, "Amber Fox", 1).code
    gb_code = world.series(world.gb, "Grey Owl", 1).code
    with pytest.raises(InvalidInput, match="no law-enforcement member in FR"):
        referrals.refer_series(session, world.nl, code, ReferralIn(country="FR"))
    with pytest.raises(Conflict, match="already works on"):  # its own country
        referrals.refer_series(session, world.nl, code, ReferralIn(country="NL"))
    with pytest.raises(NotFound):  # a series the agency does not work on
        referrals.refer_series(session, world.nl, gb_code, ReferralIn(country="GB"))
    with pytest.raises(NotFound):
        referrals.refer_series(session, world.nl, "S-NOSUCH", ReferralIn(country="GB"))
    with pytest.raises(PermissionDenied):
        referrals.refer_series(session, world.hotline, code, ReferralIn(country="GB"))
    with pytest.raises(PermissionDenied):
        referrals.refer_series(session, world.secretariat, code, ReferralIn(country="GB"))
    pending = refer_to_gb(world, code)
    with pytest.raises(Conflict, match=pending):
        refer_to_gb(world, code)


def test_a_merged_series_cannot_be_referred_but_its_referrals_follow_the_survivor(
    session: Session, world: VictimsWorld
) -> None:
    source = world.series(world.nl, "Amber Fox", 1).code
    survivor = world.series(world.nl, "Amber Fox Two", 1).code
    reference = refer_to_gb(world, source)
    series.merge_series(session, world.nl, source, MergeIn(into=survivor))
    with pytest.raises(Conflict, match="merged"):
        referrals.refer_series(session, world.nl, source, ReferralIn(country="DE"))

    referrals.decide_referral(session, world.gb, reference, DecisionIn(accept=True))

    assert series.get_series(session, world.gb, survivor).code == survivor


def test_only_the_two_agencies_see_a_referral(session: Session, world: VictimsWorld) -> None:
    code = world.series(world.nl, "Amber Fox", 1).code
    de = world.investigator("DE", slug="de-police")
    reference = refer_to_gb(world, code)

    assert [r.reference for r in referrals.list_referrals(session, world.gb, incoming=True)] == [
        reference
    ]
    assert referrals.list_referrals(session, world.gb, incoming=False) == []
    assert [r.reference for r in referrals.list_referrals(session, world.nl, incoming=False)] == [
        reference
    ]
    assert referrals.list_referrals(session, world.nl, incoming=True) == []
    assert len(referrals.list_referrals(session, world.nl)) == 1
    assert referrals.list_referrals(session, de) == []
    with pytest.raises(NotFound):
        referrals.get_referral(session, de, reference)
    with pytest.raises(NotFound):  # the sender cannot decide for the receiver
        referrals.decide_referral(session, world.nl, reference, DecisionIn(accept=True))
    with pytest.raises(NotFound):
        referrals.decide_referral(session, de, reference, DecisionIn(accept=True))
    with pytest.raises(PermissionDenied):
        referrals.list_referrals(session, world.secretariat)
    assert referrals.get_referral(session, world.gb, reference.lower()).reference == reference


def test_an_invited_receiver_accepting_joins_only_once(
    session: Session, world: VictimsWorld
) -> None:
    code = world.series(world.nl, "Amber Fox", 1).code
    reference = refer_to_gb(world, code)
    series.add_agency(session, world.nl, code, AgencyIn(organisation="gb-police"))

    referrals.decide_referral(session, world.gb, reference, DecisionIn(accept=True))

    agencies = series.series_detail(session, world.gb, code).agencies
    assert [a.slug for a in agencies].count("gb-police") == 1
