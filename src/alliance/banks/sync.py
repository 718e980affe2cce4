"""The member side of distribution: a signed manifest says which banks; each bank's signed
snapshot or delta is verified and applied.

``sync`` talks to the platform's API with an API key. It pins the platform's signing key on
first use (or takes one given by the operator) and refuses any document whose signature
does not verify with it. It acts on no list it cannot verify: the banks it may receive
come from the signed manifest (:mod:`alliance.banks.manifest`), which is checked against
what the member holds before anything changes:

- the manifest was issued to this member: to the API key in use, and to the organisation
  pinned by the first sync (or given with ``--member``);
- it is not older than the newest manifest accepted (an old one replayed);
- it lists no bank the member holds at a sequence below the local copy (a rollback);
- it names every bank the member holds, as granted or as removed: a bank is dropped only on
  the platform's signed statement that the member may no longer receive it.

Then each bank's document must be the one asked for (that bank, a snapshot for a new bank,
the delta since the checkpoint for a held one) and reach at least the manifest's sequence;
the local store itself refuses to go below a checkpoint. A refusal raises before the bank
it concerns is touched; banks applied before it in the same run hold newer, verified data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from alliance.accounts.services import API_KEY_RE
from alliance.banks import manifest as manifests
from alliance.banks.distribution import parse_any
from alliance.banks.hub_client import HubError, get, json_of
from alliance.banks.local_store import ApplyResult, LocalBankStore, SyncRefused
from alliance.banks.manifest import Manifest
from alliance.banks.signing import SignatureInvalid, key_id, load_public_key
from alliance.db.base import utcnow
from alliance.errors import NotFound

MANIFEST_PATH = "/api/v1/sync/manifest"
#: The hub signs a manifest per request, so a fresh one is seconds old; an old one is a
#: replay that would freeze the member at its copy (ALLIANCE_SYNC_MAX_MANIFEST_AGE_HOURS).
MAX_MANIFEST_AGE = timedelta(hours=24)

__all__ = ["MANIFEST_PATH", "SyncRefused", "SyncReport", "sync"]


@dataclass
class SyncReport:
    applied: list[ApplyResult] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: Banks asked for (``only``) that the signed manifest does not grant this member.
    not_granted: list[str] = field(default_factory=list)
    #: The signed manifest acted on, once every check passed: the lists for blocking
    #: (:mod:`alliance.blocklists.sync`) are synced against the same manifest.
    manifest: Manifest | None = None


def sync(
    client: httpx.Client,
    store: LocalBankStore,
    *,
    server: str,
    public_key_pem: str | None = None,
    member: str | None = None,
    max_manifest_age: timedelta = MAX_MANIFEST_AGE,
    on_bank: Callable[[str], None] | None = None,
    only: Collection[str] | None = None,
) -> SyncReport:
    """Bring the store to the platform's signed manifest: apply what changed, drop what the
    manifest withdraws. ``member``: the organisation the store syncs for (default: the
    one pinned by the first sync); a manifest issued more than ``max_manifest_age`` ago is
    refused (a freeze). ``only``: the banks the member subscribes to (member mode), of
    those granted; a held bank not among them is dropped (default: every granted bank)."""
    public_key_pem = _signing_key(client, store, public_key_pem)
    public_key = load_public_key(public_key_pem)
    try:
        response = get(client, MANIFEST_PATH, held=sorted(store.banks))
    except NotFound as exc:
        raise NotFound(
            f"{exc.message}. The platform publishes no signed bank manifest: it runs an "
            "older Alliance and must be upgraded before its members (docs/banks.md)"
        ) from None
    signed = manifests.parse(response.content, public_key)
    _check_manifest(signed, store, member=member, api_key=_key_prefix(client))
    age = utcnow() - signed.issued_at
    if age > max_manifest_age:
        raise SyncRefused(
            f"the signed manifest was issued at {signed.issued_at.isoformat()}, "
            f"{age.total_seconds() / 3600:.1f} hours ago (the limit is "
            f"{max_manifest_age.total_seconds() / 3600:g}): a mirror or proxy may be holding "
            "back updates; nothing changed"
        )
    store.accept_manifest(
        server,
        key_id(public_key),
        public_key_pem,
        signed.organisation,
        signed.issued_at.isoformat(),
    )

    report = SyncReport(manifest=signed)
    wanted = signed.banks
    unsubscribed: set[str] = set()
    if only is not None:
        wanted = {name: seq for name, seq in signed.banks.items() if name in only}
        report.not_granted = sorted(set(only) - signed.banks.keys())
        unsubscribed = (store.banks.keys() & signed.banks.keys()) - wanted.keys()
    for name, sequence in sorted(wanted.items()):
        if on_bank:
            on_bank(name)
        held = name in store.banks
        checkpoint = store.checkpoint(name)
        if held and checkpoint == sequence:
            report.unchanged.append(name)
            continue
        if held:
            kind, response = "delta", get(client, f"/api/v1/banks/{name}/delta", since=checkpoint)
        else:
            # The binary form (a platform that predates it answers JSON lines: read too).
            kind = "snapshot"
            response = get(client, f"/api/v1/banks/{name}/snapshot", format="binary")
        document = parse_any(response.content, public_key)
        if document.bank != name or document.kind != kind:
            raise SignatureInvalid(
                f"asked for the {kind} of bank {name!r}, got the {document.kind} "
                f"of {document.bank!r}"
            )
        if document.until < sequence:
            raise SyncRefused(
                f"{name}: the signed manifest lists it at sequence {sequence}, the platform "
                f"sent a {kind} at {document.until}, an older copy; nothing changed"
            )
        report.applied.append(store.apply(document))
    for name in sorted((signed.removed & store.banks.keys()) | unsubscribed):
        store.drop(name)
        report.dropped.append(name)
    return report


def _signing_key(client: httpx.Client, store: LocalBankStore, given: str | None) -> str:
    """The PEM of the key to verify with: given, pinned, or (first sync) the published one;
    refused if the platform no longer publishes it."""
    answer = json_of(get(client, "/api/v1/keys"), "GET /api/v1/keys")
    try:
        published = {str(k["key_id"]): str(k["public_key_pem"]) for k in answer["keys"]}
    except (KeyError, TypeError):
        raise HubError("the platform's answer to GET /api/v1/keys lists no keys") from None
    pem: str | None = given or store.state.get("public_key_pem")
    if pem is None:  # trust on first use, then pinned
        if not published:
            raise HubError("the platform publishes no signing key")
        pem = next(iter(published.values()))
    pinned_id = key_id(load_public_key(pem))
    if pinned_id not in published:
        raise SignatureInvalid(
            f"the platform no longer signs with key {pinned_id}; if its key was rotated on "
            "purpose, give the new one with --public-key"
        )
    return pem


def _key_prefix(client: httpx.Client) -> str | None:
    """The public prefix of the API key the client sends (``alk_<8 hex>``)."""
    match = API_KEY_RE.match(client.headers.get("Authorization", "").removeprefix("Bearer "))
    return match.group(1) if match else None


def _check_manifest(
    signed: Manifest, store: LocalBankStore, *, member: str | None, api_key: str | None
) -> None:
    """Refuse a manifest that is not for this member, older than the newest accepted,
    behind the local copy, or silent about a bank the member holds."""
    if api_key is not None and signed.api_key != api_key:
        raise SyncRefused(
            f"the signed manifest was issued to {signed.api_key or 'a logged-in user'} of "
            f"{signed.organisation!r}, not to this key ({api_key}); nothing changed"
        )
    member = member or store.state.get("member")
    if member is not None and signed.organisation != member:
        raise SyncRefused(
            f"the signed manifest is for member {signed.organisation!r}; this store syncs "
            f"for {member!r}; nothing changed"
        )
    newest = store.state.get("manifest_issued_at")
    if newest is not None and signed.issued_at < datetime.fromisoformat(newest):
        raise SyncRefused(
            f"the signed manifest was issued at {signed.issued_at.isoformat()}, before the "
            f"newest one already accepted ({newest}): an old manifest replayed; nothing changed"
        )
    behind = [
        f"{name} at {sequence} (local copy at {store.checkpoint(name)})"
        for name, sequence in sorted(signed.banks.items())
        if name in store.banks and sequence < store.checkpoint(name)
    ]
    if behind:
        raise SyncRefused(
            "the signed manifest lists banks older than the local copy: "
            f"{', '.join(behind)}; nothing changed (if the platform was restored from a "
            "backup on purpose, start a new local copy: docs/banks.md)"
        )
    unaccounted = sorted(store.banks.keys() - signed.banks.keys() - signed.removed)
    if unaccounted:
        raise SyncRefused(
            f"the signed manifest neither lists nor withdraws banks you hold: "
            f"{', '.join(unaccounted)}; they are kept; nothing changed"
        )
