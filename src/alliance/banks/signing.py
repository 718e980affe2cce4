"""Ed25519 signatures on bank snapshots and deltas: the platform's one key.

The primitive lives in :mod:`alliance.signing`, below the layers, because the audit chain's
anchors (platform) are signed with the same key; the bank modules keep importing it here.
"""

from alliance.signing import SignatureInvalid, Signer, fingerprint, key_id, load_public_key, verify

__all__ = ["SignatureInvalid", "Signer", "fingerprint", "key_id", "load_public_key", "verify"]
