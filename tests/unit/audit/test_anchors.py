"""Signed heads (anchors): a chain rewritten so that it is consistent again — edited and
re-hashed, its tail cut, or wiped — still fails against an anchor kept outside."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from alliance.audit.anchors import (
    export_lines,
    parse_lines,
    sign_head,
    sign_head_if_due,
    stored,
    verify_and_sign,
    verify_chain,
)
from alliance.audit.models import AuditHead
from alliance.audit.services import TamperDetected, verify
from alliance.errors import InvalidInput
from alliance.signing import SignatureInvalid, Signer
from tests.support.audit_forgery import (
    KEY,
    PLATFORM,
    add_events,
    cut_tail,
    export_anchors,
    forget_anchors,
    rehash_from,
    wipe,
)


def test_a_clean_chain_passes_its_anchors_and_later_ones(session: Session) -> None:
    add_events(session, 5)
    first = export_anchors(session)
    assert [(h.seq, h.platform) for h in first] == [(5, PLATFORM)]
    assert first[0].public_key_sha256 == KEY.fingerprint
    assert first[0].key_id == KEY.key_id
    add_events(session, 3)
    result = verify_and_sign(session, KEY, PLATFORM, given=first)
    assert result.ok, result.reason
    assert (result.checked, result.anchors_checked, result.anchored_seq) == (8, 2, 8)
    assert [a.seq for a in stored(session)] == [5, 8]
    later = parse_lines(list(export_lines(session)))
    assert verify_chain(session, KEY.public_key, given=first + later, platform=PLATFORM).ok


def test_signing_the_same_head_twice_keeps_one_anchor(session: Session) -> None:
    assert sign_head(session, KEY, PLATFORM) is None  # nothing to sign yet
    add_events(session, 2)
    one = sign_head(session, KEY, PLATFORM)
    assert one is not None and sign_head(session, KEY, PLATFORM) is one
    assert sign_head_if_due(session, KEY, PLATFORM, every_minutes=60) is None  # not due
    add_events(session, 1)
    assert sign_head_if_due(session, KEY, PLATFORM, every_minutes=60) is None
    later = sign_head_if_due(session, KEY, PLATFORM, every_minutes=1e-6)
    assert later is not None and later.seq == 3


@pytest.mark.parametrize("keep_stored", [True, False], ids=["anchors-kept", "anchors-deleted"])
def test_a_rehashed_chain_fails_against_the_anchor(session: Session, keep_stored: bool) -> None:
    add_events(session, 6)
    exported = export_anchors(session)
    rehash_from(session, 3)
    if not keep_stored:
        forget_anchors(session)
    assert verify(session).ok  # the chain alone no longer shows it
    given = [] if keep_stored else exported
    result = verify_chain(session, KEY.public_key, given=given)
    assert not result.ok
    assert result.broken_seq == 6
    assert "altered and their hashes recomputed" in (result.reason or "")
    if keep_stored:
        with pytest.raises(TamperDetected, match="the head was not signed"):
            sign_head(session, KEY, PLATFORM)
    else:  # with the stored anchors gone, only the exported ones know
        assert verify_and_sign(session, KEY, PLATFORM, given=exported).anchored_seq is None
        assert stored(session) == []


def test_a_cut_tail_fails_against_the_anchor(session: Session) -> None:
    add_events(session, 6)
    exported = export_anchors(session)
    cut_tail(session, 4)
    forget_anchors(session)
    assert verify(session).ok
    result = verify_and_sign(session, KEY, PLATFORM, given=exported)
    assert not result.ok
    assert (result.broken_seq, result.head_seq) == (5, 4)
    assert "the chain ends at event 4" in (result.reason or "")
    assert "event 6: newest events deleted" in (result.reason or "")
    assert stored(session) == []  # a cut chain is not signed


def test_a_wiped_log_fails_against_the_anchor(session: Session) -> None:
    add_events(session, 3)
    exported = export_anchors(session)
    wipe(session)
    forget_anchors(session)
    assert verify(session).ok
    result = verify_chain(session, KEY.public_key, given=exported)
    assert not result.ok
    assert (result.broken_seq, result.head_seq) == (1, 0)
    assert "(the whole log)" in (result.reason or "")


def test_a_cut_tail_that_grew_again_fails_against_the_anchor(session: Session) -> None:
    add_events(session, 6)
    exported = export_anchors(session)
    cut_tail(session, 2)
    forget_anchors(session)
    add_events(session, 7)  # longer than the anchor again, but another history
    assert verify(session).ok
    result = verify_chain(session, KEY.public_key, given=exported)
    assert not result.ok and result.broken_seq == 6


def test_a_stored_anchor_that_was_altered_is_tampering(session: Session) -> None:
    add_events(session, 4)
    anchor = sign_head(session, KEY, PLATFORM)
    assert anchor is not None
    rehash_from(session, 2)
    anchor.hash = session.get_one(AuditHead, 1).hash  # "re-anchored" without the key
    session.flush()
    result = verify_chain(session, KEY.public_key)
    assert not result.ok and "does not verify" in (result.reason or "")
    with pytest.raises(TamperDetected, match="does not verify"):
        sign_head(session, KEY, PLATFORM)


def test_an_altered_or_foreign_anchor_file_is_refused(session: Session) -> None:
    add_events(session, 3)
    (head,) = export_anchors(session)
    forged = head.model_copy(update={"seq": 2})
    with pytest.raises(SignatureInvalid, match=r"event 2 .* does not verify"):
        verify_chain(session, KEY.public_key, given=[forged])
    other = Signer.generate()
    with pytest.raises(SignatureInvalid, match="signed by key"):
        verify_chain(session, other.public_key, given=[head])
    with pytest.raises(InvalidInput, match="for platform 'alliance-test', this is 'staging'"):
        verify_chain(session, KEY.public_key, given=[head], platform="staging")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: "),
        ('{"type": "alliance.bank", "version": 1}', "not an alliance.audit_anchor version 1"),
        ('{"type": "alliance.audit_anchor", "version": 2}', "version 1 line"),
    ],
)
def test_anchor_lines_are_parsed_strictly(session: Session, line: str, message: str) -> None:
    add_events(session, 1)
    good = next(iter(export_lines(_signed(session))))
    with pytest.raises(InvalidInput, match=message):
        parse_lines([good, line])
    with pytest.raises(InvalidInput, match="seq"):
        parse_lines([good.replace('"seq":1', '"seq":-1')])
    with pytest.raises(InvalidInput, match="holds no anchors"):
        parse_lines(["", " "])


def _signed(session: Session) -> Session:
    sign_head(session, KEY, PLATFORM)
    return session
