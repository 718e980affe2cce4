"""The signed bank manifest: which banks one member may receive, and at which sequence.

A member acts on nothing the platform says about its banks unless it is signed: the list
of banks it may receive is this manifest, not the plain ``GET /api/v1/banks``. Format
``alliance.bank-manifest`` version 1, two lines of JSON (UTF-8, ``\\n`` endings)::

    {"format": "alliance.bank-manifest", "version": 1,
     "member": {"organisation": "nl-photoshare", "api_key": "alk_0123abcd"},
     "issued_at": "2026-12-04T18:00:00.123456+00:00", "key_id": "...",
     "banks": [{"name": "baseline-demo", "sequence": 42}, ...],
     "removed": ["old-bank", ...],
     "lists": [{"name": "urls", "sequence": 7}, ...]}
    {"signature": "<base64 Ed25519>", "key_id": "..."}

The signature is Ed25519 over ``b"alliance.bank-manifest.v1\\n"`` + SHA-256 of the first
line, with the key that signs the banks' snapshots and deltas. ``member`` is the
organisation (by slug) and the API key (by its public prefix; ``null`` when a logged-in user
asked) the manifest was issued to. ``banks`` are the banks the member may receive, each at
the sequence of its newest change. ``removed`` is the platform's signed statement that the
member may no longer receive the banks named: the member asks about the banks it holds
(``?held=``) and every one of them it may not receive is listed, whether it still exists or
not, so the statement reveals nothing about banks the member was never given.
``lists`` (added in version 1; absent from a platform that predates it) are the lists for
blocking the member may receive (:mod:`alliance.blocklists.distribution`), each at the
sequence of its newest change: every one of them, so a list the member holds and no longer
finds here is one it may no longer receive.

Compatibility: a member refuses another ``format`` or a ``version`` it does not know, so a
change of meaning takes a new version; fields may be added to version 1 and members ignore
the ones they do not know. Every member that acts on a manifest also checks what it already
holds (see :mod:`alliance.banks.sync`): the manifest must be for it, no older than the newest
one it accepted, hold no bank at a sequence below its own copy, and name every bank it holds
either in ``banks`` or in ``removed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.banks.schemas import BANK_NAME_RE
from alliance.banks.services import visible_banks
from alliance.banks.signing import Signer, check_format, sign_lines, verified_lines
from alliance.db.base import utcnow
from alliance.errors import InvalidInput

FORMAT = "alliance.bank-manifest"
VERSION = 1
_DOMAIN = b"alliance.bank-manifest.v1\n"
#: How many held banks a member may ask about in one request.
MAX_HELD = 1000


@dataclass(frozen=True)
class Manifest:
    organisation: str
    api_key: str | None
    issued_at: datetime
    banks: dict[str, int]
    removed: frozenset[str]
    #: The lists for blocking the member may receive and their sequences; None when the
    #: platform's manifest says nothing of lists (it predates them).
    lists: dict[str, int] | None = None


def issue(
    session: Session,
    actor: Principal,
    held: Sequence[str],
    signer: Signer,
    lists: Mapping[str, int] | None = None,
) -> bytes:
    """The signed manifest for the actor's organisation; ``held``: the banks it holds;
    ``lists``: the lists for blocking it may receive, by name, at their sequences (the
    caller asks :mod:`alliance.blocklists`, which builds on the banks, not the reverse)."""
    authorize(actor, Permission.BANK_READ)
    if actor.organisation_id is None:
        raise InvalidInput("a bank manifest is issued to a member organisation's API key")
    if len(held) > MAX_HELD:
        raise InvalidInput(f"ask about at most {MAX_HELD} held banks at a time")
    for name in held:
        _check_name(name)
    organisation = session.get_one(Organisation, actor.organisation_id)
    banks = visible_banks(session, actor)
    granted = {b.name for b in banks}
    body = {
        "format": FORMAT,
        "version": VERSION,
        "member": {
            "organisation": organisation.slug,
            "api_key": actor.name if actor.kind == "api_key" else None,
        },
        "issued_at": utcnow().isoformat(),
        "key_id": signer.key_id,
        "banks": [{"name": b.name, "sequence": b.sequence} for b in banks],
        "removed": sorted(set(held) - granted),
    }
    if lists is not None:
        body["lists"] = [{"name": n, "sequence": q} for n, q in sorted(lists.items())]
    return sign(body, signer)


def sign(body: dict[str, Any], signer: Signer) -> bytes:
    """The manifest document: ``body`` as one line, and its signature line."""
    return sign_lines(orjson.dumps(body) + b"\n", _DOMAIN, signer)


def parse(data: bytes, public_key: Ed25519PublicKey) -> Manifest:
    """Verify and read a manifest: a bad signature, another format or version, or a field
    of the wrong shape raises, and nothing of it is returned."""
    lines = verified_lines(data, _DOMAIN, public_key)
    if len(lines) != 1:
        raise InvalidInput(f"an {FORMAT} document is one line and its signature")
    try:
        body = orjson.loads(lines[0])
        check_format(body, FORMAT, VERSION)
        return _read(body)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"malformed {FORMAT} document: {type(exc).__name__} {exc}") from None


def _read(body: dict[str, Any]) -> Manifest:
    issued_at = datetime.fromisoformat(body["issued_at"])
    if issued_at.tzinfo is None:
        raise InvalidInput(f"{FORMAT}: issued_at has no time zone")
    banks: dict[str, int] = {}
    for bank in body["banks"]:
        name, sequence = _check_name(bank["name"]), bank["sequence"]
        if type(sequence) is not int or sequence < 0 or name in banks:
            raise InvalidInput(f"{FORMAT}: bank {name!r} listed twice or with a bad sequence")
        banks[name] = sequence
    removed = frozenset(_check_name(n) for n in body["removed"])
    if removed & banks.keys():
        both = sorted(removed & banks.keys())
        raise InvalidInput(f"{FORMAT}: banks both granted and removed: {both}")
    lists: dict[str, int] | None = None
    if "lists" in body:
        lists = {}
        for entry in body["lists"]:
            name, sequence = _check_name(entry["name"]), entry["sequence"]
            if type(sequence) is not int or sequence < 0 or name in lists:
                raise InvalidInput(f"{FORMAT}: list {name!r} listed twice or with a bad sequence")
            lists[name] = sequence
    member = body["member"]
    api_key = member["api_key"]
    return Manifest(
        organisation=str(member["organisation"]),
        api_key=None if api_key is None else str(api_key),
        issued_at=issued_at,
        banks=banks,
        removed=removed,
        lists=lists,
    )


def _check_name(name: object) -> str:
    # Names become file names in the member's store: only a bank name's characters.
    if not isinstance(name, str) or not BANK_NAME_RE.match(name):
        raise InvalidInput(f"{name!r} is not a bank name")
    return name
