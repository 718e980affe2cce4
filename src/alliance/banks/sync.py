"""The member side of distribution: pull every subscribed bank's delta, verify, apply.

``sync`` talks to the platform's API with an API key. It pins the platform's signing key
on first use (or takes one given by the operator) and refuses any document whose
signature does not verify with it: a tampered or truncated delta is rejected whole and
the local copy stays as it was. Banks the member may no longer receive are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from alliance.banks.distribution import parse_document
from alliance.banks.local_store import ApplyResult, LocalBankStore
from alliance.banks.signing import SignatureInvalid, key_id, load_public_key
from alliance.errors import (
    AllianceError,
    ConfigurationError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)


class SyncFailed(AllianceError):
    code = "sync_failed"


@dataclass
class SyncReport:
    applied: list[ApplyResult] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _get(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return _checked(path, lambda: client.get(path, params=params))


def post_json(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = _checked(path, lambda: client.post(path, json=body)).json()
    return result


def _checked(path: str, call: Callable[[], httpx.Response]) -> httpx.Response:
    try:
        response = call()
    except httpx.HTTPError as exc:
        raise SyncFailed(f"cannot reach the platform: {exc}") from None
    if response.status_code == 200:
        return response
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:200]
    errors: dict[int, type[AllianceError]] = {
        401: NotAuthenticated,
        403: PermissionDenied,
        404: NotFound,
        400: InvalidInput,
    }
    raise errors.get(response.status_code, SyncFailed)(
        f"platform answered {response.status_code} for {path}: {message}"
    )


def sync(
    client: httpx.Client,
    store: LocalBankStore,
    *,
    server: str,
    public_key_pem: str | None = None,
    on_bank: Callable[[str], None] | None = None,
) -> SyncReport:
    published = _get(client, "/api/v1/keys").json()["keys"]
    if public_key_pem is None:
        public_key_pem = store.state.get("public_key_pem")
        if public_key_pem is None:  # trust on first use, then pinned
            public_key_pem = str(published[0]["public_key_pem"])
    public_key = load_public_key(public_key_pem)
    pinned_id = key_id(public_key)
    if pinned_id not in {k["key_id"] for k in published}:
        raise SignatureInvalid(
            f"the platform no longer signs with key {pinned_id}; if its key was rotated on "
            "purpose, give the new one with --public-key"
        )
    if store.state.get("key_id") != pinned_id or store.state.get("server") != server:
        store.pin_key(server, pinned_id, public_key_pem)

    report = SyncReport()
    remote = {b["name"]: b for b in _get(client, "/api/v1/banks").json()}
    for name in sorted(set(store.banks) - set(remote)):
        store.drop(name)
        report.dropped.append(name)
    for name, meta in sorted(remote.items()):
        if on_bank:
            on_bank(name)
        checkpoint = store.checkpoint(name)
        if name in store.banks and checkpoint == meta["sequence"]:
            report.unchanged.append(name)
            continue
        if checkpoint > meta["sequence"]:
            checkpoint = 0  # the platform was restored from an older copy: start over
        if checkpoint == 0:
            response = _get(client, f"/api/v1/banks/{name}/snapshot")
        else:
            response = _get(client, f"/api/v1/banks/{name}/delta", since=checkpoint)
        document = parse_document(response.content, public_key)
        if document.bank != name:
            raise SignatureInvalid(f"asked for bank {name!r}, got {document.bank!r}")
        report.applied.append(store.apply(document))
    return report


def make_client(server: str, api_key: str, *, timeout: float = 60.0) -> httpx.Client:
    if not server.startswith(("https://", "http://")):
        raise ConfigurationError(f"--server must be an http(s) URL, not {server!r}")
    return httpx.Client(
        base_url=server.rstrip("/"), timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
    )
