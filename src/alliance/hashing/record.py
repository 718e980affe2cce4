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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance.hashing.crypto import digest_streams
from alliance.hashing.errors import InvalidHash
from alliance.hashing.signal_type import HashOptions, SignalHash, SignalType
from alliance.hashing.signals import DEFAULT_SIGNALS, REGISTRY, get

#: Each signal's extra keys: ``<name>_quality``, ``_low_quality``, ``_variants``, ``_frames``.
_EXTRA_KEYS = {
    name: (f"{name}_quality", f"{name}_low_quality", f"{name}_variants", f"{name}_frames")
    for name in REGISTRY
}


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
    def from_json(
        cls, text: str, line: int | None = None, only: Collection[str] | None = None
    ) -> HashRecord:
        """Parse one JSON line; :class:`~alliance.hashing.errors.InvalidHash` says what is
        wrong, after ``line N:`` when ``line`` is given. With ``only``, the other signals
        are neither read nor checked (a hash file of one signal type needs that one)."""
        try:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidHash(f"invalid JSON ({exc.msg})") from exc
            except RecursionError:
                raise InvalidHash("JSON nested too deeply") from None
            return cls.from_dict(data, only)
        except InvalidHash as exc:
            if line is None:
                raise
            raise InvalidHash(f"line {line}: {exc.message}") from exc

    @classmethod
    def from_dict(cls, data: object, only: Collection[str] | None = None) -> HashRecord:
        if not isinstance(data, dict):
            raise InvalidHash("a JSON line must be an object")
        names = REGISTRY if only is None else [n for n in REGISTRY if n in only]
        found = {
            name: _signal_hash(name, REGISTRY[name], value, data)
            for name in names
            if (value := data.get(name)) is not None
        }
        path = data.get("path", "")
        if path.__class__ is not str:
            path = _text("path", path)
        if "error" not in data and "not_media" not in data and "id" not in data:
            return cls(path, found)  # the usual line: nothing else to read
        identifier = data.get("id")
        return cls(
            path,
            found,
            _optional("error", data.get("error")),
            _optional("not_media", data.get("not_media")),
            None if identifier is None or identifier == "" else str(identifier),
        )


def _signal_hash(name: str, kind: SignalType, value: object, data: dict[str, Any]) -> SignalHash:
    """One signal of a JSON line, with its ``<name>_...`` extras, validated."""
    validate = kind.validate
    quality_key, low_key, variants_key, frames_key = _EXTRA_KEYS[name]
    if (
        quality_key not in data
        and variants_key not in data
        and frames_key not in data
        and low_key not in data
    ):
        return SignalHash(validate(_text(name, value)))  # a digest: nothing else to read
    quality = data.get(quality_key)
    if quality is not None and (
        not isinstance(quality, int) or isinstance(quality, bool) or not 0 <= quality <= 100
    ):
        raise InvalidHash(f'"{quality_key}" must be a whole number from 0 to 100')
    low = data.get(low_key)
    if low is not None and not isinstance(low, bool):
        raise InvalidHash(f'"{low_key}" must be true or false')
    variants = data.get(variants_key) or {}
    if not isinstance(variants, dict):
        raise InvalidHash(f'"{variants_key}" must be an object')
    frames = data.get(frames_key) or []
    if not isinstance(frames, list):
        raise InvalidHash(f'"{frames_key}" must be a list')
    return SignalHash(
        validate(_text(name, value)),
        quality,
        bool(low),
        {str(k): validate(_text(variants_key, v)) for k, v in variants.items()} if variants else {},
        tuple(validate(_text(frames_key, f)) for f in frames) if frames else (),
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
