"""Bank operations: create, list, contribute, verify, remove, distribute, match, feedback.

Visibility: an organisation sees a bank it owns or whose subscription rules admit it (its
kind among ``subscriber_kinds`` and, when ``subscriber_countries`` is set, its country
among them); the secretariat sees every bank. A bank you may not see is reported as not
found, so that its existence is not revealed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.models import ApiKey, Organisation, User
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.models import AuditEvent
from alliance.banks import formats, lookup, match_events
from alliance.banks.entry_cards import EntryCard, EntryCards
from alliance.banks.indexes import BankIndex
from alliance.banks.models import (
    Bank,
    BankEntry,
    BankSync,
    EntryVariant,
    EntryVote,
    MatchEvent,
)
from alliance.banks.schemas import (
    BankIn,
    BankOut,
    Classification,
    EntriesAdded,
    EntryIn,
    EntryOut,
    FeedbackIn,
    FeedbackOut,
    ImportResult,
    LocalFeedbackIn,
    MatchOut,
    MatchRequest,
    MatchResponse,
    SignalIn,
    SignalResult,
)
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import TargetKind
from alliance.cooperation.services import Touched
from alliance.db.base import utcnow
from alliance.db.bulk import among, batches
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.hashing import signals, variants

VERIFIED_AT = 3  # distinct analysts, as IWF and Project Arachnid verify
MAX_ENTRIES_PER_CALL = formats.DEFAULT_MAX_ENTRIES
LOOKUP_BATCH = 10_000  # values per lookup statement (SQLite takes 32,766 parameters)


# --- visibility ----------------------------------------------------------------------


def can_see(principal: Principal, bank: Bank) -> bool:
    reach = principal.reach(Permission.BANK_READ)
    if reach is None:
        return False
    if reach is Reach.ALL:
        return True
    if principal.organisation_id is None:
        return False
    if bank.owner_organisation_id == principal.organisation_id:
        return True
    return admits(bank, principal.organisation_kind, principal.country_code)


def admits(bank: Bank, kind: OrgKind | None, country: str | None) -> bool:
    """Whether the bank's subscriber rule admits an organisation of ``kind`` in
    ``country``: its kind listed, and its country when the bank names countries."""
    kind_ok = kind is not None and kind.value in bank.subscriber_kinds
    country_ok = not bank.subscriber_countries or country in bank.subscriber_countries
    return kind_ok and country_ok


def _owns(principal: Principal, bank: Bank, permission: Permission) -> None:
    reach = principal.reach(permission)
    if reach is Reach.ALL:
        return
    if reach is None or bank.owner_organisation_id != principal.organisation_id:
        raise PermissionDenied(f"only the organisation that owns bank {bank.name!r} may do this")


def all_banks(session: Session) -> list[Bank]:
    return list(session.execute(select(Bank).order_by(Bank.name)).scalars())


def visible_banks(
    session: Session, principal: Principal, banks: Sequence[Bank] | None = None
) -> list[Bank]:
    """The banks ``principal`` may see, of ``banks`` (default: every bank, read now)."""
    authorize(principal, Permission.BANK_READ)
    return [b for b in (all_banks(session) if banks is None else banks) if can_see(principal, b)]


def get_bank(
    session: Session, principal: Principal, name: str, *, for_change: bool = False
) -> Bank:
    """The bank named ``name`` that ``principal`` may see. ``for_change``: its row locked
    (PostgreSQL) until the transaction ends, so the changes of two transactions take
    distinct sequence numbers and commit in their order, which deltas and the match
    index rely on (a change is read once, as everything above a sequence number)."""
    authorize(principal, Permission.BANK_READ)
    query = select(Bank).where(Bank.name == name)
    if for_change:
        query = query.with_for_update(of=Bank).execution_options(populate_existing=True)
    bank = session.execute(query).scalar_one_or_none()
    if bank is None or not can_see(principal, bank):
        raise NotFound(f"no bank named {name!r}")
    return bank


# --- banks ---------------------------------------------------------------------------


def create_bank(session: Session, actor: Principal, data: BankIn) -> Bank:
    authorize(actor, Permission.BANK_MANAGE)
    if data.owner:
        owner = session.execute(
            select(Organisation).where(Organisation.slug == data.owner)
        ).scalar_one_or_none()
        if owner is None:
            raise NotFound(f"no organisation named {data.owner!r}")
    elif actor.organisation_id is not None:
        owner = session.get_one(Organisation, actor.organisation_id)
    else:
        raise InvalidInput("say which organisation owns the bank (--owner)")
    authorize(actor, Permission.BANK_MANAGE, owner)
    if session.execute(select(Bank.id).where(Bank.name == data.name)).first():
        raise Conflict(f"a bank named {data.name!r} already exists")
    bank = Bank(
        name=data.name,
        uid=secrets.token_hex(16),
        owner_organisation_id=owner.id,
        scope=data.scope,
        description=data.description,
        suppression=data.suppression,
        pdq_threshold=data.pdq_threshold,
        dispute_threshold=data.dispute_threshold,
        subscriber_kinds=sorted(k.value for k in data.subscriber_kinds),
        subscriber_countries=data.subscriber_countries,
        sequence=0,
        revision=secrets.token_hex(8),
    )
    session.add(bank)
    session.flush()
    record(
        session,
        actor,
        EventType.BANK_CREATED,
        "bank",
        bank.name,
        data.model_dump(mode="json"),
        organisation_id=owner.id,
    )
    return bank


def bank_out(session: Session, bank: Bank) -> BankOut:
    live = (BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
    entries = session.execute(select(func.count()).where(*live)).scalar_one()
    verified = session.execute(
        select(func.count()).where(*live, BankEntry.votes >= VERIFIED_AT)
    ).scalar_one()
    return BankOut(
        name=bank.name,
        scope=bank.scope,
        owner=bank.owner.slug,
        owner_name=bank.owner.name,
        description=bank.description,
        suppression=bank.suppression,
        pdq_threshold=bank.pdq_threshold,
        dispute_threshold=bank.dispute_threshold,
        subscriber_kinds=bank.subscriber_kinds,
        subscriber_countries=bank.subscriber_countries,
        sequence=bank.sequence,
        entries=entries,
        verified=verified,
        created_at=bank.created_at,
        updated_at=bank.updated_at,
    )


def _next_change(bank: Bank, *, matching_changed: bool) -> int:
    """Take the bank's next sequence number. ``matching_changed``: the set of live hashes
    changed, so in-memory match indexes (keyed by ``revision``) must be rebuilt; votes and
    feedback do not, and must not cost a rebuild of a large bank's index."""
    bank.sequence += 1
    if matching_changed:
        bank.revision = secrets.token_hex(8)
    bank.updated_at = utcnow()
    return bank.sequence


