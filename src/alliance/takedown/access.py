"""Who may see which item and which report.

An organisation sees an item routed to it (its queue), an item its country's LEA was
informed of, and an item it reported; the secretariat sees every item. A report is read by
the organisation that sent it, by the hotline and LEA an item it named was routed to, and
by the secretariat. An item or report you may not see is reported as not found.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.errors import NotFound
from alliance.takedown.models import (
    ContentItem,
    Report,
    ReportItem,
)


def item_visible_clause(principal: Principal) -> ColumnElement[bool]:
    reach = principal.reach(Permission.ITEM_READ)
    if reach is None:
        return false()
    if reach is Reach.ALL:
        return true()
    org = principal.organisation_id
    if org is None:
        return false()
    reported = (
        select(ReportItem.item_id)
        .join(Report, Report.id == ReportItem.report_id)
        .where(Report.reporter_organisation_id == org)
    )
    return or_(
        ContentItem.assigned_organisation_id == org,
        ContentItem.lea_organisation_id == org,
        ContentItem.id.in_(reported),
    )


def get_item(session: Session, principal: Principal, reference: str) -> ContentItem:
    authorize(principal, Permission.ITEM_READ)
    item = session.execute(
        select(ContentItem).where(
            ContentItem.reference == reference.strip().upper(), item_visible_clause(principal)
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound(f"no item {reference}")
    return item


def report_visible(principal: Principal, report: Report) -> bool:
    """Whether ``principal`` may read ``report`` (see the module's docstring)."""
    reach = principal.reach(Permission.ITEM_READ)
    if reach is None:
        return False
    if reach is Reach.ALL:
        return True
    org = principal.organisation_id
    if org is None:
        return False
    return report.reporter_organisation_id == org or any(
        org in (link.item.assigned_organisation_id, link.item.lea_organisation_id)
        for link in report.links
    )


def get_report(session: Session, principal: Principal, reference: str) -> Report:
    """The report ``reference`` if ``principal`` may read it; NotFound otherwise."""
    authorize(principal, Permission.ITEM_READ)
    report = session.execute(
        select(Report).where(Report.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if report is None or not report_visible(principal, report):
        raise NotFound(f"no report {reference}")
    return report
