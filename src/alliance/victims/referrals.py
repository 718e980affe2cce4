"""Referrals: handing a series to the country where the victim most likely is.

An agency working on a series refers it to the law-enforcement member of a country; that
agency gets a **package**, a snapshot taken at referral: the series summary, counts of its
media and victims (never a victim reference), its members' hashes and the indicators that
point to the country. Accepting makes the receiving agency a collaborator on the series
(so it sees everything from then on); declining needs a reason, which the referring agency
reads. A referral is seen by the two agencies only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal
from alliance.audit import EventType, record
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound
from alliance.victims import access
from alliance.victims.models import (
    MediaRecord,
    Referral,
    ReferralStatus,
    Series,
    SeriesAgency,
    Victim,
)
from alliance.victims.schemas import DecisionIn, ReferralIn, ReferralOut
from alliance.victims.series import event, join

PACKAGE_VERSION = 1
#: Most member hashes a package carries; a bigger series is marked ``truncated``.
MAX_PACKAGE_HASHES = 10_000
_HASHES = ("md5", "sha1", "sha256", "pdq")


def _receiver(session: Session, country: str) -> Organisation:
    """The law-enforcement member of ``country`` (the first registered, if several)."""
    found = session.execute(
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.law_enforcement,
            Organisation.country_code == country,
            Organisation.active.is_(True),
        )
        .order_by(Organisation.id)
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise InvalidInput(f"no law-enforcement member in {country}")
    return found


def _package(
    session: Session, series: Series, agency: Organisation, data: ReferralIn
) -> dict[str, Any]:
    """The snapshot the receiving agency reads. Series notes stay out: they are for the
    series' agencies, which the receiver is not (yet)."""
    media = session.execute(
        select(func.count()).select_from(MediaRecord).where(MediaRecord.series_id == series.id)
    ).scalar_one()
    by_age: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for age_group, status, count in session.execute(
        select(Victim.age_group, Victim.status, func.count())
        .where(Victim.series_id == series.id)
        .group_by(Victim.age_group, Victim.status)
    ):
        by_age[age_group.value] += count
        by_status[status.value] += count
    rows = session.execute(
        select(MediaRecord.md5, MediaRecord.sha1, MediaRecord.sha256, MediaRecord.pdq)
        .where(MediaRecord.series_id == series.id)
        .order_by(MediaRecord.id)
        .limit(MAX_PACKAGE_HASHES + 1)
    ).all()
    hashes = [
        {kind: value for kind, value in zip(_HASHES, row, strict=True) if value is not None}
        for row in rows[:MAX_PACKAGE_HASHES]
    ]
    return {
        "version": PACKAGE_VERSION,
        "series": {
            "code": series.code,
            "name": series.name,
            "status": series.status.value,
            "first_seen_at": series.first_seen_at.isoformat(),
            "countries": list(series.countries),
        },
        "media": int(media),
        "victims": {
            "total": sum(by_status.values()),
            "by_age_group": dict(sorted(by_age.items())),
            "by_status": dict(sorted(by_status.items())),
        },
        "hashes": hashes,
        "truncated": len(rows) > MAX_PACKAGE_HASHES,
        "indicators": list(data.indicators),
        "note": data.note,
        "referred_by": agency.name,
        "referred_by_country": agency.country_code,
    }


def refer_series(session: Session, principal: Principal, code: str, data: ReferralIn) -> Referral:
    """Refer series ``code`` to the law-enforcement member of ``data.country``."""
    agency = access.require_agency(session, principal, Permission.REFERRAL_MANAGE)
    series = access.get_series(session, principal, code, Permission.REFERRAL_MANAGE)
    if series.merged_into_id is not None:
        into = session.get_one(Series, series.merged_into_id)
        raise Conflict(f"series {series.code} was merged into {into.code}; refer that one")
    receiver = _receiver(session, data.country)
    working = session.execute(
        select(Organisation.name)
        .join(SeriesAgency, SeriesAgency.organisation_id == Organisation.id)
        .where(SeriesAgency.series_id == series.id, Organisation.country_code == data.country)
    ).scalar()
    if working is not None:
        raise Conflict(f"{working} already works on series {series.code}")
    pending = session.execute(
        select(Referral.reference).where(
            Referral.series_id == series.id,
            Referral.to_organisation_id == receiver.id,
            Referral.status == ReferralStatus.pending,
        )
    ).scalar()
    if pending is not None:
        raise Conflict(
            f"series {series.code} is already referred to {receiver.name} ({pending}), "
            "awaiting a decision"
        )
    referral = Referral(
        reference=references.new("RF"),
        series_id=series.id,
        from_organisation_id=agency.id,
        to_organisation_id=receiver.id,
        to_country=data.country,
        package=_package(session, series, agency, data),
        status=ReferralStatus.pending,
        created_by=principal.audit_label,
    )
    session.add(referral)
    session.flush()
    details = {"referral": referral.reference, "to": receiver.name, "country": data.country}
    event(session, series, principal.audit_label, "referred", details)
    record(
        session,
        principal,
        EventType.REFERRAL_SENT,
        "referral",
        referral.reference,
        {
            "series": series.code,
            "to": receiver.slug,
            "country": data.country,
            "hashes": len(referral.package["hashes"]),
        },
        organisation_id=series.owner_organisation_id,
    )
    return referral