# --- entries -------------------------------------------------------------------------


def entry_out(entry: BankEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        signal_type=entry.signal_type,
        signal=entry.signal_value,
        classification=classification_of(entry),
        contributor=entry.contributor.slug,
        votes=entry.votes,
        verified=entry.votes >= VERIFIED_AT,
        confirmed=entry.confirmed,
        disputed=entry.disputed,
        flagged=entry.flagged,
        note=entry.note,
        added_at=entry.added_at,
        removed_at=entry.removed_at,
        seq=entry.changed_seq,
        variants=entry.variant_map(),
    )


def classification_of(entry: BankEntry | EntryCard) -> Classification:
    return Classification(
        baseline=entry.baseline,
        iwf=entry.iwf_category,
        ncmec=entry.ncmec_category,
        vics=entry.vics_category,
    )


def normalise_signal(signal_type: str, value: str) -> str:
    """The canonical text of a signal; raises a clear InvalidInput for a bad one."""
    return signals.get(signal_type).validate(value.strip())


def normalise_variants(item: EntryIn) -> dict[str, str]:
    """An entry's variant hashes, checked: PDQ only, known names, valid hashes."""
    if not item.variants:
        return {}
    if item.signal_type != "pdq":
        raise InvalidInput("only PDQ entries have variants")
    out: dict[str, str] = {}
    for name, value in sorted(item.variants.items()):
        if name not in variants.VARIANT_NAMES or name == "original":
            raise InvalidInput(f"unknown variant {name!r}")
        out[name] = normalise_signal("pdq", value)
    return out


def add_entries(
    session: Session, actor: Principal, bank_name: str, items: Sequence[EntryIn]
) -> EntriesAdded:
    """Add entries, all or nothing. An existing signal is updated (or restored if it had
    been removed); the acting analyst's own assessment counts as the first vote."""
    bank = get_bank(session, actor, bank_name, for_change=True)
    authorize(actor, Permission.ENTRY_CONTRIBUTE)
    if actor.organisation_id is None and actor.kind != "operator":
        raise PermissionDenied("entries are contributed by a member organisation")
    return write_entries(session, actor, bank, items)


