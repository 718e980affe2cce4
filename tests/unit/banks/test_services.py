"""Banks: visibility, contribution, verification, tombstones, matching, feedback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.banks import services as banks
from alliance.banks.models import MatchEvent
from alliance.banks.schemas import (
    BankIn,
    Classification,
    EntryIn,
    FeedbackIn,
    MatchRequest,
    SignalIn,
)
from alliance.db.listing import Listing
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests import factories
from tests.factories import flip_bits, pdq_hex


@pytest.fixture
def setting(session: Session) -> dict[str, object]:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    industry = factories.organisation(session, OrgKind.industry, "US")
    police = factories.organisation(session, OrgKind.law_enforcement, "NL")
    analysts = [
        factories.principal(factories.user(session, hotline, Role.analyst)) for _ in range(3)
    ]
    reviewer = factories.principal(factories.user(session, industry, Role.reviewer))
    investigator = factories.principal(factories.user(session, police, Role.investigator))
    bank = factories.bank(session, hotline, name="baseline-nl")
    return {
        "hotline": hotline,
        "industry": industry,
        "analysts": analysts,
        "reviewer": reviewer,
        "investigator": investigator,
        "bank": bank,
    }


def _pdq(seed: int, **classification: object) -> EntryIn:
    return EntryIn(
        signal_type="pdq",
        signal=pdq_hex(seed),
        classification=Classification.model_validate(classification),
    )


def test_bank_name_collision_is_409(session: Session, setting: dict) -> None:
    with pytest.raises(Conflict):
        factories.bank(session, setting["hotline"], name="baseline-nl")


def test_scope_is_validated() -> None:
    assert BankIn(name="b-nl", scope="national:nl").scope == "national:NL"
    with pytest.raises(ValueError, match="baseline, policy or national"):
        BankIn(name="b-nl", scope="national:Netherlands")


def test_visibility_follows_subscription_rules(session: Session, setting: dict) -> None:
    reviewer, investigator = setting["reviewer"], setting["investigator"]
    assert [b.name for b in banks.visible_banks(session, reviewer)] == ["baseline-nl"]
    # LEA is not among subscriber kinds: the bank does not exist for it.
    assert banks.visible_banks(session, investigator) == []
    with pytest.raises(NotFound):
        banks.get_bank(session, investigator, "baseline-nl")
    nl_only = factories.bank(
        session, setting["hotline"], name="nl-only", subscriber_countries=("NL",)
    )
    assert not banks.can_see(reviewer, nl_only)  # reviewer's organisation is in the US


def test_add_entries_all_or_nothing_with_position(session: Session, setting: dict) -> None:
    analyst = setting["analysts"][0]
    with pytest.raises(InvalidInput, match="entry 2: "):
        banks.add_entries(
            session,
            analyst,
            "baseline-nl",
            [_pdq(1), EntryIn(signal_type="pdq", signal="not-a-hash"), _pdq(3)],
        )
    assert banks.list_entries(session, analyst, "baseline-nl") == []
    with pytest.raises(InvalidInput, match="unknown signal type"):
        banks.add_entries(
            session, analyst, "baseline-nl", [EntryIn(signal_type="photodna", signal="abc")]
        )
    assert setting["bank"].sequence == 0


def test_add_update_remove_and_sequence(session: Session, setting: dict) -> None:
    analyst = setting["analysts"][0]
    added = banks.add_entries(
        session,
        analyst,
        "baseline-nl",
        [
            _pdq(1, baseline=True, iwf="A"),
            EntryIn(signal_type="md5", signal="D41D8CD98F00B204E9800998ECF8427E"),
        ],
    )
    assert added.added == 2 and added.sequence == 1
    md5 = next(e for e in added.entries if e.signal_type == "md5")
    assert md5.signal == "d41d8cd98f00b204e9800998ecf8427e"  # normalised
    assert all(e.votes == 1 for e in added.entries)  # the contributor's own assessment
    again = banks.add_entries(session, analyst, "baseline-nl", [_pdq(1, baseline=True, iwf="A")])
    assert again.added == 0 and again.unchanged == 1 and again.sequence == 1
    changed = banks.add_entries(session, analyst, "baseline-nl", [_pdq(1, baseline=True, iwf="B")])
    assert changed.sequence == 2 and changed.entries[0].classification.iwf == "B"
    assert banks.remove_entries(session, analyst, "baseline-nl", [md5.id]) == 1
    assert banks.remove_entries(session, analyst, "baseline-nl", [md5.id]) == 0
    live = banks.list_entries(session, analyst, "baseline-nl")
    assert [e.signal_type for e in live] == ["pdq"]
    changes = banks.list_entries(session, analyst, "baseline-nl", since=2, include_removed=True)
    assert [(e.signal_type, e.removed_at is not None) for e in changes] == [("md5", True)]


def test_industry_cannot_contribute(session: Session, setting: dict) -> None:
    with pytest.raises(PermissionDenied):
        banks.add_entries(session, setting["reviewer"], "baseline-nl", [_pdq(1)])


def test_three_distinct_analysts_verify(session: Session, setting: dict) -> None:
    first, second, third = setting["analysts"]
    entry = banks.add_entries(session, first, "baseline-nl", [_pdq(5)]).entries[0]
    assert not entry.verified
    with pytest.raises(Conflict, match="already verified"):
        banks.vote(session, first, "baseline-nl", entry.id)
    banks.vote(session, second, "baseline-nl", entry.id)
    verified = banks.entry_out(banks.vote(session, third, "baseline-nl", entry.id))
    assert verified.votes == 3 and verified.verified
    assert banks.bank_out(session, setting["bank"]).verified == 1


def test_match_reports_full_context_and_records_events(session: Session, setting: dict) -> None:
    analyst, reviewer = setting["analysts"][0], setting["reviewer"]
    banks.add_entries(
        session,
        analyst,
        "baseline-nl",
        [
            _pdq(7, baseline=True, ncmec="A1"),
            EntryIn(signal_type="sha256", signal="ab" * 32, note="known file"),
        ],
    )
    response = banks.match(
        session,
        reviewer,
        MatchRequest(
            signals=[
                SignalIn(signal_type="pdq", signal=flip_bits(pdq_hex(7), 12)),
                SignalIn(signal_type="pdq", signal=flip_bits(pdq_hex(7), 40)),
                SignalIn(signal_type="sha256", signal="AB" * 32),
                SignalIn(signal_type="md5", signal="0" * 32),
            ]
        ),
    )
    near, far, exact, none = response.results
    assert [m.distance for m in near.matches] == [12]
    match = near.matches[0]
    assert match.bank == "baseline-nl" and match.classification.ncmec == "A1"
    assert match.contributor == setting["hotline"].slug and match.votes == 1
    assert far.matches == [] and none.matches == []
    assert exact.matches[0].note == "known file"
    events = session.execute(select(func.count()).select_from(MatchEvent)).scalar_one()
    assert events == 2


def test_removed_entries_stop_matching_at_once(session: Session, setting: dict) -> None:
    analyst, reviewer = setting["analysts"][0], setting["reviewer"]
    entry = banks.add_entries(session, analyst, "baseline-nl", [_pdq(9)]).entries[0]
    query = MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(9))])
    assert banks.match(session, reviewer, query).results[0].matches
    banks.remove_entries(session, analyst, "baseline-nl", [entry.id])
    assert banks.match(session, reviewer, query).results[0].matches == []


def test_suppression_bank_silences(session: Session, setting: dict) -> None:
    analyst, reviewer = setting["analysts"][0], setting["reviewer"]
    banks.add_entries(session, analyst, "baseline-nl", [_pdq(11)])
    factories.bank(session, setting["hotline"], name="known-false-positives", suppression=True)
    banks.add_entries(session, analyst, "known-false-positives", [_pdq(11)])
    result = banks.match(
        session, reviewer, MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(11))])
    ).results[0]
    assert result.matches == [] and result.suppressed_by == ["known-false-positives"]


def test_match_rejects_bad_signals(session: Session, setting: dict) -> None:
    with pytest.raises(InvalidInput):
        banks.match(
            session,
            setting["reviewer"],
            MatchRequest(signals=[SignalIn(signal_type="pdq", signal="zz")]),
        )
    with pytest.raises(NotFound):
        banks.match(
            session,
            setting["reviewer"],
            MatchRequest(
                signals=[SignalIn(signal_type="pdq", signal=pdq_hex(1))], banks=["secret-bank"]
            ),
        )


def test_feedback_counts_and_flags(session: Session, setting: dict) -> None:
    analyst, reviewer = setting["analysts"][0], setting["reviewer"]
    setting["bank"].dispute_threshold = 2
    banks.add_entries(session, analyst, "baseline-nl", [_pdq(13)])
    ids = []
    for _ in range(3):
        result = banks.match(
            session,
            reviewer,
            MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(13))]),
        ).results[0]
        ids.append(result.matches[0].match_id)
    out = banks.feedback(session, reviewer, ids[0], FeedbackIn(verdict="confirmed"))
    assert (out.confirmed, out.disputed, out.flagged) == (1, 0, False)
    with pytest.raises(Conflict):
        banks.feedback(session, reviewer, ids[0], FeedbackIn(verdict="confirmed"))
    banks.feedback(session, reviewer, ids[1], FeedbackIn(verdict="disputed", note="a logo"))
    out = banks.feedback(session, reviewer, ids[0], FeedbackIn(verdict="disputed"))
    assert (out.confirmed, out.disputed, out.flagged) == (0, 2, True)
    other = factories.principal(factories.user(session, setting["industry"], Role.reviewer))
    other_org = factories.organisation(session, OrgKind.industry, "US")
    stranger = factories.principal(factories.user(session, other_org, Role.reviewer))
    banks.feedback(session, other, ids[2], FeedbackIn(verdict="confirmed"))  # same org
    with pytest.raises(NotFound):
        banks.feedback(session, stranger, ids[2], FeedbackIn(verdict="disputed"))


def test_variants_match_and_say_which(session: Session, setting: dict) -> None:
    analyst, reviewer = setting["analysts"][0], setting["reviewer"]
    banks.add_entries(
        session,
        analyst,
        "baseline-nl",
        [
            EntryIn(
                signal_type="pdq",
                signal=pdq_hex(21),
                variants={"flip_horizontal": pdq_hex(22), "rotate90": pdq_hex(23)},
            )
        ],
    )
    result = banks.match(
        session,
        reviewer,
        MatchRequest(signals=[SignalIn(signal_type="pdq", signal=flip_bits(pdq_hex(23), 3))]),
    ).results[0]
    assert [(m.variant, m.distance) for m in result.matches] == [("rotate90", 3)]
    entry = banks.list_entries(session, analyst, "baseline-nl")[0]
    assert banks.entry_out(entry).variants == {
        "flip_horizontal": pdq_hex(22),
        "rotate90": pdq_hex(23),
    }
    with pytest.raises(InvalidInput, match="unknown variant"):
        banks.add_entries(
            session,
            analyst,
            "baseline-nl",
            [EntryIn(signal_type="pdq", signal=pdq_hex(24), variants={"sideways": pdq_hex(1)})],
        )
    with pytest.raises(InvalidInput, match="only PDQ"):
        banks.add_entries(
            session,
            analyst,
            "baseline-nl",
            [EntryIn(signal_type="md5", signal="0" * 32, variants={"rotate90": pdq_hex(1)})],
        )


def test_only_hash_changes_invalidate_the_match_index(session: Session, setting: dict) -> None:
    first, second = setting["analysts"][:2]
    bank = setting["bank"]
    entry = banks.add_entries(session, first, "baseline-nl", [_pdq(41)]).entries[0]
    after_add = bank.revision
    banks.vote(session, second, "baseline-nl", entry.id)  # a vote: same hashes
    banks.add_entries(session, first, "baseline-nl", [_pdq(41, iwf="C")])  # a relabel
    assert bank.revision == after_add and bank.sequence == 3
    banks.remove_entries(session, first, "baseline-nl", [entry.id])
    assert bank.revision != after_add
    removed = bank.revision
    banks.add_entries(session, first, "baseline-nl", [_pdq(41)])  # restored
    assert bank.revision != removed


def test_history_lists_every_event_newest_first_without_details(
    session: Session, setting: dict
) -> None:
    """The bank's history is its full event log (not each entry's latest change), paged,
    newest first, naming the actor's organisation — never another organisation's note."""
    first, second = setting["analysts"][:2]
    reviewer = setting["reviewer"]
    entry = banks.add_entries(session, first, "baseline-nl", [_pdq(21), _pdq(22)]).entries[0]
    banks.vote(session, second, "baseline-nl", entry.id)
    found = banks.match(
        session, reviewer, MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(21))])
    ).results[0]
    banks.feedback(
        session,
        reviewer,
        found.matches[0].match_id,
        FeedbackIn(verdict="disputed", note="our private note"),
    )
    banks.remove_entries(session, first, "baseline-nl", [entry.id])
    other_bank = factories.bank(session, setting["hotline"], name="other-nl")
    banks.add_entries(session, first, other_bank.name, [_pdq(23)])

    events = banks.bank_history(session, first, "baseline-nl", Listing())  # the owner
    kinds = [e.event_type for e in events]
    assert kinds == [
        EventType.BANK_ENTRIES_REMOVED,
        EventType.MATCH_FEEDBACK,
        EventType.BANK_ENTRY_VOTED,
        EventType.BANK_ENTRIES_ADDED,
        EventType.BANK_CREATED,
    ]  # newest first; the other bank's addition is not here
    removed, feedback, voted, added, _ = events
    assert (added.entries, removed.entries) == (2, 1)
    assert voted.entry_id == entry.id and feedback.entry_id == entry.id
    assert voted.organisation == setting["hotline"].name
    assert feedback.organisation == setting["industry"].name
    assert "our private note" not in repr(events)

    page = banks.bank_history(session, reviewer, "baseline-nl", Listing(limit=2, offset=2))
    assert [e.event_type for e in page] == kinds[2:4]
    oldest_first = banks.bank_history(
        session, reviewer, "baseline-nl", Listing(sort="when", descending=False)
    )
    assert [e.event_type for e in oldest_first] == kinds[::-1]


def test_history_of_a_bank_you_may_not_see_is_not_found(session: Session) -> None:
    ngo = factories.organisation(session, OrgKind.ngo, "NL")
    factories.bank(session, ngo, name="private-nl", subscriber_kinds=())
    industry = factories.organisation(session, OrgKind.industry, "US")
    outsider = factories.principal(factories.user(session, industry, Role.reviewer))
    with pytest.raises(NotFound):
        banks.bank_history(session, outsider, "private-nl", Listing())
