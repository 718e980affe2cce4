"""Short references people can read out on the phone: ``R-7K3Q9X2M``.

Random rather than sequential, so a reference reveals nothing about volumes.
"""

from __future__ import annotations

import secrets

# Crockford-like: no 0/O, 1/I/L confusion.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new(prefix: str, length: int = 8) -> str:
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(length))