def write_entries(
    session: Session, actor: Principal, bank: Bank, items: Sequence[EntryIn]
) -> EntriesAdded:
    """:func:`add_entries` once the caller has authorised ``actor`` to change ``bank``
    (read with ``for_change``): a member's local banks are changed under its own rule."""
    if not items:
        raise InvalidInput("no entries given")
    if len(items) > MAX_ENTRIES_PER_CALL:
        raise InvalidInput(f"at most {MAX_ENTRIES_PER_CALL} entries per call; use import")
    normalised: dict[tuple[str, str], tuple[EntryIn, dict[str, str]]] = {}
    for number, item in enumerate(items, 1):
        try:
            value = normalise_signal(item.signal_type, item.signal)
            forms = normalise_variants(item)
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number}: {exc.message}") from None
        normalised[(item.signal_type, value)] = (item, forms)
    contributor_id = actor.organisation_id or bank.owner_organisation_id
    seq = bank.sequence + 1  # taken below if anything changes
    existing = {
        (e.signal_type, e.signal_value): e
        # In batches: one IN of 100,000 values is past both back ends' parameter limits.
        for values in batches([v for _, v in normalised], LOOKUP_BATCH)
        for e in session.execute(
            select(BankEntry).where(
                BankEntry.bank_id == bank.id, among(session, BankEntry.signal_value, values)
            )
        ).scalars()
    }
    touched: list[BankEntry] = []
    added = unchanged = 0
    hashes_changed = False
    for (signal_type, value), (item, forms) in normalised.items():
        entry = existing.get((signal_type, value))
        c = item.classification
        if entry is None:
            entry = BankEntry(
                bank_id=bank.id,
                signal_type=signal_type,
                signal_value=value,
                contributor_organisation_id=contributor_id,
                votes=0,
                confirmed=0,
                disputed=0,
                flagged=False,
            )
            session.add(entry)
            added += 1
            hashes_changed = True
        elif (
            entry.removed_at is None
            and classification_of(entry) == c
            and (item.note is None or item.note == entry.note)
            and (not forms or forms == entry.variant_map())
        ):
            unchanged += 1
            continue
        entry.baseline, entry.iwf_category = c.baseline, c.iwf
        entry.ncmec_category, entry.vics_category = c.ncmec, c.vics
        entry.note = item.note if item.note is not None else entry.note
        if forms and forms != entry.variant_map():
            entry.variants = [EntryVariant(name=n, signal_value=v) for n, v in forms.items()]
            hashes_changed = True
        hashes_changed = hashes_changed or entry.removed_at is not None  # restored
        entry.removed_at = None
        entry.changed_seq = seq
        touched.append(entry)
    session.flush()
    if actor.user_id is not None:
        for entry in touched:
            _add_vote(session, actor, entry)
    if touched:
        _next_change(bank, matching_changed=hashes_changed)
        record(
            session,
            actor,
            EventType.BANK_ENTRIES_ADDED,
            "bank",
            bank.name,
            {"added": added, "updated": len(touched) - added, "sequence": seq},
            organisation_id=bank.owner_organisation_id,
        )
    session.flush()
    return EntriesAdded(
        added=added,
        unchanged=unchanged,
        sequence=bank.sequence,
        entries=[entry_out(e) for e in touched],
    )


def entry_of(session: Session, bank: Bank, entry_id: int) -> BankEntry:
    entry = session.get(BankEntry, entry_id)
    if entry is None or entry.bank_id != bank.id:
        raise NotFound(f"bank {bank.name!r} has no entry {entry_id}")
    return entry


def list_entries(
    session: Session,
    actor: Principal,
    bank_name: str,
    *,
    since: int = 0,
    limit: int = 1000,
    include_removed: bool = False,
) -> list[BankEntry]:
    bank = get_bank(session, actor, bank_name)
    query = select(BankEntry).where(BankEntry.bank_id == bank.id, BankEntry.changed_seq > since)
    if not include_removed:
        query = query.where(BankEntry.removed_at.is_(None))
    return list(
        session.execute(query.order_by(BankEntry.changed_seq, BankEntry.id).limit(limit)).scalars()
    )


def can_remove(actor: Principal, bank: Bank, entry: BankEntry) -> bool:
    """Whether ``actor`` may remove ``entry``: its contributor, the bank's owner, or a role
    that contributes to every bank."""
    reach = actor.reach(Permission.ENTRY_CONTRIBUTE)
    if reach is None:
        return False
    return reach is Reach.ALL or actor.organisation_id in (
        bank.owner_organisation_id,
        entry.contributor_organisation_id,
    )


#: What a bank's entries can be filtered by (the browser's "Status").
ENTRY_STATUSES: dict[str, str] = {
    "verified": "Verified (3 or more analysts)",
    "awaiting": "Awaiting verification",
    "disputed": "Disputed",
    "flagged": "Flagged for review",
    "removed": "Removed",
}
#: The columns a bank's entries can be sorted by.
ENTRY_SORTS: dict[str, Any] = {  # column attributes
    "id": BankEntry.id,
    "type": BankEntry.signal_type,
    "hash": BankEntry.signal_value,
    "added": BankEntry.added_at,
    "votes": BankEntry.votes,
    "confirmed": BankEntry.confirmed,
    "disputed": BankEntry.disputed,
    "changed": BankEntry.changed_seq,
}
MAX_SEARCH_CHARS = 10_000


def browse_entries(
    session: Session,
    actor: Principal,
    bank_name: str,
    *,
    search: str = "",
    signal_type: str = "",
    status: str = "",
    listing: Listing | None = None,
) -> tuple[list[BankEntry], int]:
    """A page of a bank's entries and how many match in all.

    ``search`` is a hash or the start of one (any signal type); ``status`` one of
    :data:`ENTRY_STATUSES` (live entries only, unless it is ``removed``)."""
    bank = get_bank(session, actor, bank_name)
    where: list[ColumnElement[bool]] = [BankEntry.bank_id == bank.id]
    text = search.strip()
    if len(text) > MAX_SEARCH_CHARS:
        raise InvalidInput(f"give at most {MAX_SEARCH_CHARS} characters", field="q")
    if text:
        # Hashes are stored in lower case (the signal types' canonical text).
        where.append(BankEntry.signal_value.startswith(text.lower(), autoescape=True))
    if signal_type:
        if signal_type not in signals.REGISTRY:
            raise InvalidInput("choose one of the signal types offered", field="type")
        where.append(BankEntry.signal_type == signal_type)
    if status and status not in ENTRY_STATUSES:
        raise InvalidInput("choose one of the statuses offered", field="status")
    if status == "removed":
        where.append(BankEntry.removed_at.is_not(None))
    else:
        where.append(BankEntry.removed_at.is_(None))
    if status == "verified":
        where.append(BankEntry.votes >= VERIFIED_AT)
    elif status == "awaiting":
        where.append(BankEntry.votes < VERIFIED_AT)
    elif status == "disputed":
        where.append(BankEntry.disputed > 0)
    elif status == "flagged":
        where.append(BankEntry.flagged.is_(True))
    total = int(session.execute(select(func.count()).where(*where)).scalar_one())
    query = ordered(
        select(BankEntry).where(*where),
        listing or Listing(sort="added", descending=True),
        ENTRY_SORTS,
        (BankEntry.id.desc(),),
    )
    return list(session.execute(query).scalars()), total


