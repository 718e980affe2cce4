"""Words for codes (label) and times in the reader's zone to the minute (when)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from alliance.accounts.permissions import OrgKind, Reach, Role
from alliance.audit.events import EventType
from alliance.blocklists import models as blocklists
from alliance.cooperation.models import TargetKind
from alliance.hashing import variants
from alliance.hashing.signal_type import IndexKind
from alliance.industry import models as industry
from alliance.legal.models import Coverage, CriterionStatus
from alliance.library.vocabulary import Audience, EntryKind, Tag
from alliance.review import models as review
from alliance.settings import Mode
from alliance.takedown import models as takedown
from alliance.victims import models as victims
from alliance.victims.exchange import RecordFormat
from alliance.victims.formats import MediaType, SeizureFormat
from alliance.web.labels import LABELS, label, query_form, when, zone

#: Every enum whose values reach a page, other than the permissions.
SHOWN: list[type[StrEnum]] = [
    blocklists.UrlCategory,
    blocklists.DelistReason,
    blocklists.KeywordCategory,
    blocklists.AppealStatus,
    blocklists.SelfTestResult,
    review.CaseStatus,
    review.DecisionKind,
    review.RuleAction,
    review.EffectOutcome,
    review.FeedbackState,
    industry.Priority,
    industry.ReportStatus,
    industry.RoutingBasis,
    industry.StepKind,
    industry.Outcome,
    EntryKind,
    Audience,
    Tag,
    OrgKind,
    Role,
    Reach,
    TargetKind,
    IndexKind,
    Mode,
    EventType,
    RecordFormat,
    MediaType,
    SeizureFormat,
    takedown.ReportSource,
    takedown.ItemStage,
    takedown.EventKind,
    takedown.Classification,
    takedown.AgeGroup,
    takedown.Gender,
    takedown.ContentType,
    CriterionStatus,
    Coverage,
    takedown.SiteType,
    takedown.Commerciality,
    takedown.HoldTarget,
    takedown.ActionKind,
    takedown.ActionStatus,
    takedown.NoticeChannel,
    takedown.NoticeStatus,
    victims.SeriesStatus,
    victims.AgencyRole,
    victims.AgeGroup,
    victims.VictimStatus,
    victims.Verdict,
    victims.ReferralStatus,
]


def test_label_uses_the_table_then_the_words_of_the_code() -> None:
    assert label(takedown.ItemStage.awaiting_assessment) == "Awaiting assessment"
    assert label(takedown.ItemStage.notice_pending) == "Notice pending"
    assert label("awaiting_assessment") == "Awaiting assessment"  # a plain code string
    assert label(None) == "—"
    assert label(Role.investigator) == "LEA investigator"
    assert label(OrgKind.ngo) == "NGO" and label(OrgKind.law_enforcement) == "Law enforcement"
    assert label(TargetKind.url) == "URL" and label(takedown.HoldTarget.url) == "URL"
    assert label(IndexKind.pdq) == "PDQ"
    assert label(takedown.EventKind.lea_informed) == "LEA informed"
    assert label(takedown.AgeGroup.pre_pubescent) == "Pre-pubescent"
    assert label(SeizureFormat.jsonl) == "JSON Lines" and label(RecordFormat.vics) == "VICS"
    assert label(EventType.LOGIN_SUCCEEDED) == "Logged in"


def test_equal_codes_of_two_enums_keep_their_own_words() -> None:
    # "closed" is a stage of an item and of a series; "unresolved" only of an item.
    assert label(takedown.ItemStage.unresolved) == "Unresolved (no hosting country)"
    assert label(takedown.EventKind.unresolved) == "Unresolved"
    assert label(victims.Verdict.near) == "Near-duplicate"


@pytest.mark.parametrize("enum", SHOWN, ids=lambda e: f"{e.__module__}.{e.__name__}")
def test_every_shown_value_reads_as_words(enum: type[StrEnum]) -> None:
    for member in enum:
        text = label(member)
        assert text[:1].isupper() or text == "vPDQ", (member, text)  # Meta's spelling
        assert "_" not in text and ":" not in text and "." not in text, (member, text)


def test_every_audit_event_type_has_words() -> None:
    for event in EventType:
        assert ("EventType", event.value) in LABELS, event


def test_the_table_holds_only_real_values() -> None:
    known = {(e.__name__, m.value) for e in SHOWN for m in e}
    stale = [key for key in LABELS if key not in known and key[0] != "Permission"]
    assert stale == []


@pytest.mark.parametrize(
    ("moment", "tz", "shown"),
    [
        # Summer and winter time in Berlin, to the minute (seconds dropped, not rounded).
        (datetime(2026, 7, 1, 12, 34, 59, tzinfo=UTC), "Europe/Berlin", "2026-07-01 14:34 CEST"),
        (datetime(2026, 1, 15, 23, 5, tzinfo=UTC), "Europe/Berlin", "2026-01-16 00:05 CET"),
        (datetime(2026, 7, 1, 3, 0, tzinfo=UTC), "America/New_York", "2026-06-30 23:00 EDT"),
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Asia/Kolkata", "2026-07-01 17:30 IST"),
        # A naive time is stored UTC; an unknown or missing zone shows UTC.
        (datetime(2026, 7, 1, 12, 34, 5, 123456), "Europe/Berlin", "2026-07-01 14:34 CEST"),
        (datetime(2026, 7, 1, 12, 34, tzinfo=UTC), "Not/AZone", "2026-07-01 12:34 UTC"),
        (datetime(2026, 7, 1, 12, 34, tzinfo=UTC), None, "2026-07-01 12:34 UTC"),
        (datetime(2026, 7, 1, 12, 34, tzinfo=UTC), "../../etc/passwd", "2026-07-01 12:34 UTC"),
    ],
)
def test_when_shows_the_readers_zone_to_the_minute(
    moment: datetime, tz: str | None, shown: str
) -> None:
    assert when(moment, tz=zone(tz)) == shown


def test_when_of_a_date_or_nothing() -> None:
    assert when(date(2026, 3, 9), tz=ZoneInfo("Europe/Berlin")) == "2026-03-09"
    assert when(None) == "—"
    assert when(datetime(2026, 3, 9, 8, 0, tzinfo=UTC)) == "2026-03-09 08:00 UTC"


def test_every_query_form_reads_as_words() -> None:
    """The match page says which form of the upload met the bank: each form a query can
    send has words of its own, not its code read aloud."""
    bridge = Path(__file__).resolve().parents[2] / "data" / "pdq-reference" / "bridge-mods"
    with Image.open(bridge / "aaa-orig.jpg") as photo:
        tilted = photo.convert("RGB").rotate(4, expand=True, fillcolor=(0, 0, 0))
    framed = Image.new("RGB", (tilted.width + 60, tilted.height + 40), (250, 250, 250))
    framed.paste(tilted, (30, 20))
    buffer = io.BytesIO()
    framed.save(buffer, "PNG")
    names = set(variants.query_hashes(buffer.getvalue())) - {"original"}
    # A video's forms (alliance.hashing.video.query_videos).
    names |= {"resampled", "flip_horizontal", "unletterbox", "unletterbox_flip_horizontal"}
    names |= {"enlarged", "enlarged_flip_horizontal", "unletterbox_enlarged"}
    names |= {"unletterbox_enlarged_flip_horizontal"}
    names |= {"centred", "centred_flip_horizontal", "unletterbox_centred"}
    names |= {"unletterbox_centred_flip_horizontal"}
    assert {"derotate", "unletterbox_loose", "untilt"} <= names
    for name in names:
        words = query_form(name)
        assert "_" not in words and words != label(name), name
