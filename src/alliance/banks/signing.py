"""Signed bank documents (manifests, snapshots, deltas) on the platform's one key.

The key and the signature primitive live in :mod:`alliance.signing`, below the layers,
because the audit chain's anchors (platform) are signed with the same key.

Every signed bank document is JSON lines ending in a signature line
``{"signature": "<base64>", "key_id": "..."}``; the signature is over the document's domain
(``b"alliance.bank.v1\\n"``, ``b"alliance.bank-manifest.v1\\n"``) followed by the SHA-256 of
every byte before the signature line. The domain keeps a signature made for one kind of
document from being accepted for another.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alliance.errors import InvalidInput
from alliance.signing import SignatureInvalid, Signer, fingerprint, key_id, load_public_key, verify

__all__ = [
    "SignatureInvalid",
    "Signer",
    "check_format",
    "fingerprint",
    "key_id",
    "load_public_key",
    "sign_lines",
    "verified_lines",
    "verify",
]


def sign_lines(body: bytes, domain: bytes, signer: Signer) -> bytes:
    """``body`` (complete JSON lines) followed by its signature line."""
    signature = signer.sign(domain + hashlib.sha256(body).digest())
    return body + orjson.dumps({"signature": signature, "key_id": signer.key_id}) + b"\n"


def verified_lines(data: bytes, domain: bytes, public_key: Ed25519PublicKey) -> list[bytes]:
    """The lines before the signature line of ``data``, once the signature verifies: any
    alteration or truncation raises, and nothing of an unverified document is returned."""
    if not data.endswith(b"\n"):
        raise SignatureInvalid("document truncated: no final signature line")
    body_end = data.rfind(b"\n", 0, len(data) - 1) + 1
    body, trailer = data[:body_end], data[body_end:]
    try:
        signature = orjson.loads(trailer)["signature"]
    except (ValueError, KeyError, TypeError):
        raise SignatureInvalid(
            "document truncated or altered: last line is not a signature"
        ) from None
    verify(public_key, domain + hashlib.sha256(body).digest(), str(signature))
    return body.rstrip(b"\n").split(b"\n")


class BankHeader:
    """The bank, ``since`` and ``until`` a bank document's header gives: the same in a
    JSON-lines document (:mod:`alliance.banks.distribution`) and a binary snapshot
    (:mod:`alliance.banks.snapshots`)."""

    header: dict[str, Any]

    @property
    def bank(self) -> str:
        return str(self.header["bank"]["name"])

    @property
    def since(self) -> int:
        return int(self.header["since"])

    @property
    def until(self) -> int:
        return int(self.header["until"])


def check_format(header: dict[str, Any], fmt: str, version: int) -> None:
    """Refuse a document of another format, or of a version this release cannot read."""
    if header.get("format") != fmt:
        raise InvalidInput(f"not an {fmt} document")
    if header.get("version") != version:
        raise InvalidInput(
            f"{fmt} version {header.get('version')} is not supported "
            f"(this Alliance reads version {version})"
        )