def voted_by(session: Session, actor: Principal, entry_ids: Sequence[int]) -> set[int]:
    """Which of ``entry_ids`` the acting analyst has already verified."""
    if actor.user_id is None or not entry_ids:
        return set()
    return set(
        session.execute(
            select(EntryVote.entry_id).where(
                EntryVote.user_id == actor.user_id, EntryVote.entry_id.in_(list(entry_ids))
            )
        ).scalars()
    )


def remove_entries(
    session: Session, actor: Principal, bank_name: str, entry_ids: Sequence[int]
) -> int:
    """Tombstone entries (the contributor or the bank's owner may)."""
    bank = get_bank(session, actor, bank_name, for_change=True)
    authorize(actor, Permission.ENTRY_CONTRIBUTE)
    entries = [entry_of(session, bank, i) for i in dict.fromkeys(entry_ids)]
    for entry in entries:
        if not can_remove(actor, bank, entry):
            raise PermissionDenied(f"entry {entry.id} was contributed by another organisation")
    return tombstone_entries(session, actor, bank, entries)


def tombstone_entries(
    session: Session, actor: Principal, bank: Bank, entries: Sequence[BankEntry]
) -> int:
    """:func:`remove_entries` once the caller has authorised ``actor`` to remove
    ``entries`` of ``bank`` (read with ``for_change``); how many were live."""
    live = [e for e in entries if e.removed_at is None]
    if not live:
        return 0
    seq = _next_change(bank, matching_changed=True)
    now = utcnow()
    for entry in live:
        entry.removed_at = now
        entry.changed_seq = seq
    record(
        session,
        actor,
        EventType.BANK_ENTRIES_REMOVED,
        "bank",
        bank.name,
        {"entries": [e.id for e in live], "sequence": seq},
        organisation_id=bank.owner_organisation_id,
    )
    return len(live)


def _add_vote(session: Session, actor: Principal, entry: BankEntry) -> bool:
    assert actor.user_id is not None and actor.organisation_id is not None
    already = session.execute(
        select(EntryVote.id).where(
            EntryVote.entry_id == entry.id, EntryVote.user_id == actor.user_id
        )
    ).first()
    if already:
        return False
    session.add(
        EntryVote(entry_id=entry.id, user_id=actor.user_id, organisation_id=actor.organisation_id)
    )
    entry.votes += 1
    return True


def vote(session: Session, actor: Principal, bank_name: str, entry_id: int) -> BankEntry:
    """An analyst confirms an entry's assessment; three distinct analysts verify it."""
    bank = get_bank(session, actor, bank_name, for_change=True)
    authorize(actor, Permission.ENTRY_VERIFY)
    if actor.user_id is None:
        raise PermissionDenied("verification votes are cast by analysts, not API keys")
    entry = entry_of(session, bank, entry_id)
    if entry.removed_at is not None:
        raise Conflict(f"entry {entry_id} was removed")
    if not _add_vote(session, actor, entry):
        raise Conflict("you have already verified this entry")
    entry.changed_seq = _next_change(bank, matching_changed=False)
    record(
        session,
        actor,
        EventType.BANK_ENTRY_VOTED,
        "bank_entry",
        entry.id,
        {"bank": bank.name, "votes": entry.votes},
        organisation_id=bank.owner_organisation_id,
    )
    return entry


# --- matching ------------------------------------------------------------------------


def match(
    session: Session,
    actor: Principal,
    request: MatchRequest,
    every_bank: Sequence[Bank] | None = None,
    cards: EntryCards | None = None,
    watched: Set[str] | None = None,
    searched: Searched | None = None,
) -> MatchResponse:
    """Match signals against every bank the actor may see (or the named ones).

    Each match is recorded as a match event (who, which entry, distance, when): in the
    web server, written after the answer (:mod:`alliance.banks.match_events`).
    ``every_bank``: the banks' rows as the caller read them lately (default: read now).
    ``cards``: where to keep the cards of the PDQ entries met, for
    :func:`answer_from_memory`. ``watched``: every hash a deconfliction target names, as
    the caller read it lately (default: the targets are looked up for the hashes met).
    ``searched``: what :func:`search_in_memory` found for this request (its entries are
    then read, not searched for again).
    """
    authorize(actor, Permission.MATCH_QUERY)
    if searched is None:
        visible = visible_banks(session, actor, every_bank)
        targets, suppression = _banks_to_search(request, visible)
        asked = _asked(request)
    else:
        targets, suppression, asked = searched.targets, searched.suppression, searched.asked
    # Each bank is searched once for all the request's signals of a type (a PDQ batch is
    # one vectorised search), then each signal's matches are read off.
    found: dict[tuple[int, int], _Found] = {}
    for kind in dict.fromkeys(query.signal_type for query in request.signals):
        numbers = [n for n, query in enumerate(request.signals) if query.signal_type == kind]
        for bank in dict.fromkeys([*suppression, *targets]):
            if searched is not None:  # PDQ signals only, each bank's search done
                hits = lookup.entries_met(session, searched.closest[bank.id])
            else:
                hits = lookup.find_many(session, bank, kind, [asked[n] for n in numbers])
            for n, each in zip(numbers, hits, strict=True):
                found[(bank.id, n)] = [(EntryCard.of(e), d, v, f) for e, d, v, f in each]
            if cards is not None and kind == "pdq":
                cards.keep(bank, {c.id: c for n in numbers for c, *_ in found[(bank.id, n)]})
    results, matches, touched = _answer(actor, request, asked, targets, suppression, found)
    if touched is not None and _watched(touched, watched):
        cooperation.touch(session, actor, touched, "match")
    return _numbered(results, match_events.record(session, matches))


