"""Blocking self-tests: each subscriber that blocks with the lists records, every quarter,
that it tested its blocking (as the IWF asks its URL list members to self-certify).

A test is recorded by the subscriber for itself (its own organisation), never for
another; the secretariat reads every subscriber's, to see who tested this quarter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.blocklists.models import SelfTest
from alliance.blocklists.schemas import SelfTestIn, SelfTestOut
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import InvalidInput

SELF_TEST_SORTS: dict[str, Any] = {
    "quarter": SelfTest.quarter,
    "tested_on": SelfTest.tested_on,
    "result": SelfTest.result,
    "recorded_at": SelfTest.recorded_at,
}


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def record_self_test(session: Session, principal: Principal, data: SelfTestIn) -> SelfTest:
    """Record the actor's organisation's test; the date must fall in the quarter named
    and not in the future."""
    authorize(principal, Permission.SELF_TEST_RECORD)
    if principal.organisation_id is None:
        raise InvalidInput("a self-test is recorded by a subscriber's user or API key")
    if data.tested_on > utcnow().date():
        raise InvalidInput("the test date is in the future", field="tested_on")
    if quarter_of(data.tested_on) != data.quarter:
        raise InvalidInput(
            f"{data.tested_on.isoformat()} is in {quarter_of(data.tested_on)}, not {data.quarter}",
            field="tested_on",
        )
    test = SelfTest(
        organisation_id=principal.organisation_id,
        quarter=data.quarter,
        tested_on=data.tested_on,
        result=data.result,
        note=data.note,
        recorded_by=principal.audit_label,
        recorded_at=utcnow(),
    )
    session.add(test)
    session.flush()
    record(
        session,
        principal,
        EventType.SELF_TEST_RECORDED,
        "blocking_self_test",
        test.id,
        {"quarter": data.quarter, "result": data.result.value},
    )
    return test


def list_self_tests(
    session: Session, principal: Principal, listing: Listing
) -> tuple[list[SelfTest], int]:
    """The organisation's own tests; every subscriber's for the secretariat."""
    authorize(principal, Permission.SELF_TEST_READ)
    where = []
    if principal.reach(Permission.SELF_TEST_READ) is not Reach.ALL:
        where.append(SelfTest.organisation_id == principal.organisation_id)
    total = session.execute(select(func.count(SelfTest.id)).where(*where)).scalar_one()
    stmt = ordered(select(SelfTest).where(*where), listing, SELF_TEST_SORTS, [SelfTest.id.asc()])
    return list(session.execute(stmt).unique().scalars()), int(total)


def self_test_out(test: SelfTest) -> SelfTestOut:
    return SelfTestOut(
        id=test.id,
        organisation=test.organisation.slug,
        quarter=test.quarter,
        tested_on=test.tested_on,
        result=test.result,
        note=test.note,
        recorded_by=test.recorded_by,
        recorded_at=test.recorded_at,
    )
