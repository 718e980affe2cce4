"""Goal 6 on a small world worked out by hand: subscribers during a period from first
and last fetch, by sector, new ones, matches reported back, notices a hash match started,
and notices to participating companies closed as removed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import OrgKind
from alliance.banks.models import BankEntry, BankSync, MatchEvent
from alliance.hosting.models import HostingProvider
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
    hotline = factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline")
    one = factories.bank(session, name="one")
    two = factories.bank(session, name="two")
    for org, bank, first, last in [
        (nl_a, one, "2023-01-01", "2026-01-05"),  # subscribed throughout 2025
        (nl_a, two, "2025-03-01", "2025-04-01"),  # the same organisation: once
        (nl_b, one, "2025-06-01", "2025-06-02"),  # new in 2025
        (gb, one, "2023-01-01", "2024-06-01"),  # stopped fetching in 2024
        (hotline, one, "2025-09-01", "2026-05-01"),  # a hotline, new in 2025
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
    # Providers: one is the NL member nl-a (it takes part), the other is no member.
    member = HostingProvider(slug="host-nl", name="Host NL", country_code="NL", organisation=nl_a)
    other = HostingProvider(slug="host-gb", name="Host GB", country_code="GB")
    session.add_all([member, other])
    session.flush()
    for provider, country, noticed, removed, closed in [
        (member, "NL", "2025-05-01", "2025-05-02", None),  # removed in the year
        (member, "NL", "2025-12-30", "2026-01-02", None),  # removed, but after the year
        (member, "NL", "2025-06-01", None, "2025-07-01"),  # closed without removal
        (member, "NL", "2024-05-01", "2024-05-02", None),  # noticed the year before
        (other, "GB", "2025-05-01", "2025-05-02", None),  # not a participating company
    ]:
        reference = references.new("I")
        session.add(
            ContentItem(
                reference=reference, url=f"http://{reference.lower()}.example.test/",
                host=f"{reference.lower()}.example.test", stage=ItemStage.closed,
                country_code=country, provider_id=provider.id,
                received_at=at(f"{noticed}T00:00"), first_notice_at=at(f"{noticed}T01:00"),
                removed_at=at(f"{removed}T00:00") if removed else None,
                closed_at=at(f"{closed or removed}T00:00"), notice_count=1,
            )
        )  # fmt: skip
    session.flush()


def test_industry(session: Session, world: None) -> None:
    found = industry_values(session, [YEAR], ["NL", "GB", "FR"], AS_OF)
    v: dict[tuple[str, str | None], Value] = {(x.indicator, x.country): x for x in found}

    def read(indicator: str) -> dict[str | None, object]:
        return {
            c: v[(indicator, c)].value if v[(indicator, c)].status is Status.ok else "no data"
            for c in (None, "NL", "GB", "FR")
        }

    assert read("banks.subscribers") == {None: 3, "NL": 3, "GB": 0, "FR": "no data"}
    assert read("banks.subscribers_industry") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    assert read("banks.subscribers_hotlines") == {None: 1, "NL": 1, "GB": 0, "FR": "no data"}
    for sector in ("law_enforcement", "other"):
        assert read(f"banks.subscribers_{sector}") == {None: 0, "NL": 0, "GB": 0, "FR": "no data"}
    assert read("banks.new_subscribers") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    assert read("banks.matches") == {None: 2, "NL": 2, "GB": 0, "FR": "no data"}
    # Items first noticed in 2025: NL 1 scanner of 6, GB 1 of 2 (the providers' too).
    assert read("takedown.from_hash_matches") == {
        None: 0.25,
        "NL": pytest.approx(1 / 6, abs=1e-4),
        "GB": 0.5,
        "FR": "no data",
    }
    # To the participating company: 3 noticed in 2025, 1 removed by the year's end.
    assert read("takedown.participating_removed") == {
        None: pytest.approx(1 / 3, abs=1e-4),
        "NL": pytest.approx(1 / 3, abs=1e-4),
        "GB": "no data",
        "FR": "no data",
    }
    assert v[("takedown.participating_removed", "NL")].n == 3
