"""The demo commitments: several countries over three cycles, some published, the
Netherlands' current cycle a draft; deterministic."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from alliance.countries import commitments, register
from alliance.countries.models import CommitmentStatus
from alliance.countries.schemas import MemberCountryIn
from alliance.demo import commitments as demo
from alliance.reports.catalogue import catalogue
from tests import factories


def test_demo_commitments(session: Session) -> None:
    for code in demo.COUNTRIES:
        register.add_country(
            session, factories.OPERATOR, MemberCountryIn(code=code, joined_on=date(2012, 12, 5))
        )
    written = demo.build(session, factories.OPERATOR, 7)
    assert written > 80
    year = datetime.now(UTC).year
    every = commitments.list_commitments(session, factories.OPERATOR)
    nl_now = [c for c in every if c.country_code == "NL" and c.cycle == year]
    assert len(nl_now) == 4 and {c.status for c in nl_now} == {CommitmentStatus.draft}
    published = commitments.list_commitments(session, None)
    assert {c.cycle for c in published} >= {year - 2, year - 1}
    assert len({c.country_code for c in published}) == len(demo.COUNTRIES)
    assert any(len(c.versions) > 1 for c in every)
    assert commitments.list_submitted(session, factories.OPERATOR)
    assert all(c.current.references for c in every)


def test_demo_actions_cite_only_indicators_the_report_computes() -> None:
    """The demo's texts link their actions to indicators of the progress report's
    catalogue, so that the report can show the figure beside the action."""
    cited = {
        ref.removeprefix("indicator:")
        for lines in demo.ACTIONS.values()
        for group in lines
        for line in group
        for ref in re.findall(r"\[\[(indicator:[^\]]+)\]\]", line)
    }
    assert cited and cited <= set(catalogue())
