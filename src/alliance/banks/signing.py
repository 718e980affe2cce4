"""Ed25519 signatures on what the platform distributes (bank manifests, snapshots, deltas).

The platform holds one private key; members fetch the public key once from
``/api/v1/keys`` (and should pin it) and verify every manifest, snapshot and delta before
acting on it. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw public key.

Every signed document is JSON lines ending in a signature line
``{"signature": "<base64>", "key_id": "..."}``; the signature is over the document's domain
(``b"alliance.bank.v1\n"``, ``b"alliance.bank-manifest.v1\n"``) followed by the SHA-256 of
every byte before the signature line. The domain keeps a signature made for one kind of
document from being accepted for another.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alliance.errors import ConfigurationError, InvalidInput


class SignatureInvalid(InvalidInput):
    code = "signature_invalid"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private_key.sign(data)).decode()

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path, *, create: bool) -> Signer:
        if not path.exists():
            if not create:
                raise ConfigurationError(f"signing key file {path} does not exist")
            signer = cls.generate()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(signer.private_pem())
            return signer
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"signing key file {path} is not a PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"signing key file {path} is not an Ed25519 key")
        return cls(key)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise InvalidInput("not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("not an Ed25519 public key")
    return key


def verify(public_key: Ed25519PublicKey, data: bytes, signature: str) -> None:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid(
            "signature does not verify: the data was altered or truncated, or signed by another key"
        ) from exc


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


def check_format(header: dict[str, Any], fmt: str, version: int) -> None:
    """Refuse a document of another format, or of a version this release cannot read."""
    if header.get("format") != fmt:
        raise InvalidInput(f"not an {fmt} document")
    if header.get("version") != version:
        raise InvalidInput(
            f"{fmt} version {header.get('version')} is not supported "
            f"(this Alliance reads version {version})"
        )
