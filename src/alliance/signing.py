"""The platform's Ed25519 key: what it signs, others can check without trusting its database.

The platform holds one private key (``ALLIANCE_SIGNING_KEY_FILE``). It signs the bank
snapshots and deltas it distributes (members fetch the public key once from
``/api/v1/keys``, pin it, and verify every document before applying it) and the audit
chain's head (:mod:`alliance.audit.anchors`). ``fingerprint`` is the SHA-256 of the raw
public key; ``key_id`` its first 16 hex digits.

This module sits beside ``errors.py`` and ``settings.py`` below every layer, so that the
platform (audit) and the domain (banks) use one primitive.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alliance.errors import ConfigurationError, InvalidInput
from alliance.settings import Mode, Settings


class SignatureInvalid(InvalidInput):
    code = "signature_invalid"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def key_id(public_key: Ed25519PublicKey) -> str:
    return fingerprint(public_key)[:16]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

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

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """The platform's key; generated on first use outside production."""
        return cls.from_file(
            settings.resolved_signing_key_file(), create=settings.mode is not Mode.production
        )

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
