"""A bank's vPDQ entries are found through its frame index (every usable frame of every
video in one PDQ index) by the rule of python-threatexchange that the pairwise
comparison applies: the same videos, the same distances, the same forms. On the hub
(:func:`alliance.banks.lookup.find`) and in a member's synced store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import distribution, lookup
from alliance.banks import services as banks
from alliance.banks.local_store import LocalBankStore
from alliance.banks.models import BankEntry
from alliance.banks.schemas import EntryIn
from alliance.banks.signing import Signer
from alliance.hashing import video
from alliance.hashing.pdq import PdqHash
from tests import factories

_RNG = np.random.default_rng(19)

#: A match as compared: (entry id, distance, variant, form).
Row = tuple[int, int, str, str]


def _clip(frames: int) -> list[bytes]:
    return [_RNG.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(frames)]


def _flipped(digest: bytes, bits: int) -> bytes:
    """``digest`` with ``bits`` random bits changed (a re-encoded frame)."""
    value = bytearray(digest)
    for bit in _RNG.choice(256, bits, replace=False):
        value[bit // 8] ^= 1 << (bit % 8)
    return bytes(value)


def _video(digests: list[bytes], per_second: float = 1.0, quality: int = 90) -> video.VpdqHash:
    return video.VpdqHash(
        tuple(
            video.VideoFrame(PdqHash(d, quality), n, n / per_second) for n, d in enumerate(digests)
        )
    )


def _expected(
    query: dict[str, video.VpdqHash], stored: dict[str, video.VpdqHash]
) -> dict[str, tuple[int, str]]:
    """The pairwise rule: per stored video, the best form's 100 - query share."""
    out: dict[str, tuple[int, str]] = {}
    for key, target in stored.items():
        for form, hashed in query.items():
            result = video.compare_videos(hashed, target, window=video.window_of(form))
            if video.is_match(result):
                distance = round(100 - result.query_match_percent)
                if key not in out or distance < out[key][0]:
                    out[key] = (distance, form)
    return out


@pytest.fixture
def stored() -> dict[str, video.VpdqHash]:
    """Eight banked clips; the second shares most frames with the first, one is dark."""
    clips = {f"clip-{i}": _video(_clip(int(_RNG.integers(8, 30)))) for i in range(8)}
    first = list(clips["clip-0"].frames)
    clips["clip-1"] = _video([f.pdq.digest for f in first[:20]] + _clip(4))
    clips["clip-7"] = _video(_clip(12), quality=10)  # no usable frame
    return clips


