"""The shape of the indicator catalogue (``alliance.indicators`` version 1) and of the
values computed from it.

Checks that need only the file are made here (ids well formed and unique, a target that
fits its unit); references to the framework registry (each indicator's operational goal)
are checked by :mod:`alliance.reports.catalogue`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from alliance.frameworks.schemas import ItemId, Words

FORMAT = "alliance.indicators"
FORMAT_VERSION = 1

#: An indicator id: a group and a name ("takedown.median_hours"), as commitments cite it
#: (``[[indicator:takedown.median_hours]]``).
INDICATOR_ID = r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$"
IndicatorId = Annotated[str, StringConstraints(pattern=INDICATOR_ID, max_length=64)]


class Unit(StrEnum):
    number = "number"  # a count of records
    share = "share"  # 0..1, shown as a percentage
    hours = "hours"
    days = "days"
    change = "change"  # a relative change, -0.25 = 25 % fewer, shown as a signed percentage


class Attribution(StrEnum):
    """Which country a record counts for."""

    hosting_country = "hosting_country"  # where the content was hosted (goals 6-7)
    identifying_country = "identifying_country"  # whose agency identified the victim
    member_country = "member_country"  # the country of the organisation that acted


class Origin(StrEnum):
    computed = "computed"  # from what happened in the workflows
    self_reported = "self_reported"  # as the member declared it, labelled so
    reviewed = "reviewed"  # from the alliance's review of the country's law


class Clock(BaseModel):
    """A time the indicator measures: the event that starts it and the one that stops it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    starts: Words
    ends: Words
    #: What is done with a clock that has not stopped by the period's end.
    unfinished: Words


class Target(BaseModel):
    """The value a goal asks for (growth of at least 10 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    at_least: float
    source: Words


class Indicator(BaseModel):
    """One indicator of the progress report."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: IndicatorId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
    goal: ItemId
    definition: Words
    unit: Unit
    #: Whether the alliance-wide value is the sum of the countries' (and of the records
    #: without one): a hidden small count could then be worked out by subtraction.
    additive: bool = False
    attribution: Attribution
    origin: Origin = Origin.computed
    #: Whether a higher value is progress (more identified victims) or a lower one (fewer
    #: hours to removal); None when neither is (a count of holds).
    better: Literal["higher", "lower"] | None = None
    clock: Clock | None = None
    target: Target | None = None
    #: What the figure leaves out on purpose, and why.
    excludes: str = ""
    #: How much of the data the figure could use ("items with a hosting country").
    coverage: str = ""

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.unit in (Unit.hours, Unit.days) and self.clock is None:
            raise ValueError(f"{self.id}: a time has a clock")
        if self.target is not None and self.unit not in (Unit.change, Unit.share):
            raise ValueError(f"{self.id}: only a change or a share has a target")
        if self.additive and self.unit is not Unit.number:
            raise ValueError(f"{self.id}: only a number adds up")
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["alliance.indicators"]
    format_version: Literal[1]
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for indicator in self.indicators:
            if indicator.id in seen:
                raise ValueError(f"indicator {indicator.id} is listed twice")
            seen.add(indicator.id)
        return self


class Status(StrEnum):
    ok = "ok"
    #: Nothing to compute from: the country has no such records (never shown as 0).
    no_data = "no_data"
    #: Not defined: growth from nothing the period before.
    undefined = "undefined"
    #: A time not reached by the estimate: too many clocks still running at the period's
    #: end (the value is then None; "more than" the longest watched).
    not_reached = "not_reached"


@dataclass(frozen=True)
class Value:
    """One indicator's value for one country (None: alliance-wide) and period."""

    indicator: str
    country: str | None
    period: str
    value: float | None
    #: How many records the value is computed from (what small-count suppression reads);
    #: None where suppression hides it with the value.
    n: int | None
    status: Status = Status.ok
    #: The share of the relevant records the figure could use (e.g. items with a resolved
    #: hosting country), None when every record could be.
    coverage: float | None = None
    #: Whether the value meets the indicator's target (None: no target, or no value).
    meets_target: bool | None = None
    notes: tuple[str, ...] = field(default=())
    #: Why the value (and its n) is hidden from this reader; "" when shown.
    suppressed: str = ""