def _watched(touched: Touched, watched: Set[str] | None) -> bool:
    """Whether a hash a match touched may be watched by an agency (``watched`` None: not
    known, so it may)."""
    return watched is None or not watched.isdisjoint(touched.values(TargetKind.hash))


@dataclass(frozen=True)
class Searched:
    """A request's PDQ signals searched in the banks' indexes held in memory: which banks,
    the signals normalised, and what each bank's index found (by bank id)."""

    targets: list[Bank]
    suppression: list[Bank]
    asked: list[tuple[str, dict[str, str]]]
    closest: dict[int, list[lookup.Closest]]
    #: the index each bank was searched in (whose card file answers for its entries)
    indexes: dict[int, BankIndex]


def search_in_memory(
    actor: Principal,
    request: MatchRequest,
    every_bank: Sequence[Bank],
    index_of: Callable[[Bank], BankIndex | None],
) -> Searched | None:
    """:func:`match`'s search, with the banks' rows and indexes at hand (``index_of``: a
    bank's index if loaded and current, else None) and nothing else: no session, no
    thread. None when it needs the database: another signal type, an index not at hand.
    Errors are raised as :func:`match` raises them. :func:`answer_from_memory` answers
    from it, or :func:`match` reads the entries it met."""
    authorize(actor, Permission.MATCH_QUERY)
    authorize(actor, Permission.BANK_READ)
    if any(query.signal_type != "pdq" for query in request.signals):
        return None
    targets, suppression = _banks_to_search(request, [b for b in every_bank if can_see(actor, b)])
    asked = _asked(request)
    closest: dict[int, list[lookup.Closest]] = {}
    searched_in: dict[int, BankIndex] = {}
    for bank in dict.fromkeys([*suppression, *targets]):
        index = index_of(bank)
        if index is None:
            return None
        closest[bank.id] = lookup.closest_in(index, bank, asked)
        searched_in[bank.id] = index
    return Searched(targets, suppression, asked, closest, searched_in)


def answer_from_memory(
    actor: Principal,
    request: MatchRequest,
    searched: Searched,
    *,
    cards: EntryCards,
    watched: Set[str] | None,
    record: Callable[[list[match_events.NewMatch]], list[int] | None],
) -> MatchResponse | None:
    """:func:`match`'s answer from what :func:`search_in_memory` found and what the caller
    holds in memory: the cards of the index searched (its card file, of the entries
    unchanged since its base), else ``cards``, the entries' cards kept as read (their
    bank's sequence unchanged);
    ``watched``, every hash a deconfliction target names (None: not at hand);
    ``record``, which queues the matches' events and gives their ids (None: no ids at
    hand). None when the answer needs the database: a card not at hand, a hash an agency
    watches (whose alert :func:`match` writes).

    Most queries of a platform's uploads are misses and many hits meet entries met
    lately: the web server answers them on its event loop this way
    (alliance.web.match_lane) and everything else through :func:`match`.
    """
    found: dict[tuple[int, int], _Found] = {}
    for bank in dict.fromkeys([*searched.suppression, *searched.targets]):
        closest = searched.closest[bank.id]
        keys = {key for best in closest for key in best}
        met = searched.indexes[bank.id].cards_of(bank, keys) if keys else {}
        if len(met) < len(keys):
            kept = cards.get(bank, keys - met.keys())
            if kept is None:
                return None
            met |= kept
        for n, best in enumerate(closest):
            found[(bank.id, n)] = [(met[key], *best[key]) for key in best]
    results, matches, touched = _answer(
        actor, request, searched.asked, searched.targets, searched.suppression, found
    )
    if touched is not None and _watched(touched, watched):
        return None  # match writes the alert
    ids = record(matches) if matches else []
    return None if ids is None else _numbered(results, ids)


#: A signal's matches in one bank: (entry's card, distance, its variant, the query's form).
_Found = list[tuple[EntryCard, int, str, str]]


