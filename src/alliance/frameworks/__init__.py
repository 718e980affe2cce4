"""The frameworks countries report against, as versioned data shipped in the package.

Each framework version is one JSON file in ``data/`` (format ``alliance.framework``,
version 1), validated by :mod:`alliance.frameworks.schemas` and checked as a whole by
:mod:`alliance.frameworks.registry` on first use: ids unique across every file, every
reference (an item's parent, source, related and required items, a framework's
predecessor) resolving. Summaries are in the project's own words; each item names its
source, and a ``note`` says what the sources did not settle.

- ``ga2012``: the Global Alliance's declaration: 4 policy targets, 7 operational goals.
- ``mnr2015``: WePROTECT's Model National Response: 21 capabilities in 6 domains.
- ``mnr2022``: its revision, as far as the sources found confirm it.
- ``icmec2018``: ICMEC's 5 model-legislation criteria and the "sufficient" rule.
- ``oosi2019``: the Out of the Shadows Index indicator 4.4 and its three sub-indicators.
"""

from alliance.frameworks.registry import (
    FrameworkDataError,
    Registry,
    check_framework_ids,
    get_framework,
    get_item,
    list_frameworks,
    registry,
)
from alliance.frameworks.schemas import Framework, Item, ItemKind

__all__ = [
    "Framework",
    "FrameworkDataError",
    "Item",
    "ItemKind",
    "Registry",
    "check_framework_ids",
    "get_framework",
    "get_item",
    "list_frameworks",
    "registry",
]
