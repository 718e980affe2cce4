"""Goals 4 and 5, public awareness and best practice on self-exploitative conduct: the
library (``library/``) and the reports the public made.

- ``library.campaigns``: awareness campaigns published in the library in the period, for
  the campaign's country. Their reach is what each member declared (self-reported): the
  report lists it beside them and never adds it up.
- ``reports.public``: reports the public made in the period, counted for the hosting
  country of what they named (a report naming two countries' content counts for each;
  alliance-wide once). The reporter's own country is not recorded, by design.
- ``reports.public_confirmed``: the share of those whose content was assessed illegal.
- ``library.entries``: library entries (campaigns, practice, guidance, training,
  research) published in the period, for the entry's country.
- ``library.self_generated``: those of them about self-generated imagery.
- ``library.adoptions``: adoptions in the period of a country's entries by organisations
  of other countries: its practice taken up abroad.

A country with none of these ever (up to the period's end) has no data, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, cast, func, literal, null, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.library.models import LibraryAdoption, LibraryEntry, LibraryTerm
from alliance.library.vocabulary import EntryKind, EntryStatus, Tag
from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    ended_by_country,
    in_period,
    known_by,
    read_clocks,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_shares
from alliance.takedown.models import Classification, ContentItem, Report, ReportItem, ReportSource

INDICATORS = (
    "library.campaigns",
    "reports.public",
    "reports.public_confirmed",
    "library.entries",
    "library.self_generated",
    "library.adoptions",
)
_ILLEGAL = (Classification.baseline, Classification.national)


def _entries(session: Session, *, kind: EntryKind | None = None, tag: Tag | None = None) -> Clocks:
    where = [LibraryEntry.status == EntryStatus.published, LibraryEntry.published_at.is_not(None)]
    if kind is not None:
        where.append(LibraryEntry.kind == kind)
    if tag is not None:
        where.append(
            LibraryEntry.id.in_(
                select(LibraryTerm.entry_id).where(
                    LibraryTerm.facet == "tag", LibraryTerm.value == tag.value
                )
            )
        )
    return read_clocks(
        session,
        select(*columns(LibraryEntry.country_code, LibraryEntry.published_at, None, None)).where(
            *where
        ),
    )


def _adoptions(session: Session) -> Clocks:
    adopter = Organisation
    return read_clocks(
        session,
        select(*columns(LibraryEntry.country_code, LibraryAdoption.created_at, None, None))
        .join(LibraryEntry, LibraryEntry.id == LibraryAdoption.entry_id)
        .join(adopter, adopter.id == LibraryAdoption.organisation_id)
        .where(adopter.country_code != LibraryEntry.country_code),
    )


def _public_reports(session: Session, *, per_country: bool) -> Clocks:
    """Public reports: received, and (as the stop) the first illegal assessment of what
    they named; per hosting country, or once each (country "")."""
    confirmed = func.min(case((ContentItem.classification.in_(_ILLEGAL), ContentItem.assessed_at)))
    country = (
        ContentItem.country_code if per_country else cast(null(), ContentItem.country_code.type)
    )
    grouped = (
        select(
            Report.id.label("report"),
            func.coalesce(country, literal("")).label("country"),
            Report.received_at.label("received"),
            confirmed.label("confirmed"),
        )
        .join(ReportItem, ReportItem.report_id == Report.id)
        .join(ContentItem, ContentItem.id == ReportItem.item_id)
        .where(Report.source == ReportSource.public)
        .group_by(
            Report.id, Report.received_at, *([ContentItem.country_code] if per_country else [])
        )
        .subquery()
    )
    return read_clocks(
        session,
        select(*columns(grouped.c.country, grouped.c.received, grouped.c.confirmed, None)),
    )


def awareness_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-4 and goal-5 indicator for each period, for ``countries`` and
    alliance-wide."""
    counted = {
        "library.campaigns": _entries(session, kind=EntryKind.campaign),
        "library.entries": _entries(session),
        "library.self_generated": _entries(session, tag=Tag.self_generated),
        "library.adoptions": _adoptions(session),
    }
    reports = _public_reports(session, per_country=True)
    each_once = _public_reports(session, per_country=False)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        for indicator, clocks in counted.items():
            watched = in_period(clocks, period, as_of)
            out += from_counts(
                indicator, period, count_by_country(watched.country), keys,
                active=known_by(clocks, period, as_of), coverage=None,
            )  # fmt: skip
        by_country = in_period(reports, period, as_of)
        alliance = in_period(each_once, period, as_of)
        counts = count_by_country(by_country.country)
        counts[ALLIANCE] = len(alliance.country)
        out += from_counts(
            "reports.public", period, counts, keys,
            active=known_by(reports, period, as_of) | known_by(each_once, period, as_of),
            coverage=None,
        )  # fmt: skip
        confirmed = ended_by_country(by_country)
        confirmed[ALLIANCE] = ended_by_country(alliance)[ALLIANCE]  # each report once
        out += from_shares("reports.public_confirmed", period, confirmed, keys)
    return out
