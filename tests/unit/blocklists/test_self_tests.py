"""Subscribers record their quarterly blocking self-tests; each sees its own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from alliance.blocklists import self_tests
from alliance.blocklists.models import SelfTestResult
from alliance.blocklists.schemas import SelfTestIn
from alliance.db.base import utcnow
from alliance.db.listing import Listing
from alliance.errors import InvalidInput, PermissionDenied
from tests.unit.blocklists.conftest import Members


def _test(day: date, quarter: str | None = None) -> SelfTestIn:
    return SelfTestIn(
        quarter=quarter or self_tests.quarter_of(day),
        tested_on=day,
        result=SelfTestResult.passed,
        note="every test URL answered the block page",
    )


def test_each_subscriber_records_and_sees_its_own(session: Session, members: Members) -> None:
    today = utcnow().date()
    self_tests.record_self_test(session, members.reviewer, _test(today))
    self_tests.record_self_test(session, members.other_reviewer, _test(today))
    mine, total = self_tests.list_self_tests(session, members.reviewer, Listing())
    assert total == 1 and mine[0].organisation_id == members.reviewer.organisation_id
    assert self_tests.list_self_tests(session, members.admin, Listing())[1] == 2
    with pytest.raises(PermissionDenied):
        self_tests.record_self_test(session, members.viewer, _test(today))


def test_the_date_must_fall_in_the_quarter_and_not_ahead(
    session: Session, members: Members
) -> None:
    with pytest.raises(InvalidInput, match="is in 2026-Q1, not 2026-Q2"):
        self_tests.record_self_test(session, members.reviewer, _test(date(2026, 3, 31), "2026-Q2"))
    tomorrow = utcnow().date() + timedelta(days=1)
    with pytest.raises(InvalidInput, match="future"):
        self_tests.record_self_test(session, members.reviewer, _test(tomorrow))
    with pytest.raises(ValueError, match="YYYY-Qn"):
        SelfTestIn(quarter="2026-4", tested_on=date(2026, 1, 1), result=SelfTestResult.failed)
