"""Our classification as plain tags, for formats that carry tags but not our schemes.

``baseline``, ``iwf:A``..``iwf:C``, ``ncmec:A1``..``ncmec:B2``, ``vics:0``..``vics:4``
(keys are case-insensitive on import, categories are upper-cased). Other tags are
ignored; a malformed (``iwf:D``) or contradictory (``vics:1 vics:2``) classification tag
is an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from alliance.banks.schemas import Classification
from alliance.errors import InvalidInput

_ALLOWED = {
    "iwf": ("A", "B", "C"),
    "ncmec": ("A1", "A2", "B1", "B2"),
    "vics": ("0", "1", "2", "3", "4"),
}


def classification_tags(c: Classification, *, vics: bool = True) -> list[str]:
    """``Classification(baseline=True, iwf="A", vics=1)`` -> ``["baseline", "iwf:A", "vics:1"]``."""
    tags = ["baseline"] if c.baseline else []
    if c.iwf is not None:
        tags.append(f"iwf:{c.iwf}")
    if c.ncmec is not None:
        tags.append(f"ncmec:{c.ncmec}")
    if vics and c.vics is not None:
        tags.append(f"vics:{c.vics}")
    return tags


def classification_from_tags(tags: Iterable[str]) -> Classification:
    """The inverse of :func:`classification_tags`; other tags are ignored."""
    found: dict[str, str] = {}
    baseline = False
    for tag in tags:
        key, sep, value = tag.partition(":")
        key, value = key.strip().lower(), value.strip().upper()
        if not sep:
            baseline = baseline or key == "baseline"
            continue
        allowed = _ALLOWED.get(key)
        if allowed is None:
            continue
        if value not in allowed:
            raise InvalidInput(f"unknown {key} category {value!r} in tag {tag!r}")
        if found.setdefault(key, value) != value:
            raise InvalidInput(f"two {key} categories: {found[key]} and {value}")
    return Classification.model_validate({"baseline": baseline, **found})
