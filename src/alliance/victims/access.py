"""Who may see what of victim identification.

Only law-enforcement agencies act here. A series' details belong to its agencies (owner and
collaborators): to everyone else such a series is not found, except for the summary that
triage reports (code, name, owning agency) so that agencies can find each other.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.errors import NotFound, PermissionDenied
from alliance.victims.models import Series, SeriesAgency
from alliance.victims.schemas import SeriesSummary


def require_agency(session: Session, principal: Principal, permission: Permission) -> Organisation:
    """The acting law-enforcement agency, or PermissionDenied."""
    authorize(principal, permission)
    if (
        principal.organisation_id is None
        or principal.organisation_kind is not OrgKind.law_enforcement
    ):
        raise PermissionDenied("victim identification is open to law-enforcement agencies only")
    return session.get_one(Organisation, principal.organisation_id)


def series_clause(
    principal: Principal,
    permission: Permission,
    series_id: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    """Restrict a query to series ``principal``'s agency works on."""
    if principal.reach(permission) is Reach.ALL:
        return true()
    return series_id.in_(
        select(SeriesAgency.series_id).where(
            SeriesAgency.organisation_id == (principal.organisation_id or -1)
        )
    )


def agency_role(session: Session, series: Series, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    role = session.execute(
        select(SeriesAgency.role).where(
            SeriesAgency.series_id == series.id, SeriesAgency.organisation_id == organisation_id
        )
    ).scalar_one_or_none()
    return None if role is None else role.value


def get_series(session: Session, principal: Principal, code: str, permission: Permission) -> Series:
    """The series ``code`` if ``principal``'s agency works on it; otherwise not found."""
    require_agency(session, principal, permission)
    series = session.execute(
        select(Series).where(Series.code == code.strip().upper())
    ).scalar_one_or_none()
    if series is None or (
        principal.reach(permission) is not Reach.ALL
        and agency_role(session, series, principal.organisation_id) is None
    ):
        raise NotFound(f"no series {code.strip().upper()} your agency works on")
    return series


def summary(series: Series) -> SeriesSummary:
    return SeriesSummary(
        code=series.code,
        name=series.name,
        owner=series.owner.name,
        owner_country=series.owner.country_code,
        status=series.status,
    )
