"""One query against the member's banks: the synced ones (the verified local copy of the
hub's) and its local ones (its own database), together.

Negative (suppression) banks of either kind suppress the positive matches of both: a
platform that marks a picture as a known false positive in a local negative bank stops
it matching the hub's banks too, as HMA's ignore lists do. A suppressed match is still
answered (``suppressed: true``, with the banks that suppressed it), so that the service
can tell "nothing matched" from "matched, known harmless" and the record shows why no
case was opened. Suppression is per signal, as on the hub: a file's digest in a negative
bank suppresses that digest's matches, its PDQ in one suppresses the PDQ's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.banks import lookup
from alliance.banks import services as banks
from alliance.banks.local_store import LocalBankStore, LocalMatch
from alliance.banks.models import Bank, BankEntry
from alliance.banks.schemas import Classification, SignalIn
from alliance.errors import InvalidInput
from alliance.member.local_banks import own_banks
from alliance.member.schemas import BankRef, MemberMatch, MemberSignalResult

FORM_TYPES = ("pdq", "vpdq")


def normalised(query: SignalIn, number: int) -> tuple[str, dict[str, str]]:
    """The query's signal and further forms, normalised; InvalidInput naming the signal."""
    try:
        value = banks.normalise_signal(query.signal_type, query.signal)
        if query.forms and query.signal_type not in FORM_TYPES:
            raise InvalidInput(f"{query.signal_type} has no further forms (only PDQ and vPDQ)")
        forms = {
            name: banks.normalise_signal(query.signal_type, text)
            for name, text in (query.forms or {}).items()
        }
    except InvalidInput as exc:
        raise InvalidInput(f"signal {number}: {exc.message}", field="signals") from None
    return value, forms


def _synced(
    store: LocalBankStore, signal_type: str, asked: Mapping[str, str]
) -> tuple[list[MemberMatch], list[str]]:
    """Matches in the synced banks (the closest form per entry) and the synced negative
    banks the signal is in."""
    positive = [n for n, meta in store.banks.items() if not meta["suppression"]]
    negative = [n for n, meta in store.banks.items() if meta["suppression"]]
    best: dict[tuple[str, int], tuple[LocalMatch, str]] = {}
    for form, found in store.find_forms(signal_type, asked, positive).items():
        for match in found:
            key = (match.bank, int(match.entry["id"]))
            if key not in best or match.distance < best[key][0].distance:
                best[key] = (match, form)
    silencing = {
        match.bank
        for found in store.find_forms(signal_type, asked, negative).values()
        for match in found
    }
    matches = [
        MemberMatch(
            origin="synced",
            bank=m.bank,
            entry_id=int(m.entry["id"]),
            signal_type=m.entry["signal_type"],
            matched_signal=m.entry["signal"],
            distance=m.distance,
            variant=m.variant,
            query_form=form,
            classification=Classification.model_validate(m.entry["classification"]),
            verified=bool(m.entry["verified"]),
            contributor=m.entry.get("contributor"),
            suppressed=False,
        )
        for m, form in best.values()
    ]
    return matches, sorted(silencing)


def _local_match(
    bank: Bank, entry: BankEntry, distance: int, variant: str, form: str
) -> MemberMatch:
    return MemberMatch(
        origin="local",
        bank=bank.name,
        entry_id=entry.id,
        signal_type=entry.signal_type,
        matched_signal=entry.signal_value,
        distance=distance,
        variant=variant,
        query_form=form,
        classification=banks.classification_of(entry),
        verified=entry.votes >= banks.VERIFIED_AT,
        contributor=entry.contributor.slug,
        suppressed=False,
    )


def match_signals(
    session: Session,
    actor: Principal,
    store: LocalBankStore,
    queries: Sequence[SignalIn],
    local_banks: Sequence[Bank] | None = None,
) -> list[MemberSignalResult]:
    """Each query's matches in the synced and the local banks, closest first; a signal in
    any negative bank has its matches marked suppressed. ``local_banks``: the member's
    banks as the caller read them (default: its organisation's, read now)."""
    local = list(local_banks) if local_banks is not None else own_banks(session, actor)
    results = []
    for number, query in enumerate(queries, 1):
        value, forms = normalised(query, number)
        matches, synced_silencing = _synced(store, query.signal_type, {"original": value, **forms})
        silencing = [BankRef(origin="synced", bank=name) for name in synced_silencing]
        for bank in local:
            found = lookup.find(session, bank, query.signal_type, value, forms)
            if bank.suppression and found:
                silencing.append(BankRef(origin="local", bank=bank.name))
            elif not bank.suppression:
                matches.extend(_local_match(bank, *hit) for hit in found)
        for match in matches:
            match.suppressed = bool(silencing)
        matches.sort(key=lambda m: (m.distance, m.origin, m.bank, m.entry_id))
        results.append(
            MemberSignalResult(
                signal_type=query.signal_type,
                signal=value,
                matches=matches,
                suppressed_by=silencing,
            )
        )
    return results
