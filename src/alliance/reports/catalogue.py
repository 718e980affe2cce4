"""The indicator catalogue: read once from ``data/indicators.json`` and checked.

Each indicator names the operational goal it serves (an item of the framework registry:
``ga2012.goal.7``); a malformed file, an id listed twice or a goal that is not an
operational goal stops start-up with a :class:`CatalogueError` naming the indicator. An
unknown id asked for is NotFound (a lookup) or InvalidInput naming the field (a list).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from alliance.errors import ConfigurationError, InvalidInput, NotFound
from alliance.frameworks.registry import registry
from alliance.frameworks.schemas import ItemKind
from alliance.reports.schemas import Catalogue, Indicator
from alliance.validation import data_file

DATA_FILE = Path(__file__).parent / "data" / "indicators.json"


class CatalogueError(ConfigurationError):
    """The indicator catalogue is unreadable, malformed or names what does not exist."""


def load_catalogue(path: Path = DATA_FILE) -> Catalogue:
    """The catalogue at ``path``, checked on its own and against the framework registry."""
    catalogue = data_file(path, Catalogue, what="indicator catalogue", error=CatalogueError)
    items = registry().items
    for indicator in catalogue.indicators:
        goal = items.get(indicator.goal)
        if goal is None or goal.kind is not ItemKind.operational_goal:
            raise CatalogueError(
                f"indicator catalogue {path.name}: {indicator.id}: {indicator.goal} is not "
                "an operational goal of the framework registry"
            )
    return catalogue


@cache
def catalogue() -> dict[str, Indicator]:
    """Every indicator, by id, in the catalogue's order."""
    return {indicator.id: indicator for indicator in load_catalogue().indicators}


def get_indicator(indicator_id: str) -> Indicator:
    try:
        return catalogue()[indicator_id]
    except KeyError:
        raise NotFound(f"no indicator {indicator_id!r}") from None


def check_indicator_ids(ids: Iterable[str], *, field: str = "indicators") -> list[str]:
    """``ids``, each one an indicator of the catalogue; else InvalidInput naming ``field``."""
    known = catalogue()
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InvalidInput(f"no such indicator: {', '.join(unknown[:5])}", field=field)
    return wanted


def indicators_of_goal(goal: str) -> list[Indicator]:
    return [i for i in catalogue().values() if i.goal == goal]
