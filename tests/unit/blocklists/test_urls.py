"""The URL list follows takedown: confirmed live pages are listed, removed ones leave."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance import references
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.blocklists import lists, urls
from alliance.blocklists.models import DelistReason, ListedUrl, ListName
from alliance.db.base import utcnow
from alliance.db.listing import Listing
from alliance.takedown.models import Hold, HoldTarget, ItemStage
from tests import factories
from tests.unit.blocklists.conftest import Members

PAGE = "http://photos.example.test/gallery/a.png"


def _entry(session: Session, url: str = PAGE) -> ListedUrl:
    return session.execute(select(ListedUrl).where(ListedUrl.url == url)).scalar_one()


def _events(session: Session, event: EventType) -> int:
    return len(session.execute(select(AuditEvent).where(AuditEvent.event_type == str(event))).all())


def test_a_confirmed_live_page_is_listed_once(session: Session) -> None:
    item = factories.content_item(session, PAGE, stage="notified")
    before = lists.sequences(session)[ListName.urls]
    done = urls.refresh(session)
    assert done.listed == [PAGE] and done.delisted == []
    entry = _entry(session)
    assert (entry.item_id, entry.category.value, entry.listed) == (item.id, "baseline", True)
    assert entry.changed_seq == before + 1 == lists.sequences(session)[ListName.urls]
    assert _events(session, EventType.BLOCKLIST_URL_LISTED) == 1
    # Nothing differs: nothing changes, no number is taken.
    assert urls.refresh(session).listed == []
    assert lists.sequences(session)[ListName.urls] == before + 1


def test_only_pages_assessed_illegal_and_still_up_are_listed(session: Session) -> None:
    factories.content_item(session, "http://a.example.test/1", stage="awaiting_assessment",
                           classification=None)  # fmt: skip
    factories.content_item(session, "http://a.example.test/2", stage="closed",
                           classification="not_illegal")  # fmt: skip
    factories.content_item(session, "http://a.example.test/3", stage="removed")
    factories.content_item(session, "http://a.example.test/4", stage="notice_pending",
                           classification="national")  # fmt: skip
    assert urls.refresh(session).listed == ["http://a.example.test/4"]
    assert _entry(session, "http://a.example.test/4").category.value == "national"


def test_a_page_taken_down_leaves_the_list(session: Session) -> None:
    removed = factories.content_item(session, PAGE)
    closed = factories.content_item(session, "http://b.example.test/x")
    urls.refresh(session)
    removed.stage, removed.open_url = ItemStage.removed, None
    closed.stage, closed.open_url = ItemStage.closed, None
    session.flush()
    done = urls.refresh(session)
    assert sorted(done.delisted) == sorted([PAGE, "http://b.example.test/x"])
    assert _entry(session).delist_reason is DelistReason.removed
    assert _entry(session, "http://b.example.test/x").delist_reason is DelistReason.closed
    assert _events(session, EventType.BLOCKLIST_URL_DELISTED) == 2
    # The delisting is a change with a number of its own (a delta carries it).
    assert _entry(session).changed_seq == lists.sequences(session)[ListName.urls] - 1


def test_a_held_page_waits_off_the_list_until_the_hold_ends(
    session: Session, members: Members
) -> None:
    factories.content_item(session, PAGE)
    police = factories.organisation(session)
    hold = Hold(
        reference=references.new("H"),
        organisation_id=police.id,
        target_type=HoldTarget.domain,
        target_value="photos.example.test",
        reason="operation",
        placed_by="test",
        expires_at=utcnow() + timedelta(days=1),
    )
    session.add(hold)
    session.flush()
    done = urls.refresh(session)
    assert (done.listed, done.held) == ([], 1)
    hold.released_at = utcnow()
    session.flush()
    assert urls.refresh(session).listed == [PAGE]


def test_a_page_put_back_up_is_listed_again_on_its_row(session: Session) -> None:
    first = factories.content_item(session, PAGE)
    urls.refresh(session)
    first.stage, first.open_url = ItemStage.removed, None
    session.flush()
    urls.refresh(session)
    again = factories.content_item(session, PAGE)  # a re-appearance, confirmed again
    assert urls.refresh(session).listed == [PAGE]
    entry = _entry(session)
    assert (entry.item_id, entry.listed, entry.delist_reason) == (again.id, True, None)


def test_listing_reads_the_list(session: Session, members: Members) -> None:
    factories.content_item(session, PAGE)
    factories.content_item(session, "http://b.example.test/%25_x")
    urls.refresh(session)
    page, total = urls.list_urls(session, members.reviewer, Listing(sort="url"))
    assert total == 2 and page[0].url == "http://b.example.test/%25_x"
    found, total = urls.list_urls(session, members.reviewer, Listing(), q="%25_")
    assert total == 1 and found[0].host == "b.example.test"


def test_a_page_waits_off_the_list_while_the_police_window_is_open(session: Session) -> None:
    item = factories.content_item(session, PAGE, stage="notice_pending")
    item.lea_window_ends_at = utcnow() + timedelta(hours=24)
    session.flush()
    assert urls.refresh(session).listed == []
    item.lea_window_ends_at = utcnow() - timedelta(seconds=1)  # closed (or cleared early)
    session.flush()
    assert urls.refresh(session).listed == [PAGE]