def _answer(
    actor: Principal,
    request: MatchRequest,
    asked: list[tuple[str, dict[str, str]]],
    targets: list[Bank],
    suppression: list[Bank],
    found: Mapping[tuple[int, int], _Found],
) -> tuple[list[SignalResult], list[match_events.NewMatch], Touched | None]:
    """Each signal's result from what each bank gave it, the matches to record (in the
    order of the results') and what the matches touched (None: nothing)."""
    matches: list[match_events.NewMatch] = []
    results = [
        _match_one(actor, query, asked[n][0], targets, suppression, found, matches, number=n)
        for n, query in enumerate(request.signals)
    ]
    # A match on a hash an agency watches (a hold, a series) tells it who is looking at it.
    # The query and entries equal to it are the same content; other entries it matched
    # (PDQ within distance) are near duplicates, and their alerts say so.
    matched = {
        key
        for result in results
        if result.matches
        for key in (
            f"{result.signal_type}:{result.signal}",
            *(f"{m.signal_type}:{m.matched_signal}" for m in result.matches if m.distance == 0),
        )
    }
    near = {
        f"{m.signal_type}:{m.matched_signal}"
        for result in results
        for m in result.matches
        if m.distance > 0
    } - matched
    touched = Touched(hashes=matched, near_hashes=near) if matched or near else None
    return results, matches, touched


def _numbered(results: list[SignalResult], ids: Sequence[int]) -> MatchResponse:
    """The answer, each match with its event's id (``ids`` in the order the matches were
    found), each result's matches then sorted."""
    numbers = iter(ids)
    for result in results:
        for m in result.matches:
            m.match_id = next(numbers)
        result.matches.sort(key=lambda m: (m.distance, m.bank, m.entry_id))
    return MatchResponse(results=results)


def _banks_to_search(request: MatchRequest, visible: list[Bank]) -> tuple[list[Bank], list[Bank]]:
    """The banks a request searches (the ones it names, or every one visible) and the
    suppression banks that silence a signal, of those ``visible`` to the caller."""
    if request.banks:
        by_name = {b.name: b for b in visible}
        missing = [n for n in request.banks if n not in by_name]
        if missing:
            raise NotFound(f"no bank named {missing[0]!r}")
        banks = [by_name[name] for name in dict.fromkeys(request.banks)]
    else:
        banks = visible
    return [b for b in banks if not b.suppression], [b for b in visible if b.suppression]


def _asked(request: MatchRequest) -> list[tuple[str, dict[str, str]]]:
    """Each signal normalised, with its further forms normalised."""
    return [
        (normalise_signal(query.signal_type, query.signal), _query_forms(query))
        for query in request.signals
    ]


def _query_forms(query: SignalIn) -> dict[str, str]:
    """A query's further forms, normalised; refused for a signal type that has none."""
    if not query.forms:
        return {}
    if query.signal_type not in ("pdq", "vpdq"):
        raise InvalidInput(
            f"forms are PDQ hashes of one picture or vPDQ hashes of one video; "
            f"{query.signal_type} has none"
        )
    return {
        name: normalise_signal(query.signal_type, hashed) for name, hashed in query.forms.items()
    }


def _match_one(
    actor: Principal,
    query: SignalIn,
    value: str,
    banks: list[Bank],
    suppression: list[Bank],
    found: Mapping[tuple[int, int], _Found],
    matches: list[match_events.NewMatch],
    *,
    number: int,
) -> SignalResult:
    """The result of the request's signal ``number`` (``value`` normalised), from what
    each bank gave it (``found``); its matches are added to ``matches`` to record, in the
    order of the result's (whose ``match_id`` the caller fills in)."""
    result = SignalResult(signal_type=query.signal_type, signal=value, matches=[])
    silencing = [b.name for b in suppression if found[(b.id, number)]]
    if silencing:
        result.suppressed_by = silencing
        return result
    for bank in banks:
        for entry, distance, variant, form in found[(bank.id, number)]:
            matches.append(
                match_events.NewMatch(
                    entry_id=entry.id,
                    bank_id=bank.id,
                    organisation_id=actor.organisation_id,
                    actor=actor.audit_label,
                    signal_type=query.signal_type,
                    distance=distance,
                )
            )
            result.matches.append(
                MatchOut(
                    match_id=0,
                    bank=bank.name,
                    entry_id=entry.id,
                    signal_type=entry.signal_type,
                    matched_signal=entry.signal_value,
                    distance=distance,
                    variant=variant,
                    query_form=form,
                    classification=classification_of(entry),
                    votes=entry.votes,
                    verified=entry.votes >= VERIFIED_AT,
                    confirmed=entry.confirmed,
                    disputed=entry.disputed,
                    flagged=entry.flagged,
                    contributor=entry.contributor_slug,
                    note=entry.note,
                    added_at=entry.added_at,
                )
            )
    return result


def feedback_on_local_match(
    session: Session, actor: Principal, bank_name: str, entry_id: int, data: LocalFeedbackIn
) -> FeedbackOut:
    """Feedback on a match the member found in its own synced copy (``alliance scan``):
    the match is recorded first (who, which entry, distance; never the media)."""
    authorize(actor, Permission.MATCH_FEEDBACK)
    bank = get_bank(session, actor, bank_name)
    entry = entry_of(session, bank, entry_id)
    event = MatchEvent(
        entry_id=entry.id,
        bank_id=bank.id,
        organisation_id=actor.organisation_id,
        actor=actor.audit_label,
        signal_type=entry.signal_type,
        distance=data.distance,
    )
    session.add(event)
    session.flush()
    return feedback(session, actor, event.id, FeedbackIn(verdict=data.verdict, note=data.note))


