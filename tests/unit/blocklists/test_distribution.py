"""Signed list documents, the manifest's lists, and a subscriber's store applying them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy.orm import Session

from alliance.banks import manifest
from alliance.banks.local_store import SyncRefused
from alliance.banks.signing import SignatureInvalid, Signer, sign_lines
from alliance.blocklists import distribution, keywords, urls
from alliance.blocklists.distribution import parse_document
from alliance.blocklists.local_store import LocalListStore
from alliance.blocklists.models import KeywordCategory, ListedUrl
from alliance.blocklists.schemas import KeywordIn
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.takedown.models import ItemStage
from tests import factories
from tests.unit.blocklists.conftest import Members

A, B = "http://photos.example.test/a.png", "http://pics.example.test/b.png"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def test_snapshot_then_delta_brings_a_copy_to_the_list(
    session: Session, members: Members, signer: Signer, tmp_path: Path
) -> None:
    first = factories.content_item(session, A)
    factories.content_item(session, B)
    urls.refresh(session)
    store = LocalListStore.open(tmp_path)
    snap = parse_document(
        distribution.snapshot(session, members.reviewer, "urls", signer), signer.public_key
    )
    assert (snap.kind, snap.name, snap.since) == ("snapshot", "urls", 0)
    applied = store.apply(snap)
    assert (applied.entries, applied.checkpoint) == (2, snap.until)
    assert sorted(e["url"] for e in store.entries("urls")) == [A, B]

    first.stage, first.open_url = ItemStage.removed, None
    session.flush()
    urls.refresh(session)
    delta = parse_document(
        distribution.delta(session, members.reviewer, "urls", snap.until, signer),
        signer.public_key,
    )
    assert [(e["url"], e["removed"]) for e in delta.entries] == [(A, True)]
    assert store.apply(delta).removed == 1
    assert [e["url"] for e in LocalListStore.open(tmp_path).entries("urls")] == [B]
    # The same delta again: it no longer starts at the checkpoint.
    with pytest.raises(SyncRefused, match="does not start at the local checkpoint"):
        store.apply(delta)


def test_keywords_are_published_the_same_way(
    session: Session, members: Members, signer: Signer, tmp_path: Path
) -> None:
    keywords.add_keyword(
        session,
        members.analyst,
        KeywordIn(term="placeholder-term-1", category=KeywordCategory.coded),
    )
    document = parse_document(
        distribution.snapshot(session, members.reviewer, "keywords", signer), signer.public_key
    )
    store = LocalListStore.open(tmp_path)
    store.apply(document)
    assert [e["term"] for e in store.entries("keywords")] == ["placeholder-term-1"]


def test_what_does_not_verify_or_fit_is_refused(
    session: Session, members: Members, signer: Signer
) -> None:
    factories.content_item(session, A)
    urls.refresh(session)
    data = distribution.snapshot(session, members.reviewer, "urls", signer)
    with pytest.raises(SignatureInvalid):
        parse_document(data.replace(b"photos", b"photoz"), signer.public_key)
    with pytest.raises(SignatureInvalid):
        parse_document(data, Signer.generate().public_key)
    with pytest.raises(SignatureInvalid):
        parse_document(data[: len(data) // 2], signer.public_key)
    # A manifest (another domain) is never taken for a list document.
    issued = manifest.issue(session, members.reviewer, [], signer, lists={"urls": 1})
    with pytest.raises(SignatureInvalid):
        parse_document(issued, signer.public_key)
    with pytest.raises(NotFound, match="no list named"):
        distribution.snapshot(session, members.reviewer, "hashes", signer)
    with pytest.raises(PermissionDenied):
        distribution.snapshot(session, members.viewer, "urls", signer)
    with pytest.raises(InvalidInput, match="ahead of the urls list"):
        distribution.delta(session, members.reviewer, "urls", 10**9, signer)


def test_the_manifest_names_the_lists_a_member_may_receive(
    session: Session, members: Members, signer: Signer
) -> None:
    factories.content_item(session, A)
    urls.refresh(session)
    granted = distribution.manifest_lists(session, members.reviewer)
    assert set(granted) == {"urls", "keywords"} and granted["urls"] >= 1
    assert distribution.manifest_lists(session, members.viewer) == {}
    signed = manifest.parse(
        manifest.issue(session, members.reviewer, [], signer, lists=granted), signer.public_key
    )
    assert signed.lists == granted
    # A manifest without lists (a platform that predates them) says nothing of them.
    assert (
        manifest.parse(
            manifest.issue(session, members.reviewer, [], signer), signer.public_key
        ).lists
        is None
    )


def test_a_store_never_goes_back(
    session: Session, members: Members, signer: Signer, tmp_path: Path
) -> None:
    factories.content_item(session, A)
    urls.refresh(session)
    old = distribution.snapshot(session, members.reviewer, "urls", signer)
    factories.content_item(session, B)
    urls.refresh(session)
    store = LocalListStore.open(tmp_path)
    store.apply(
        parse_document(
            distribution.snapshot(session, members.reviewer, "urls", signer), signer.public_key
        )
    )
    with pytest.raises(SyncRefused, match="below the local copy"):
        store.apply(parse_document(old, signer.public_key))
    assert len(store.entries("urls")) == 2
    # A line of the wrong shape, correctly signed, is still refused whole.
    lines = old.split(b"\n")
    entry = orjson.loads(lines[1])
    del entry["url"]
    body = b"\n".join([lines[0], orjson.dumps(entry)]) + b"\n"
    forged = sign_lines(body, b"alliance.blocklist.v1\n", signer)
    with pytest.raises(InvalidInput, match="without its url"):
        parse_document(forged, signer.public_key)
    assert session.query(ListedUrl).count() == 2
