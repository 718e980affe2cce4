"""A matcher replica (:mod:`alliance.banks.replica`) answers from the store it last loaded
while a sync is applied, and from the new one once the sync is done: never from half."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import distribution
from alliance.banks import services as banks
from alliance.banks.local_store import LocalBankStore
from alliance.banks.replica import Replica
from alliance.banks.schemas import EntryIn
from alliance.banks.signing import Signer
from alliance.banks.sync import SyncReport
from alliance.errors import InvalidInput
from tests import factories
from tests.factories import OPERATOR, flip_bits, pdq_hex


def _found(replica: Replica, *values: str) -> tuple[list[bool], int]:
    answer = replica.match([("pdq", flip_bits(v, 4), None) for v in values])
    return [bool(r["matches"]) for r in answer["results"]], answer["banks"]["pictures"]


def test_a_query_during_a_sync_is_answered_from_the_store_before_it(
    session: Session, tmp_path: Path
) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="pictures")
    values = [pdq_hex(n) for n in range(10)]
    added = banks.add_entries(
        session, analyst, "pictures", [EntryIn(signal_type="pdq", signal=v) for v in values]
    )
    signer = Signer.generate()
    store = LocalBankStore.open(tmp_path)
    snapshot = distribution.binary_snapshot(session, OPERATOR, "pictures", signer)
    store.apply(distribution.parse_any(snapshot, signer.public_key))
    before = store.checkpoint("pictures")

    banks.remove_entries(session, analyst, "pictures", [added.entries[0].id])
    new = pdq_hex(99)
    banks.add_entries(session, analyst, "pictures", [EntryIn(signal_type="pdq", signal=new)])
    delta = distribution.parse_document(
        distribution.delta(session, OPERATOR, "pictures", before, signer), signer.public_key
    )
    applied, release = threading.Event(), threading.Event()

    def step(local: LocalBankStore) -> SyncReport:
        result = local.apply(delta)  # on disk, and in the sync's own store
        applied.set()
        release.wait(10)
        return SyncReport(applied=[result])

    replica = Replica(tmp_path, step, interval=60)
    assert _found(replica, values[0], new) == ([True, False], before)
    syncing = threading.Thread(target=replica.refresh)
    syncing.start()
    try:
        assert applied.wait(10)
        # The delta is on disk; the replica still answers from the store before it.
        assert _found(replica, values[0], values[1], new) == ([True, True, False], before)
    finally:
        release.set()
        syncing.join(10)
    found, at = _found(replica, values[0], values[1], new)
    assert (found, at) == ([False, True, True], delta.until) and at > before
    assert replica.health.syncs == 1 and replica.health.last_error is None


def test_a_failed_sync_leaves_the_last_store_answering(session: Session, tmp_path: Path) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="pictures")
    banks.add_entries(session, analyst, "pictures", [EntryIn(signal_type="pdq", signal=pdq_hex(1))])
    signer = Signer.generate()
    store = LocalBankStore.open(tmp_path)
    snapshot = distribution.binary_snapshot(session, OPERATOR, "pictures", signer)
    store.apply(distribution.parse_any(snapshot, signer.public_key))

    def failing(_: LocalBankStore) -> SyncReport:
        raise ConnectionError("the platform did not answer")

    replica = Replica(tmp_path, failing)
    with pytest.raises(ConnectionError):
        replica.refresh()
    assert _found(replica, pdq_hex(1)) == ([True], store.checkpoint("pictures"))
    assert replica.health.failures == 1
    assert replica.health.last_error == "ConnectionError: the platform did not answer"


def test_bad_questions_get_clear_errors(tmp_path: Path) -> None:
    replica = Replica(tmp_path)
    with pytest.raises(InvalidInput, match="signal 1: "):
        replica.match([("pdq", "not a hash", None)])
    with pytest.raises(InvalidInput, match="no synced bank named 'elsewhere'"):
        replica.match([("pdq", pdq_hex(1), None)], ["elsewhere"])
    with pytest.raises(InvalidInput, match="interval"):
        Replica(tmp_path, interval=0)
