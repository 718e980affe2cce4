"""Appeals: only a listed URL; upheld delists it in the next delta; all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.blocklists import appeals, lists, urls
from alliance.blocklists.models import Appeal, AppealStatus, DelistReason, ListName
from alliance.blocklists.schemas import AppealDecisionIn, AppealIn
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests import factories
from tests.unit.blocklists.conftest import Members

PAGE = "http://photos.example.test/gallery/a.png"
REASON = "This page is our shop's product photo, not what the list says."


def _appeal(url: str = PAGE) -> AppealIn:
    return AppealIn(url=url, contact="owner@shop.example.test", reason=REASON)


def _count(session: Session, model: type[Appeal] | type[AuditEvent]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def listed(session: Session) -> None:
    factories.content_item(session, PAGE)
    urls.refresh(session)


@pytest.mark.usefixtures("listed")
def test_an_appeal_for_a_url_not_on_the_list_is_refused_and_nothing_written(
    session: Session,
) -> None:
    events = _count(session, AuditEvent)
    with pytest.raises(NotFound, match="is not on the URL list") as refused:
        appeals.submit_appeal(session, _appeal("http://photos.example.test/other.png"))
    assert refused.value.field == "url"
    with pytest.raises(InvalidInput) as bad:
        appeals.submit_appeal(session, _appeal("ftp://photos.example.test/a.png"))
    assert bad.value.field == "url"
    assert (_count(session, Appeal), _count(session, AuditEvent)) == (0, events)


@pytest.mark.usefixtures("listed")
def test_an_upheld_appeal_delists_the_url_in_the_next_change(
    session: Session, members: Members
) -> None:
    # The URL as the owner writes it: normalised as the list is.
    appeal = appeals.submit_appeal(session, _appeal("HTTP://Photos.Example.Test/gallery/a.png"))
    assert appeal.status is AppealStatus.pending and appeal.url == PAGE
    with pytest.raises(Conflict, match="already waiting"):
        appeals.submit_appeal(session, _appeal())
    with pytest.raises(PermissionDenied):
        appeals.decide_appeal(
            session,
            members.reviewer,
            appeal.reference,
            AppealDecisionIn(decision="upheld", outcome="x"),
        )
    before = lists.sequences(session)[ListName.urls]
    decided = appeals.decide_appeal(
        session,
        members.analyst,
        appeal.reference,
        AppealDecisionIn(decision="upheld", outcome="Assessed again: a product photo."),
    )
    assert decided.status is AppealStatus.upheld and decided.decided_at is not None
    assert decided.entry.delist_reason is DelistReason.appeal
    assert decided.entry.changed_seq == before + 1
    assert not appeals.appeal_out(decided).still_listed
    with pytest.raises(Conflict, match="already decided"):
        appeals.decide_appeal(
            session,
            members.analyst,
            appeal.reference,
            AppealDecisionIn(decision="rejected", outcome="x"),
        )
    # The same item is not listed again by the next refresh.
    assert urls.refresh(session).listed == []
    kinds = set(
        session.execute(
            select(AuditEvent.event_type).where(AuditEvent.subject_id == appeal.reference)
        ).scalars()
    )
    assert kinds == {EventType.APPEAL_RECEIVED.value, EventType.APPEAL_UPHELD.value}


@pytest.mark.usefixtures("listed")
def test_a_rejected_appeal_leaves_the_url_listed(session: Session, members: Members) -> None:
    appeal = appeals.submit_appeal(session, _appeal())
    appeals.decide_appeal(
        session,
        members.analyst,
        appeal.reference,
        AppealDecisionIn(decision="rejected", outcome="Confirmed."),
    )
    assert appeal.status is AppealStatus.rejected and appeal.entry.listed
    with pytest.raises(NotFound):
        appeals.get_appeal(session, members.analyst, "AP-NOSUCH00")