def feedback(session: Session, actor: Principal, match_id: int, data: FeedbackIn) -> FeedbackOut:
    """A member confirms or disputes one of its matches; the entry's counts change, and an
    entry disputed more than its bank allows is flagged for review."""
    authorize(actor, Permission.MATCH_FEEDBACK)
    # A match answered moments ago may still wait in a server process's queue.
    event = match_events.find(session, match_id)
    if event is None or (
        event.organisation_id != actor.organisation_id
        and actor.reach(Permission.MATCH_FEEDBACK) is not Reach.ALL
    ):
        raise NotFound(f"no match {match_id}")
    entry = session.get_one(BankEntry, event.entry_id)
    bank = session.execute(
        select(Bank)
        .where(Bank.id == event.bank_id)
        .with_for_update(of=Bank)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if event.verdict == data.verdict:
        raise Conflict(f"match {match_id} is already {data.verdict}")
    if event.verdict == "confirmed":
        entry.confirmed -= 1
    elif event.verdict == "disputed":
        entry.disputed -= 1
    if data.verdict == "confirmed":
        entry.confirmed += 1
    else:
        entry.disputed += 1
    event.verdict, event.verdict_note, event.verdict_at = data.verdict, data.note, utcnow()
    entry.changed_seq = _next_change(bank, matching_changed=False)
    # The contributor learns of it through the audit event filed under its organisation.
    record(
        session,
        actor,
        EventType.MATCH_FEEDBACK,
        "bank_entry",
        entry.id,
        {"bank": bank.name, "match_id": match_id, "verdict": data.verdict, "note": data.note},
        organisation_id=entry.contributor_organisation_id,
    )
    if not entry.flagged and entry.disputed >= bank.dispute_threshold:
        entry.flagged = True
        record(
            session,
            actor,
            EventType.BANK_ENTRY_FLAGGED,
            "bank_entry",
            entry.id,
            {"bank": bank.name, "disputed": entry.disputed},
            organisation_id=bank.owner_organisation_id,
        )
    return FeedbackOut(
        match_id=match_id,
        verdict=data.verdict,
        entry_id=entry.id,
        confirmed=entry.confirmed,
        disputed=entry.disputed,
        flagged=entry.flagged,
    )


def matched_entry(session: Session, match_id: int) -> tuple[str, str]:
    """The bank and the signal of the entry a match event found (after feedback on it)."""
    event = session.get_one(MatchEvent, match_id)
    entry = session.get_one(BankEntry, event.entry_id)
    return session.get_one(Bank, event.bank_id).name, entry.signal_value


# --- statistics and status (for the pages) --------------------------------------------


def bank_statistics(session: Session, bank: Bank) -> dict[str, list[tuple[str, int]]]:
    """Live entries counted by signal type, by category in each scheme, by verification."""
    live = (BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))

    def grouped(column: Any) -> list[tuple[str, int]]:
        rows = session.execute(
            select(column, func.count())
            .where(*live, column.is_not(None))
            .group_by(column)
            .order_by(column)
        ).all()
        return [(str(value), count) for value, count in rows]

    def count(*where: Any) -> int:
        return int(session.execute(select(func.count()).where(*live, *where)).scalar_one())

    return {
        "signal types": grouped(BankEntry.signal_type),
        "INTERPOL Baseline": [
            ("Baseline (illegal everywhere)", count(BankEntry.baseline.is_(True)))
        ],
        "IWF": grouped(BankEntry.iwf_category),
        "NCMEC": grouped(BankEntry.ncmec_category),
        "VICS": grouped(BankEntry.vics_category),
        "verification": [
            ("verified (3+ analysts)", count(BankEntry.votes >= VERIFIED_AT)),
            ("awaiting verification", count(BankEntry.votes < VERIFIED_AT)),
            ("flagged for review", count(BankEntry.flagged.is_(True))),
        ],
    }


#: What a bank's history lists: its own changes and those of its entries.
BANK_EVENTS = (
    EventType.BANK_CREATED,
    EventType.BANK_UPDATED,
    EventType.BANK_ENTRIES_ADDED,
    EventType.BANK_ENTRIES_REMOVED,
    EventType.BANK_ENTRY_VOTED,
    EventType.BANK_ENTRY_FLAGGED,
    EventType.MATCH_FEEDBACK,
)

HISTORY_SORTS: dict[str, Any] = {"when": AuditEvent.seq}


@dataclass(frozen=True)
class BankEvent:
    """One event of a bank's history as any reader of the bank may see it: what happened,
    when, which organisation did it and to which entry (or how many) — never the event's
    details, which hold other organisations' notes (a match's feedback note)."""

    seq: int
    occurred_at: datetime
    event_type: EventType
    organisation: str | None  # the actor's organisation; None for the platform itself
    actor: str  # the audit label (``user:jdoe``), for when there is no organisation
    entry_id: int | None = None
    entries: int | None = None  # how many entries a change of several touched


def _count_of(event: AuditEvent) -> int | None:
    details = json.loads(event.details or "{}")
    if event.event_type == EventType.BANK_ENTRIES_ADDED:
        return int(details.get("added", 0)) + int(details.get("updated", 0))
    if event.event_type == EventType.BANK_ENTRIES_REMOVED:
        return len(details.get("entries") or [])
    return None


