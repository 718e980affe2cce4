"""Loading and checking the framework files; looking frameworks and items up.

:func:`registry` reads every file of ``data/`` once, on first use, and checks them
together: a framework id or item id used twice, or a reference (``related``,
``requires``, ``supersedes``) to nothing, stops it with a :class:`FrameworkDataError`
naming the file and the item. Unknown ids asked for are :class:`~alliance.errors.NotFound`
(from a lookup) or :class:`~alliance.errors.InvalidInput` naming the field (from
:func:`check_framework_ids`, for services that store framework ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from alliance.errors import ConfigurationError, InvalidInput, NotFound
from alliance.frameworks.schemas import Framework, Item
from alliance.validation import data_file

DATA_DIR = Path(__file__).parent / "data"


class FrameworkDataError(ConfigurationError):
    """A framework data file is unreadable, malformed, or inconsistent with the others."""


def load_file(path: Path) -> Framework:
    """One framework file, validated on its own."""
    return data_file(path, Framework, what="framework file", error=FrameworkDataError)


@dataclass(frozen=True)
class Registry:
    """Every framework version and every item, by id."""

    frameworks: dict[str, Framework]
    items: dict[str, Item]
    #: Which framework each item belongs to.
    framework_of: dict[str, str] = field(default_factory=dict)

    def framework(self, framework_id: str) -> Framework:
        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise NotFound(
                f"no framework {framework_id!r} (known: {', '.join(self.frameworks)})"
            ) from None

    def item(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise NotFound(f"no framework item {item_id!r}") from None


def build_registry(paths: Sequence[Path]) -> Registry:
    """Load ``paths`` and check them as one registry."""
    frameworks: dict[str, Framework] = {}
    items: dict[str, Item] = {}
    framework_of: dict[str, str] = {}
    file_of: dict[str, str] = {}
    for path in paths:
        framework = load_file(path)
        if framework.id in frameworks:
            raise FrameworkDataError(
                f"framework file {path.name}: framework id {framework.id!r} is also "
                f"the id of {file_of[framework.id]}"
            )
        frameworks[framework.id] = framework
        file_of[framework.id] = path.name
        for item in framework.items:
            if item.id in items:
                raise FrameworkDataError(
                    f"framework file {path.name}: item id {item.id!r} is also in "
                    f"{file_of[framework_of[item.id]]}"
                )
            items[item.id] = item
            framework_of[item.id] = framework.id
    for framework in frameworks.values():
        where = f"framework file {file_of[framework.id]}"
        if framework.supersedes is not None:
            previous = frameworks.get(framework.supersedes)
            if previous is None:
                raise FrameworkDataError(
                    f"{where}: supersedes {framework.supersedes!r}, which is no framework"
                )
            if previous.family != framework.family:
                raise FrameworkDataError(
                    f"{where}: supersedes {framework.supersedes!r} of another family"
                )
        for item in framework.items:
            for ref in [*item.related, *item.requires]:
                if ref not in items:
                    raise FrameworkDataError(f"{where}: {item.id} refers to unknown item {ref!r}")
                if ref == item.id:
                    raise FrameworkDataError(f"{where}: {item.id} refers to itself")
    return Registry(frameworks, items, framework_of)


@cache
def registry() -> Registry:
    """The shipped frameworks, loaded and checked once."""
    return build_registry(sorted(DATA_DIR.glob("*.json")))


def list_frameworks() -> list[Framework]:
    return list(registry().frameworks.values())


def get_framework(framework_id: str) -> Framework:
    return registry().framework(framework_id.strip())


def get_item(item_id: str) -> Item:
    return registry().item(item_id.strip())


def check_framework_ids(ids: Iterable[str], *, field: str = "frameworks") -> list[str]:
    """``ids`` as known framework ids, without repeats, in the order given; an unknown
    one is InvalidInput naming ``field``."""
    known = registry().frameworks
    out: list[str] = []
    for raw in ids:
        framework_id = raw.strip().lower()
        if framework_id not in known:
            raise InvalidInput(
                f"unknown framework {raw!r}: known are {', '.join(known)}", field=field
            )
        if framework_id not in out:
            out.append(framework_id)
    return out
