"""Goal 6 on a small world worked out by hand: subscribers during a period from first
and last fetch, new ones, matches reported back, and notices a hash match started."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import OrgKind
from alliance.banks.models import BankEntry, BankSync, MatchEvent
from alliance.reports.industry import industry_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.takedown.models import ContentItem, ItemStage, Report, ReportItem, ReportSource
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def world(session: Session) -> None:
    nl_a = factories.organisation(session, OrgKind.industry, "NL", slug="nl-a")
    nl_b = factories.organisation(session, OrgKind.industry, "NL", slug="nl-b")
    gb = factories.organisation(session, OrgKind.industry, "GB", slug="gb-a")
    one = factories.bank(session, name="one")
    two = factories.bank(session, name="two")
    for org, bank, first, last in [
        (nl_a, one, "2023-01-01", "2026-01-05"),  # subscribed throughout 2025
        (nl_a, two, "2025-03-01", "2025-04-01"),  # the same organisation: once
        (nl_b, one, "2025-06-01", "2025-06-02"),  # new in 2025
        (gb, one, "2023-01-01", "2024-06-01"),  # stopped fetching in 2024
    ]:
        session.add(
            BankSync(
                bank_id=bank.id, organisation_id=org.id, checkpoint=0, kind="snapshot",
                first_synced_at=at(f"{first}T00:00"), synced_at=at(f"{last}T00:00"),
            )
        )  # fmt: skip
    entry = BankEntry(
        bank_id=one.id, signal_type="pdq", signal_value=factories.pdq_hex(1),
        contributor_organisation_id=nl_a.id, changed_seq=1,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    for org, when in [(nl_a, "2025-02-01"), (nl_b, "2025-07-01"), (gb, "2024-01-01")]:
        session.add(
            MatchEvent(
                entry_id=entry.id, bank_id=one.id, organisation_id=org.id, actor="test",
                signal_type="pdq", distance=0, matched_at=at(f"{when}T00:00"),
            )
        )  # fmt: skip
    for country, scanner, noticed in [
        ("NL", True, "2025-03-01"),
        ("NL", False, "2025-03-02"),
        ("NL", False, "2025-03-03"),
        ("GB", True, "2025-03-04"),
        ("GB", True, "2024-03-04"),  # noticed the year before
    ]:
        reference = references.new("I")
        item = ContentItem(
            reference=reference, url=f"http://{reference.lower()}.example.test/",
            host=f"{reference.lower()}.example.test", stage=ItemStage.notified,
            country_code=country, received_at=at(f"{noticed}T00:00"),
            first_notice_at=at(f"{noticed}T01:00"), notice_count=1,
        )  # fmt: skip
        session.add(item)
        made = Report(
            reference=references.new("R"),
            source=ReportSource.scanner if scanner else ReportSource.public,
            actor="test",
            received_at=at(f"{noticed}T00:00"),
        )
        session.add(made)
        session.flush()
        session.add(ReportItem(report_id=made.id, item_id=item.id, submitted_url=item.url))
    session.flush()


def test_industry(session: Session, world: None) -> None:
    found = industry_values(session, [YEAR], ["NL", "GB", "FR"], AS_OF)
    v: dict[tuple[str, str | None], Value] = {(x.indicator, x.country): x for x in found}

    def read(indicator: str) -> dict[str | None, object]:
        return {
            c: v[(indicator, c)].value if v[(indicator, c)].status is Status.ok else "no data"
            for c in (None, "NL", "GB", "FR")
        }

    assert read("banks.subscribers") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    assert read("banks.new_subscribers") == {None: 1, "NL": 1, "GB": 0, "FR": "no data"}
    assert read("banks.matches") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    assert read("takedown.from_hash_matches") == {
        None: 0.5,
        "NL": pytest.approx(1 / 3, abs=1e-4),
        "GB": 1,
        "FR": "no data",
    }