def _actor_organisations(session: Session, events: Sequence[AuditEvent]) -> dict[int, str]:
    """The name of each event's actor's organisation by event id: a user's, or an API
    key's (its audit label names the key's prefix)."""
    user_ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    prefixes = {
        e.actor.partition(":")[2]
        for e in events
        if e.actor_user_id is None and e.actor.startswith("api_key:")
    }
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    by_user = {
        uid: names.get(org)
        for uid, org in session.execute(
            select(User.id, User.organisation_id).where(User.id.in_(user_ids))
        ).all()
    }
    by_key = {
        prefix: names.get(org)
        for prefix, org in session.execute(
            select(ApiKey.prefix, ApiKey.organisation_id).where(ApiKey.prefix.in_(prefixes))
        ).all()
    }
    found: dict[int, str] = {}
    for e in events:
        name = (
            by_user.get(e.actor_user_id)
            if e.actor_user_id is not None
            else by_key.get(e.actor.partition(":")[2])
            if e.actor.startswith("api_key:")
            else None
        )
        if name:
            found[e.id] = name
    return found


def bank_history(
    session: Session, actor: Principal, bank_name: str, listing: Listing
) -> list[BankEvent]:
    """Every event of the bank (the bank's changes and its entries' additions, removals,
    votes, flags and match feedback), newest first unless ``listing`` says otherwise, a
    page at a time. Only what a reader of the bank may see: see :class:`BankEvent`."""
    bank = get_bank(session, actor, bank_name)
    entry_ids = select(cast(BankEntry.id, String)).where(BankEntry.bank_id == bank.id)
    query = select(AuditEvent).where(
        AuditEvent.event_type.in_([str(t) for t in BANK_EVENTS]),
        or_(
            and_(AuditEvent.subject_type == "bank", AuditEvent.subject_id == bank.name),
            and_(AuditEvent.subject_type == "bank_entry", AuditEvent.subject_id.in_(entry_ids)),
        ),
    )
    listing = listing if listing.sort else replace(listing, sort="when", descending=True)
    tiebreak = AuditEvent.id.desc() if listing.descending else AuditEvent.id.asc()
    events = list(session.execute(ordered(query, listing, HISTORY_SORTS, (tiebreak,))).scalars())
    organisations = _actor_organisations(session, events)
    return [
        BankEvent(
            seq=e.seq,
            occurred_at=e.occurred_at,
            event_type=EventType(e.event_type),
            organisation=organisations.get(e.id),
            actor=e.actor,
            entry_id=int(e.subject_id) if e.subject_type == "bank_entry" else None,
            entries=_count_of(e),
        )
        for e in events
    ]


def sync_status(session: Session, actor: Principal, bank: Bank) -> list[BankSync]:
    """Who fetched the bank up to which point: every member for the owner and the
    secretariat, one's own row for a subscriber."""
    query = select(BankSync).where(BankSync.bank_id == bank.id)
    owner_view = actor.reach(Permission.BANK_READ) is Reach.ALL or (
        actor.organisation_id == bank.owner_organisation_id
    )
    if not owner_view:
        query = query.where(BankSync.organisation_id == actor.organisation_id)
    return list(session.execute(query.order_by(BankSync.synced_at.desc())).scalars())


# --- import and export ---------------------------------------------------------------


def import_batch(
    session: Session, actor: Principal, bank_name: str, batch: formats.ImportBatch
) -> ImportResult:
    """Apply a parsed file to a bank in the caller's transaction: all of it or nothing.

    Entries are added or updated; NCMEC-style deletions tombstone the entries they name
    (by signal, or by the ``ncmec:...`` reference kept in an entry's note)."""
    bank = get_bank(session, actor, bank_name)
    added = (
        add_entries(session, actor, bank_name, batch.entries)
        if batch.entries
        else EntriesAdded(added=0, unchanged=0, sequence=bank.sequence, entries=[])
    )
    doomed: set[int] = set()
    for signal_type, value in batch.deletions:
        doomed.update(
            session.execute(
                select(BankEntry.id).where(
                    BankEntry.bank_id == bank.id,
                    BankEntry.signal_type == signal_type,
                    BankEntry.signal_value == value,
                )
            ).scalars()
        )
    for refs in batches(sorted(batch.deleted_refs), LOOKUP_BATCH):
        doomed.update(
            session.execute(
                select(BankEntry.id).where(
                    BankEntry.bank_id == bank.id, among(session, BankEntry.note, refs)
                )
            ).scalars()
        )
    removed = remove_entries(session, actor, bank_name, sorted(doomed)) if doomed else 0
    return ImportResult(
        added=added.added,
        updated=len(added.entries) - added.added,
        unchanged=added.unchanged,
        removed=removed,
        skipped=batch.skipped,
        sequence=bank.sequence,
    )


def export_entries(session: Session, actor: Principal, bank_name: str, fmt: str) -> bytes:
    """Every live entry of a bank rendered in an interchange format."""
    bank = get_bank(session, actor, bank_name)
    entries = session.execute(
        select(BankEntry)
        .where(BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
        .order_by(BankEntry.id)
    ).scalars()
    return formats.render(fmt, [entry_out(e) for e in entries])
