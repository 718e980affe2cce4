"""Goals 4 and 5 on a small world worked out by hand: library entries and campaigns by
publication, adoptions abroad only, and public reports counted once alliance-wide but for
each hosting country they named, with the share confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.library.models import LibraryAdoption, LibraryEntry, LibraryTerm
from alliance.library.vocabulary import EntryKind, EntryStatus
from alliance.reports.awareness import awareness_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.takedown.models import (
    Classification,
    ContentItem,
    ItemStage,
    Report,
    ReportItem,
    ReportSource,
)
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry(
    session: Session, owner: Organisation, kind: EntryKind, published: str | None,
    *, self_generated: bool = False,
) -> LibraryEntry:  # fmt: skip
    made = LibraryEntry(
        kind=kind,
        title="An entry",
        country_code=owner.country_code,
        organisation_id=owner.id,
        status=EntryStatus.published if published else EntryStatus.draft,
        published_at=at(published) if published else None,
    )
    if self_generated:
        made.terms = [LibraryTerm(facet="tag", value="self_generated")]
    session.add(made)
    session.flush()
    return made


def content(session: Session, country: str | None, illegal_on: str | None) -> ContentItem:
    reference = references.new("I")
    made = ContentItem(
        reference=reference,
        url=f"http://{reference.lower()}.example.test/",
        host=f"{reference.lower()}.example.test",
        stage=ItemStage.awaiting_assessment,
        classification=Classification.baseline if illegal_on else None,
        assessed_at=at(illegal_on) if illegal_on else None,
        country_code=country,
        received_at=at("2025-01-01T00:00"),
    )
    session.add(made)
    session.flush()
    return made


def report(session: Session, received: str, items: list[ContentItem], source: ReportSource) -> None:
    made = Report(
        reference=references.new("R"), source=source, actor="test", received_at=at(received)
    )
    session.add(made)
    session.flush()
    for named in items:
        session.add(ReportItem(report_id=made.id, item_id=named.id, submitted_url=named.url))
    session.flush()


@pytest.fixture
def world(session: Session) -> None:
    nl = factories.organisation(session, OrgKind.ngo, "NL", slug="nl-ngo")
    gb = factories.organisation(session, OrgKind.ngo, "GB", slug="gb-ngo")
    nl2 = factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline")
    campaign = entry(session, nl, EntryKind.campaign, "2025-02-01T00:00", self_generated=True)
    entry(session, nl, EntryKind.guidance, "2025-03-01T00:00")
    entry(session, nl, EntryKind.campaign, None)  # a draft
    entry(session, gb, EntryKind.research, "2024-05-01T00:00")  # GB: before 2025
    for adopter, adopted in ((gb, "2025-04-01T00:00"), (nl2, "2025-04-02T00:00")):
        session.add(
            LibraryAdoption(
                entry_id=campaign.id, organisation_id=adopter.id, created_at=at(adopted)
            )
        )
    session.flush()
    nl_item = content(session, "NL", "2025-05-02T00:00")
    gb_item = content(session, "GB", None)
    nowhere = content(session, None, "2025-05-03T00:00")
    report(session, "2025-05-01T00:00", [nl_item, gb_item], ReportSource.public)  # NL and GB
    report(session, "2025-06-01T00:00", [gb_item], ReportSource.public)  # GB, not confirmed
    report(session, "2025-07-01T00:00", [nowhere], ReportSource.public)  # no country
    report(session, "2025-07-02T00:00", [nl_item], ReportSource.hotline)  # not the public's


def test_library(session: Session, world: None) -> None:
    found = awareness_values(session, [YEAR], ["NL", "GB", "FR"], AS_OF)
    v: dict[tuple[str, str | None], Value] = {(x.indicator, x.country): x for x in found}

    def read(indicator: str) -> dict[str | None, object]:
        return {
            c: v[(indicator, c)].value if v[(indicator, c)].status is Status.ok else "no data"
            for c in (None, "NL", "GB", "FR")
        }

    assert read("library.campaigns") == {None: 1, "NL": 1, "GB": "no data", "FR": "no data"}
    assert read("library.entries") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    assert read("library.self_generated") == {None: 1, "NL": 1, "GB": "no data", "FR": "no data"}
    # Adopted by GB (abroad) counts for NL; by another NL organisation it does not.
    assert read("library.adoptions") == {None: 1, "NL": 1, "GB": "no data", "FR": "no data"}
    # Public reports: 3 alliance-wide; NL named by one, GB by two.
    assert read("reports.public") == {None: 3, "NL": 1, "GB": 2, "FR": "no data"}
    # Confirmed: the first (its NL item) and the third; GB's two named only GB's item.
    assert read("reports.public_confirmed") == {
        None: pytest.approx(2 / 3, abs=1e-4),
        "NL": 1,
        "GB": 0,
        "FR": "no data",
    }
