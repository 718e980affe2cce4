"""The demo library: published entries of several countries with adoptions, one NL draft,
and an NL campaign left for the GB editor to adopt."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.demo import library as demo
from alliance.library import entries
from alliance.library.search import LibraryQuery, search_entries
from tests import factories


def test_build(session: Session) -> None:
    for cc in ("NL", "GB", "US", "PH"):
        low = cc.lower()
        hotline = factories.organisation(session, OrgKind.hotline, cc, slug=f"{low}-hotline")
        factories.user(session, hotline, Role.analyst, username=f"{low}-analyst")
        factories.user(session, hotline, Role.org_admin, username=f"{low}-hotline-admin")
    for cc in ("NL", "GB"):
        gov = factories.organisation(
            session, OrgKind.government, cc, slug=f"{cc.lower()}-government"
        )
        gb_editor = factories.user(session, gov, Role.country_editor, username=f"{cc}-ed")
    built = demo.build(session, factories.OPERATOR)
    assert built == len(demo.ENTRIES) + len(demo.yearly_campaigns(date.today())) > 20
    found, total = search_entries(session, None, LibraryQuery(tags=["self_generated"]))
    assert total >= 3 and {e.country_code for e in found} >= {"NL", "GB"}
    everything, _ = search_entries(session, factories.OPERATOR, LibraryQuery(status=""))
    assert any(e.status == "draft" and e.country_code == "NL" for e in everything)
    assert sum(len(e.adoptions) for e in everything) >= 5
    (open_campaign,) = [e for e in everything if e.title == demo.UNADOPTED_NL_CAMPAIGN]
    assert open_campaign.kind == "campaign" and open_campaign.status == "published"
    assert entries.may_adopt(factories.principal(gb_editor), open_campaign)
