"""PDQ: Meta's 256-bit perceptual hash of pictures (animated ones: the first frame, and
with ``--all-frames`` each later distinct frame), matched within a Hamming radius."""

from __future__ import annotations

from pathlib import Path

from alliance.hashing import pdq, variants
from alliance.hashing.signal_type import (
    ContentType,
    HashOptions,
    IndexKind,
    SignalHash,
    SignalType,
)


def hash_file(path: Path, options: HashOptions) -> SignalHash:
    """The picture's PDQ and quality; with ``bank_variants`` / ``dihedral`` / ``overlays``
    its variants by name (:data:`~alliance.hashing.variants.VARIANT_NAMES`), with
    ``query`` the forms a query is searched by, with ``all_frames`` an animation's later
    distinct frames."""
    frames = (
        pdq.hash_frames(
            path, pipeline=options.pipeline, all_frames=True, max_pixels=options.max_pixels
        )
        if options.all_frames
        else []
    )
    forms: dict[str, str] = {}
    if options.query and not options.bank_variants:
        computed = variants.query_hashes(
            path, pipeline=options.pipeline, max_pixels=options.max_pixels
        )
        value = computed["original"]
        forms = {name: h.hex for name, h in computed.items()}
    elif options.dihedral or options.overlays or options.bank_variants:
        every = options.bank_variants
        computed = variants.hash_variants(
            path,
            dihedral=options.dihedral or every,
            strips=options.overlays or every,
            borders=every,
            crops=every,
            tilts=every,
            thumbnails=every,
            pipeline=options.pipeline,
            max_pixels=options.max_pixels,
        )
        value = computed["original"]
        forms = {name: h.hex for name, h in computed.items()}
    elif frames:
        value = frames[0]
    else:
        value = pdq.hash_file(path, pipeline=options.pipeline, max_pixels=options.max_pixels)
    later = variants.distinct((variants.ANIMATION_FRAME, f) for f in [value, *frames[1:]])
    return SignalHash(
        value.hex,
        quality=value.quality,
        low_quality=value.low_quality,
        variants=forms,
        frames=tuple(f.hex for _, f in later[1:]),
    )


SIGNAL_TYPE = SignalType(
    name="pdq",
    description="Meta's PDQ perceptual hash, 256 bits as 64 hex digits",
    content_types=frozenset({ContentType.photo}),
    match_threshold=pdq.MATCH_THRESHOLD,
    index_kind=IndexKind.pdq,
    validate=pdq.validate_hex,
    distance=pdq.distance_hex,
    hash_file=hash_file,
    hex_length=pdq.HEX_LENGTH,
)
