"""The record of one hashed file: what ``alliance hash`` prints, and every reader of it.

:func:`hash_media` produces a :class:`HashRecord`; :meth:`HashRecord.to_json` writes the
JSON line ``alliance hash`` prints and :meth:`HashRecord.from_json` reads it back,
validating every value with its signal type. ``index build``, ``match``, ``scan`` and the
hash-file readers of :mod:`alliance.matching.hashfile` all go through it, so nothing else
probes the JSON.

**The JSON line** (keys in this order, absent when empty)::

    {"path": "a.jpg",                 # the file as named on the command line
     "id": "...",                     # optional, a hash file's own id (read, written back)
     "pdq": "f8f8...", "md5": "...",  # each signal by name (registry order)
     "pdq_quality": 100,              # <signal>_quality, _low_quality, _variants, _frames
     "pdq_low_quality": true,
     "pdq_variants": {"rotate90": "..."},
     "pdq_frames": ["..."],
     "error": "...",                  # the file could not be hashed (no signals then)
     "not_media": "..."}              # `alliance scan`: not media, file digests only

Keys the record does not know (a seizure's ``category``, a scan's ``matches``) are
ignored on reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance.hashing.crypto import digest_streams
from alliance.hashing.errors import InvalidHash
from alliance.hashing.signal_type import HashOptions, SignalHash
from alliance.hashing.signals import DEFAULT_SIGNALS, REGISTRY, get

_EXTRAS = ("quality", "low_quality", "variants", "frames")


@dataclass(frozen=True, slots=True)
class HashRecord:
    path: str = ""
    #: Signal name -> its value for this file, in registry order.
    signals: Mapping[str, SignalHash] = field(default_factory=dict)
    error: str | None = None
    not_media: str | None = None
    id: str | None = None

    def get(self, name: str) -> SignalHash | None:
        return self.signals.get(name)

    def value(self, name: str) -> str | None:
        found = self.signals.get(name)
        return None if found is None else found.value

    def name(self, default: str = "") -> str:
        """What a hash-file entry is called: its id, else its path, else ``default``."""
        return self.id or self.path or default

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.id is not None:
            out["id"] = self.id
        ordered = [(n, self.signals[n]) for n in REGISTRY if n in self.signals]
        out.update((name, one.value) for name, one in ordered)
        for name, one in ordered:
            if one.quality is not None:
                out[f"{name}_quality"] = one.quality
            if one.low_quality:
                out[f"{name}_low_quality"] = True
            if one.variants:
                out[f"{name}_variants"] = dict(one.variants)
            if one.frames:
                out[f"{name}_frames"] = list(one.frames)
        if self.error is not None:
            out["error"] = self.error
        if self.not_media is not None:
            out["not_media"] = self.not_media
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str, line: int | None = None) -> HashRecord:
        """Parse one JSON line; :class:`~alliance.hashing.errors.InvalidHash` says what is
        wrong, after ``line N:`` when ``line`` is given."""
        try:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidHash(f"invalid JSON ({exc.msg})") from exc
            except RecursionError:
                raise InvalidHash("JSON nested too deeply") from None
            return cls.from_dict(data)
        except InvalidHash as exc:
            if line is None:
                raise
            raise InvalidHash(f"line {line}: {exc.message}") from exc

    @classmethod
    def from_dict(cls, data: object) -> HashRecord:
        if not isinstance(data, dict):
            raise InvalidHash("a JSON line must be an object")
        found: dict[str, SignalHash] = {}
        for name, kind in REGISTRY.items():
            value = data.get(name)
            if value is None:
                continue
            quality = data.get(f"{name}_quality")
            if quality is not None and (
                not isinstance(quality, int) or isinstance(quality, bool) or not 0 <= quality <= 100
            ):
                raise InvalidHash(f'"{name}_quality" must be a whole number from 0 to 100')
            low = data.get(f"{name}_low_quality")
            if low is not None and not isinstance(low, bool):
                raise InvalidHash(f'"{name}_low_quality" must be true or false')
            variants = data.get(f"{name}_variants") or {}
            if not isinstance(variants, dict):
                raise InvalidHash(f'"{name}_variants" must be an object')
            frames = data.get(f"{name}_frames") or []
            if not isinstance(frames, list):
                raise InvalidHash(f'"{name}_frames" must be a list')
            found[name] = SignalHash(
                kind.validate(_text(name, value)),
                quality=quality,
                low_quality=bool(low),
                variants={
                    str(k): kind.validate(_text(f"{name}_variants", v)) for k, v in variants.items()
                },
                frames=tuple(kind.validate(_text(f"{name}_frames", f)) for f in frames),
            )
        identifier = data.get("id")
        return cls(
            path=_text("path", data.get("path", "")),
            signals=found,
            error=_optional("error", data.get("error")),
            not_media=_optional("not_media", data.get("not_media")),
            id=None if identifier is None or identifier == "" else str(identifier),
        )


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidHash(f'"{key}" must be a string, not {type(value).__name__}')
    return value


def _optional(key: str, value: object) -> str | None:
    return None if value is None else _text(key, value)


def hash_media(
    path: Path, signals: Sequence[str] = DEFAULT_SIGNALS, options: HashOptions | None = None
) -> HashRecord:
    """The record of one file: each signal of ``signals`` that applies to it (PDQ to
    pictures, vPDQ to videos by suffix, file digests to every file; see
    :meth:`~alliance.hashing.signal_type.SignalType.applies_to`).

    Digests of the file's bytes are computed together in one read. Errors propagate
    (:class:`~alliance.hashing.errors.InvalidMedia` ...): the caller decides whether a
    failed file is a record with ``error`` or a stop.
    """
    options = options or HashOptions()
    kinds = [kind for kind in map(get, signals) if kind.applies_to(path)]
    streams = {kind.name: kind.stream() for kind in kinds if kind.stream is not None}
    digests = digest_streams(path, streams) if streams else {}
    found = {name: SignalHash(value) for name, value in digests.items()}
    found.update((k.name, k.hash_file(path, options)) for k in kinds if k.stream is None)
    return HashRecord(str(path), {name: found[name] for name in REGISTRY if name in found})
