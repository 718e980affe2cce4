"""Victims: pseudonymous records and their identification.

A victim is an internal reference, an age group and what is known of the identification —
never a name. Identifying one marks every media record of the series, so the next seizure's
triage reports that material as "victim identified" and no one spends time on it. Every
read of a victim record is audited.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal
from alliance.audit import EventType, record
from alliance.audit.services import AuditEntry, record_many
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound
from alliance.victims import access
from alliance.victims.models import SeriesStatus, Victim, VictimStatus
from alliance.victims.schemas import IdentifyIn, SafeguardIn, VictimIn, VictimOut
from alliance.victims.series import apply_identification, event


def add_victim(session: Session, principal: Principal, code: str, data: VictimIn) -> Victim:
    series = access.get_series(session, principal, code, Permission.VICTIM_MANAGE)
    if series.merged_into_id is not None:
        raise Conflict(f"series {series.code} was merged; add the victim to the survivor")
    victim = Victim(
        reference=references.new("V"),
        series_id=series.id,
        age_group=data.age_group,
        status=VictimStatus.unidentified,
        created_by=principal.audit_label,
    )
    session.add(victim)
    session.flush()
    event(session, series, principal.audit_label, "victim_added", {"victim": victim.reference})
    record(
        session,
        principal,
        EventType.VICTIM_CREATED,
        "victim",
        victim.reference,
        {"series": series.code, "age_group": victim.age_group.value},
        organisation_id=series.owner_organisation_id,
    )
    return victim


def _victim(
    session: Session, principal: Principal, reference: str, permission: Permission
) -> Victim:
    access.require_agency(session, principal, permission)
    victim = session.execute(
        select(Victim).where(Victim.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if victim is None or (
        principal.reach(permission) is not Reach.ALL
        and access.agency_role(session, victim.series, principal.organisation_id) is None
    ):
        raise NotFound(f"no victim {reference.strip().upper()} in a series your agency works on")
    return victim


def identify_victim(
    session: Session, principal: Principal, reference: str, data: IdentifyIn
) -> Victim:
    victim = _victim(session, principal, reference, Permission.VICTIM_MANAGE)
    if victim.status is not VictimStatus.unidentified:
        by = victim.identified_by.name if victim.identified_by else "another agency"
        raise Conflict(
            f"victim {victim.reference} was already identified on {victim.identified_on} by {by}"
        )
    agency = access.require_agency(session, principal, Permission.VICTIM_MANAGE)
    today = utcnow().date()
    identified_on = data.identified_on or today
    if identified_on > today:
        raise InvalidInput("an identification date cannot be in the future", field="identified_on")
    if identified_on < victim.series.first_seen_at.date():
        raise InvalidInput(
            f"the series was first seen on {victim.series.first_seen_at.date()}; "
            "an identification cannot precede it"
        )
    victim.status = VictimStatus.identified
    victim.identified_on = identified_on
    victim.identified_by_organisation_id = agency.id
    victim.identified_country = data.country or agency.country_code
    series = victim.series
    session.flush()
    marked = apply_identification(session, [series.id])
    if series.status is SeriesStatus.active:
        series.status = SeriesStatus.victim_identified
    series.updated_at = utcnow()
    details = {
        "victim": victim.reference,
        "identified_on": identified_on.isoformat(),
        "country": victim.identified_country,
        "media_marked": marked,
    }
    event(session, series, principal.audit_label, "victim_identified", details)
    record(
        session,
        principal,
        EventType.VICTIM_IDENTIFIED,
        "victim",
        victim.reference,
        {**details, "series": series.code},
        organisation_id=series.owner_organisation_id,
    )
    return victim


def safeguard_victim(
    session: Session, principal: Principal, reference: str, data: SafeguardIn
) -> Victim:
    victim = _victim(session, principal, reference, Permission.VICTIM_MANAGE)
    if victim.status is VictimStatus.unidentified:
        raise Conflict(f"victim {victim.reference} is not identified yet; identify first")
    if victim.status is VictimStatus.safeguarded:
        raise Conflict(f"victim {victim.reference} was already safeguarded")
    on = data.safeguarded_on or utcnow().date()
    if on > utcnow().date():
        raise InvalidInput("a safeguarding date cannot be in the future", field="safeguarded_on")
    if victim.identified_on is not None and on < victim.identified_on:
        raise InvalidInput("safeguarding cannot precede the identification", field="safeguarded_on")
    victim.status = VictimStatus.safeguarded
    victim.safeguarded_on = on
    event(
        session,
        victim.series,
        principal.audit_label,
        "victim_safeguarded",
        {"victim": victim.reference},
    )
    record(
        session,
        principal,
        EventType.VICTIM_SAFEGUARDED,
        "victim",
        victim.reference,
        {"safeguarded_on": on.isoformat()},
        organisation_id=victim.series.owner_organisation_id,
    )
    return victim


def get_victim(session: Session, principal: Principal, reference: str) -> Victim:
    """One victim record; the read is audited."""
    victim = _victim(session, principal, reference, Permission.VICTIM_READ)
    audit_reads(session, principal, [victim])
    return victim


def list_victims(session: Session, principal: Principal, code: str) -> list[Victim]:
    """A series' victims; each read is audited."""
    series = access.get_series(session, principal, code, Permission.VICTIM_READ)
    victims = list(
        session.execute(
            select(Victim).where(Victim.series_id == series.id).order_by(Victim.id)
        ).scalars()
    )
    audit_reads(session, principal, victims)
    return victims


def audit_reads(session: Session, principal: Principal, victims: Sequence[Victim]) -> None:
    record_many(
        session,
        principal,
        [
            AuditEntry(
                EventType.VICTIM_READ,
                "victim",
                v.reference,
                {"series": v.series.code},
                organisation_id=v.series.owner_organisation_id,
            )
            for v in victims
        ],
    )


def victim_out(victim: Victim) -> VictimOut:
    return VictimOut(
        reference=victim.reference,
        series=victim.series.code,
        series_name=victim.series.name,
        age_group=victim.age_group,
        status=victim.status,
        identified_on=victim.identified_on,
        identified_by=victim.identified_by.name if victim.identified_by else None,
        identified_country=victim.identified_country,
        safeguarded_on=victim.safeguarded_on,
        created_at=victim.created_at,
    )