def _queries(stored: dict[str, video.VpdqHash]) -> list[dict[str, video.VpdqHash]]:
    base = [f.pdq.digest for f in stored["clip-0"].frames]
    fifth = [f.pdq.digest for f in stored["clip-5"].frames]
    return [
        # A re-encoding of clip 0: a few bits off in every frame.
        {"original": _video([_flipped(d, 6) for d in base])},
        # Part of clip 0 beside new frames: found when the share is 80 % or more.
        {"original": _video(base[: len(base) * 5 // 6] + _clip(len(base) // 6))},
        {"original": _video(base[: len(base) * 3 // 4] + _clip(len(base) // 4))},
        # Clip 5 far off as an original, but its mirrored form, sampled twice a second,
        # meets it (counted by the second).
        {
            "original": _video(_clip(len(fifth))),
            "flip_horizontal": _video([d for d in fifth for _ in range(2)], per_second=2.0),
        },
        # Nothing known; frames too far (40 bits) from any stored one.
        {"original": _video([_flipped(d, 40) for d in base])},
        # Dark frames only: nothing usable to look for.
        {"original": _video(base, quality=10)},
    ]


def test_the_hub_finds_videos_as_the_pairwise_rule_does(
    session: Session, stored: dict[str, video.VpdqHash]
) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    bank = factories.bank(session, hotline, name="videos")
    banks.add_entries(
        session,
        analyst,
        "videos",
        [EntryIn(signal_type="vpdq", signal=v.to_text()) for v in stored.values()],
    )
    rows = session.execute(
        select(BankEntry.signal_value, BankEntry.id).where(BankEntry.bank_id == bank.id)
    )
    id_of = dict(rows.all())
    ids = {k: id_of[banks.normalise_signal("vpdq", v.to_text())] for k, v in stored.items()}
    sizes = []
    for query in _queries(stored):
        found = lookup.find(
            session,
            bank,
            "vpdq",
            query["original"].to_text(),
            {k: v.to_text() for k, v in query.items() if k != "original"},
        )
        expected = _expected(query, stored)
        assert {e.id: (d, form) for e, d, _, form in found} == {
            ids[k]: v for k, v in expected.items()
        }
        sizes.append(len(found))
    assert sizes == [2, 2, 0, 1, 0, 0]  # the rule's own answers, not the index's

    # A removed entry is no longer found; one added is found on the next query.
    query = _queries(stored)[0]
    banks.remove_entries(session, analyst, "videos", [ids["clip-0"], ids["clip-1"]])
    session.refresh(bank)
    assert lookup.find(session, bank, "vpdq", query["original"].to_text()) == []
    banks.add_entries(
        session,
        analyst,
        "videos",
        [EntryIn(signal_type="vpdq", signal=query["original"].to_text())],
    )
    session.refresh(bank)
    [(entry, distance, _, form)] = lookup.find(session, bank, "vpdq", query["original"].to_text())
    assert (distance, form, entry.id not in ids.values()) == (0, "original", True)


def test_a_member_finds_videos_as_the_pairwise_rule_does(
    session: Session, tmp_path: Path, stored: dict[str, video.VpdqHash]
) -> None:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="videos")
    banks.add_entries(
        session,
        analyst,
        "videos",
        [EntryIn(signal_type="vpdq", signal=v.to_text()) for v in stored.values()],
    )
    signer = Signer.generate()
    store = LocalBankStore.open(tmp_path / "store")
    store.apply(
        distribution.parse_document(
            distribution.snapshot(session, analyst, "videos", signer), signer.public_key
        )
    )
    by_text = {v.to_text(): k for k, v in stored.items()}
    for query in _queries(stored):
        expected = _expected(query, stored)
        best: dict[str, tuple[int, str]] = {}
        for form, hashed in query.items():
            matches, _ = store.find("vpdq", hashed.to_text(), form=form)
            for m in matches:
                key = by_text[m.entry["signal"]]
                if key not in best or m.distance < best[key][0]:
                    best[key] = (m.distance, form)
        assert best == expected


def test_a_batch_finds_what_each_query_finds_alone(session: Session) -> None:
    """find_many (one search for all of a request's PDQ hashes, one read for its digests)
    gives each query what find gives it alone: entries, distances, variants and forms."""
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    bank = factories.bank(session, hotline, name="batch")
    stored = [bytes(_clip(1)[0]) for _ in range(6)]
    banks.add_entries(
        session,
        analyst,
        "batch",
        [
            *(
                EntryIn(
                    signal_type="pdq", signal=d.hex(), variants={"rotate90": _flipped(d, 40).hex()}
                )
                for d in stored
            ),
            EntryIn(signal_type="md5", signal="0" * 32),
            EntryIn(signal_type="md5", signal="f" * 32),
        ],
    )
    pdq_queries = [
        (_flipped(stored[0], 5).hex(), {}),
        (_flipped(stored[1], 60).hex(), {"rotate90": _flipped(stored[1], 3).hex()}),
        (_flipped(stored[2], 60).hex(), {"unletterbox": _flipped(stored[2], 60).hex()}),
        (_flipped(stored[3], 40).hex(), {}),  # too far: 40 bits
        (stored[4].hex(), {"rotate90": stored[4].hex()}),
    ]
    md5_queries: list[tuple[str, dict[str, str]]] = [("0" * 32, {}), ("1" * 32, {}), ("0" * 32, {})]

    def alone(kind: str, queries: list[tuple[str, dict[str, str]]]) -> list[list[Row]]:
        return [
            sorted((e.id, d, v, f) for e, d, v, f in lookup.find(session, bank, kind, q, forms))
            for q, forms in queries
        ]

    def together(kind: str, queries: list[tuple[str, dict[str, str]]]) -> list[list[Row]]:
        return [
            sorted((e.id, d, v, f) for e, d, v, f in found)
            for found in lookup.find_many(session, bank, kind, queries)
        ]

    assert together("pdq", pdq_queries) == alone("pdq", pdq_queries)
    assert [len(f) for f in together("pdq", pdq_queries)] == [1, 1, 0, 0, 1]
    assert together("md5", md5_queries) == alone("md5", md5_queries)
    assert [len(f) for f in together("md5", md5_queries)] == [1, 0, 1]