def decide_referral(
    session: Session, principal: Principal, reference: str, data: DecisionIn
) -> Referral:
    """Accept (the receiving agency joins the series) or decline (with a reason)."""
    agency = access.require_agency(session, principal, Permission.REFERRAL_MANAGE)
    referral = _find(session, reference)
    if referral is None or referral.to_organisation_id != agency.id:
        raise NotFound(f"no referral {reference.strip().upper()} to your agency")
    if referral.status is not ReferralStatus.pending:
        raise Conflict(f"referral {referral.reference} was already {referral.status.value}")
    reason = data.reason.strip()
    if not data.accept and not reason:
        raise InvalidInput("declining a referral needs a reason for the referring agency")
    # A merge moves referrals to the surviving series: this is the one to join.
    series = referral.series
    if data.accept:
        if access.agency_role(session, series, agency.id) is None:
            join(session, principal, series, agency)
        if agency.country_code not in series.countries:
            series.countries = sorted({*series.countries, agency.country_code})
        series.updated_at = utcnow()
    referral.status = ReferralStatus.accepted if data.accept else ReferralStatus.declined
    referral.decision_reason = reason or None
    referral.decided_at = utcnow()
    referral.decided_by = principal.audit_label
    event(
        session,
        series,
        principal.audit_label,
        f"referral_{referral.status.value}",
        {"referral": referral.reference, "agency": agency.name, "reason": reason or None},
    )
    record(
        session,
        principal,
        EventType.REFERRAL_ACCEPTED if data.accept else EventType.REFERRAL_DECLINED,
        "referral",
        referral.reference,
        # The reason stays out of the audit trail, like series notes: the agencies read it.
        {"series": series.code, "from": referral.from_organisation.slug},
        organisation_id=series.owner_organisation_id,
    )
    return referral


# --- reading ------------------------------------------------------------------------


def _find(session: Session, reference: str) -> Referral | None:
    return session.execute(
        select(Referral).where(Referral.reference == reference.strip().upper())
    ).scalar_one_or_none()


#: What a list of referrals may be sorted by (``Listing.sort``).
REFERRAL_SORTS = ("reference", "series", "status", "created", "decided")


def list_referrals(
    session: Session,
    principal: Principal,
    *,
    incoming: bool | None = None,
    status: ReferralStatus | None = None,
    listing: Listing | None = None,
) -> list[Referral]:
    """Referrals to the agency (``incoming=True``), from it (False) or both (None), newest
    first or in the ``listing``'s order and page (sortable by :data:`REFERRAL_SORTS`)."""
    agency = access.require_agency(session, principal, Permission.REFERRAL_MANAGE)
    to_us = Referral.to_organisation_id == agency.id
    from_us = Referral.from_organisation_id == agency.id
    where = or_(to_us, from_us) if incoming is None else to_us if incoming else from_us
    query = select(Referral).where(where)
    if status is not None:
        query = query.where(Referral.status == status)
    if listing is None:
        listing = Listing(sort="created", descending=True, limit=None)
    if listing.sort == "series":
        query = query.join(Series, Series.id == Referral.series_id)
    columns: dict[str, Any] = {
        "reference": Referral.reference,
        "series": Series.name,
        "status": Referral.status,
        "created": Referral.created_at,
        "decided": Referral.decided_at,
    }
    tiebreak = [Referral.id.desc()] if listing.descending else [Referral.id.asc()]
    return list(session.execute(ordered(query, listing, columns, tiebreak)).unique().scalars())


def pending_referral_count(session: Session, principal: Principal) -> int:
    """Referrals to the principal's agency awaiting its decision: what waits for it (the
    navigation's count); 0 for whoever may not decide on referrals."""
    if not principal.can(Permission.REFERRAL_MANAGE) or principal.organisation_id is None:
        return 0
    return int(
        session.execute(
            select(func.count())
            .select_from(Referral)
            .where(
                Referral.to_organisation_id == principal.organisation_id,
                Referral.status == ReferralStatus.pending,
            )
        ).scalar_one()
    )


def get_referral(session: Session, principal: Principal, reference: str) -> Referral:
    """One referral the agency sent or received; any other is not found."""
    agency = access.require_agency(session, principal, Permission.REFERRAL_MANAGE)
    referral = _find(session, reference)
    if referral is None or agency.id not in (
        referral.from_organisation_id,
        referral.to_organisation_id,
    ):
        raise NotFound(f"no referral {reference.strip().upper()} from or to your agency")
    return referral


def referral_out(referral: Referral) -> ReferralOut:
    return ReferralOut(
        reference=referral.reference,
        series=access.summary(referral.series),
        from_organisation=referral.from_organisation.name,
        to_organisation=referral.to_organisation.name,
        to_country=referral.to_country,
        status=referral.status,
        package=referral.package,
        decision_reason=referral.decision_reason,
        created_at=referral.created_at,
        decided_at=referral.decided_at,
    )
