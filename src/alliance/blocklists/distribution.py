"""The signed list document: a snapshot or a delta of the URL list or the keyword list.

Published as the banks are, with the same key, the same signature line and the same
manifest (:mod:`alliance.banks.signing`, :mod:`alliance.banks.manifest`); only the domain
that the signature covers differs, so a list document is never taken for a bank document
or a manifest, nor the other way round. Format ``alliance.blocklist`` version 1 (UTF-8,
one JSON object per line, ``\\n`` endings)::

    {"format": "alliance.blocklist", "version": 1, "kind": "snapshot" | "delta",
     "list": "urls" | "keywords", "since": N, "until": M, "entries": K,
     "generated_at": "...", "key_id": "..."}
    {"id": 3, "seq": 5, "url": "http://...", "host": "...", "category": "baseline",
     "listed_at": "...", "removed": false}                                  # urls
    {"id": 9, "seq": 6, "term": "...", "category": "coded", "language": "en",
     "added_at": "...", "removed": false}                                   # keywords
    ... K entry lines ...
    {"signature": "<base64 Ed25519>", "key_id": "..."}

A snapshot holds the entries listed at ``until``; a delta every entry changed after
``since`` up to ``until``, those that left the list included (``"removed": true``). The
signature is Ed25519 over ``b"alliance.blocklist.v1\\n"`` + SHA-256 of every byte before
the signature line. A subscriber applies a document only if it verifies with the key it
pinned, is the list and kind it asked for, counts the entries its header says, and (a
delta) starts at its checkpoint; see :mod:`alliance.blocklists.sync`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.banks.signing import Signer, check_format, sign_lines, verified_lines
from alliance.blocklists import lists
from alliance.blocklists.models import Keyword, ListedUrl, ListName
from alliance.db.base import utcnow
from alliance.errors import InvalidInput, NotFound

FORMAT = "alliance.blocklist"
VERSION = 1
_DOMAIN = b"alliance.blocklist.v1\n"
#: The field that names an entry in each list: what a subscriber keys its copy by.
KEY_FIELDS = {ListName.urls: "url", ListName.keywords: "term"}


def list_name(name: str) -> ListName:
    try:
        return ListName(name)
    except ValueError:
        raise NotFound(f"no list named {name!r} (the lists are urls and keywords)") from None


def manifest_lists(session: Session, principal: Principal) -> dict[str, int]:
    """The lists the actor may receive, at their sequences: the manifest's ``lists``
    (empty, a signed "none", for an actor that may receive no list)."""
    if not principal.can(Permission.BLOCKLIST_READ):
        return {}
    return {name.value: sequence for name, sequence in lists.sequences(session).items()}


def _url_records(session: Session, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ListedUrl).where(*where).order_by(ListedUrl.changed_seq, ListedUrl.id)
    ).scalars()
    return [
        {
            "id": e.id,
            "seq": e.changed_seq,
            "url": e.url,
            "host": e.host,
            "category": e.category.value,
            "listed_at": e.listed_at.isoformat(),
            "removed": e.delisted_at is not None,
        }
        for e in rows
    ]


def _keyword_records(session: Session, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Keyword).where(*where).order_by(Keyword.changed_seq, Keyword.id)
    ).scalars()
    return [
        {
            "id": k.id,
            "seq": k.changed_seq,
            "term": k.term,
            "category": k.category.value,
            "language": k.language,
            "added_at": k.added_at.isoformat(),
            "removed": k.removed_at is not None,
        }
        for k in rows
    ]


def _records(
    session: Session, name: ListName, *, since: int, until: int, live_only: bool
) -> list[dict[str, Any]]:
    # Up to ``until`` only: a change committed after the sequence was read comes in the
    # next delta, never in this one under a number the member would then skip.
    if name is ListName.urls:
        where = [ListedUrl.changed_seq > since, ListedUrl.changed_seq <= until]
        if live_only:
            where.append(ListedUrl.delisted_at.is_(None))
        return _url_records(session, *where)
    where = [Keyword.changed_seq > since, Keyword.changed_seq <= until]
    if live_only:
        where.append(Keyword.removed_at.is_(None))
    return _keyword_records(session, *where)


def build_document(
    name: ListName,
    entries: list[dict[str, Any]],
    *,
    kind: str,
    since: int,
    until: int,
    signer: Signer,
) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "list": name.value,
        "since": since,
        "until": until,
        "entries": len(entries),
        "generated_at": utcnow().isoformat(),
        "key_id": signer.key_id,
    }
    body = b"".join(orjson.dumps(line) + b"\n" for line in [header, *entries])
    return sign_lines(body, _DOMAIN, signer)


def snapshot(session: Session, actor: Principal, name: str, signer: Signer) -> bytes:
    """Every entry on the list now, as a signed document."""
    authorize(actor, Permission.BLOCKLIST_READ)
    which = list_name(name)
    until = lists.sequences(session)[which]
    entries = _records(session, which, since=0, until=until, live_only=True)
    return build_document(which, entries, kind="snapshot", since=0, until=until, signer=signer)


def delta(session: Session, actor: Principal, name: str, since: int, signer: Signer) -> bytes:
    """Every entry changed after ``since``, those that left the list included."""
    authorize(actor, Permission.BLOCKLIST_READ)
    which = list_name(name)
    until = lists.sequences(session)[which]
    if since > until:
        raise InvalidInput(
            f"checkpoint {since} is ahead of the {which.value} list (at {until}): "
            "resync from a snapshot"
        )
    entries = _records(session, which, since=since, until=until, live_only=False)
    return build_document(which, entries, kind="delta", since=since, until=until, signer=signer)


@dataclass(frozen=True)
class ListDocument:
    header: dict[str, Any]
    entries: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return str(self.header["list"])

    @property
    def kind(self) -> str:
        return str(self.header["kind"])

    @property
    def since(self) -> int:
        return int(self.header["since"])

    @property
    def until(self) -> int:
        return int(self.header["until"])


def parse_document(data: bytes, public_key: Ed25519PublicKey) -> ListDocument:
    """Verify and read a list document: a bad signature, another format or version, a
    count that differs from the header or an entry of the wrong shape raises, and nothing
    of it is returned."""
    lines = verified_lines(data, _DOMAIN, public_key)
    try:
        header = orjson.loads(lines[0])
        check_format(header, FORMAT, VERSION)
        which = ListName(header["list"])
        if header["kind"] not in ("snapshot", "delta"):
            raise ValueError(f"kind {header['kind']!r}")
        for field in ("since", "until", "entries"):
            if type(header[field]) is not int or header[field] < 0:
                raise ValueError(f"{field} is not a count")
        entries = [orjson.loads(line) for line in lines[1:] if line]
        key = KEY_FIELDS[which]
        for entry in entries:
            if not isinstance(entry.get(key), str) or type(entry.get("removed")) is not bool:
                raise ValueError(f"an entry without its {key} or removed flag")
            if type(entry.get("seq")) is not int:
                raise ValueError("an entry without its sequence number")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"malformed {FORMAT} document: {exc}") from None
    if len(entries) != header["entries"]:
        raise InvalidInput("entry count does not match the header")
    return ListDocument(header, entries)
