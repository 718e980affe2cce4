"""The subscriber side: bring the lists for blocking to the platform's signed manifest.

``alliance sync`` first syncs the banks (:func:`alliance.banks.sync.sync`), which verifies
the signed manifest with the pinned key and refuses one that is not for this member, is
older than the newest accepted or has aged past the limit. The same manifest, once
accepted, says which lists the member may receive and at which sequence (its ``lists``);
this module then fetches each list's snapshot (first sync) or delta since the checkpoint,
verifies it with the same pinned key, and applies it. As for the banks:

- a document must be the list and the kind asked for, and reach the manifest's sequence;
- a manifest listing a list below the local copy is a rollback: refused, nothing changed;
- a list the member holds that the manifest no longer grants is dropped (the manifest
  names every list the member may receive, so leaving one out is a signed statement);
- a manifest from a platform that predates the lists (no ``lists``) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from alliance.banks.hub_client import get
from alliance.banks.local_store import SyncRefused
from alliance.banks.manifest import Manifest
from alliance.banks.signing import SignatureInvalid, load_public_key
from alliance.blocklists.distribution import parse_document
from alliance.blocklists.local_store import ListApplied, LocalListStore
from alliance.blocklists.models import ListName


@dataclass
class ListsReport:
    applied: list[ListApplied] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    published: bool = True  # False: the platform's manifest names no lists (older platform)


def sync_lists(
    client: httpx.Client, store: LocalListStore, signed: Manifest, public_key_pem: str
) -> ListsReport:
    """Apply the lists ``signed`` (a manifest already verified and accepted) grants."""
    report = ListsReport()
    if signed.lists is None:
        report.published = False
        return report
    granted = {n: s for n, s in signed.lists.items() if n in ListName.__members__}
    behind = [
        f"{name} at {sequence} (local copy at {store.checkpoint(name)})"
        for name, sequence in sorted(granted.items())
        if name in store.lists and sequence < store.checkpoint(name)
    ]
    if behind:
        raise SyncRefused(
            f"the signed manifest lists lists older than the local copy: {', '.join(behind)}; "
            "nothing changed"
        )
    public_key = load_public_key(public_key_pem)
    for name, sequence in sorted(granted.items()):
        held = name in store.lists
        if held and store.checkpoint(name) == sequence:
            report.unchanged.append(name)
            continue
        if held:
            kind = "delta"
            response = get(client, f"/api/v1/lists/{name}/delta", since=store.checkpoint(name))
        else:
            kind, response = "snapshot", get(client, f"/api/v1/lists/{name}/snapshot")
        document = parse_document(response.content, public_key)
        if document.name != name or document.kind != kind:
            raise SignatureInvalid(
                f"asked for the {kind} of the {name} list, got the {document.kind} "
                f"of {document.name!r}"
            )
        if document.until < sequence:
            raise SyncRefused(
                f"{name}: the signed manifest lists it at sequence {sequence}, the platform "
                f"sent a {kind} at {document.until}, an older copy; nothing changed"
            )
        report.applied.append(store.apply(document))
    for name in sorted(store.lists.keys() - granted.keys()):
        store.drop(name)
        report.dropped.append(name)
    return report
