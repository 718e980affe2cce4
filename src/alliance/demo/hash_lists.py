"""The members' use of the demo's hash lists over the five years before this one.

Written directly with back-dated timestamps, as the takedown history is: when each member
first fetched each list it may fetch and when it last did (a few stopped), and the matches
its scanners reported back, more each year as members joined. The lists' entries are the
demo's generated pictures' hashes (:mod:`alliance.demo.world`); nothing here is media.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.banks.models import Bank, BankEntry, BankSync, MatchEvent
from alliance.banks.services import admits
from alliance.db.base import utcnow

YEARS = 5
#: Members that stopped fetching a list (their last fetch is in an earlier year).
LAPSED = 0.1
#: Matches a subscribed scanning member reports back in a year, at most.
MATCHES_PER_YEAR = 24
_SCANS = (OrgKind.industry, OrgKind.hotline)
_FIRST = (OrgKind.hotline, OrgKind.law_enforcement)


def build(session: Session, seed: int, *, now: datetime | None = None) -> tuple[int, int]:
    """Subscriptions and matches of the demo's members; (subscriptions, matches)."""
    now = now or utcnow()
    rng = random.Random(f"alliance-demo-hash-lists:{seed}")  # noqa: S311 - demo data
    start = now - timedelta(days=YEARS * 365)
    banks = list(session.execute(select(Bank).order_by(Bank.id)).scalars())
    members = list(session.execute(select(Organisation).order_by(Organisation.id)).scalars())
    entries = {
        bank.id: list(
            session.execute(select(BankEntry.id).where(BankEntry.bank_id == bank.id)).scalars()
        )
        for bank in banks
    }
    syncs = matches = 0
    for bank in banks:
        if not entries[bank.id]:
            continue
        for member in members:
            if not admits(bank, member.kind, member.country_code):
                continue
            # Hotlines and police fetched the lists from the first year; platforms joined
            # over the years.
            share = rng.uniform(0, 0.2) if member.kind in _FIRST else rng.random()
            first = start + (now - start) * share
            last = now - timedelta(hours=rng.uniform(1, 30))
            if rng.random() < LAPSED and now - first > timedelta(days=400):
                last = first + (now - first) * rng.uniform(0.2, 0.7)
            session.add(
                BankSync(
                    bank_id=bank.id,
                    organisation_id=member.id,
                    checkpoint=0,
                    kind="delta",
                    synced_at=last,
                    first_synced_at=first,
                )
            )
            syncs += 1
            if member.kind not in _SCANS:
                continue
            span = (last - first).total_seconds()
            count = round(rng.uniform(4, MATCHES_PER_YEAR) * span / (365 * 86400))
            for _ in range(count):
                exact = rng.random() < 0.6
                session.add(
                    MatchEvent(
                        entry_id=rng.choice(entries[bank.id]),
                        bank_id=bank.id,
                        organisation_id=member.id,
                        actor="demo:history",
                        signal_type="md5" if exact else "pdq",
                        distance=0 if exact else rng.randint(0, 31),
                        matched_at=first + timedelta(seconds=rng.uniform(0, span)),
                        verdict="confirmed" if rng.random() < 0.9 else "disputed",
                    )
                )
                matches += 1
    session.flush()
    return syncs, matches
