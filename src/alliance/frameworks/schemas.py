"""The shape of a framework data file (``alliance.framework`` version 1).

A file holds one framework version: its sources and its items. Checks that need only the
file are made here (ids under the framework's own prefix and unique, parents and sources
resolving, a scale's points fitting it); references between files are checked by
:mod:`alliance.frameworks.registry`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

FORMAT = "alliance.framework"
FORMAT_VERSION = 1

#: A framework id: lower-case letters and digits, starting with a letter ("mnr2015").
FRAMEWORK_ID_RE = re.compile(r"^[a-z][a-z0-9]{1,31}$")
#: An item id: the framework's id, then dot-separated parts ("mnr2015.cap.12").
ITEM_ID_RE = re.compile(r"^[a-z][a-z0-9]{1,31}(\.[a-z0-9_-]{1,32}){1,4}$")

FrameworkId = Annotated[str, StringConstraints(pattern=FRAMEWORK_ID_RE.pattern)]
ItemId = Annotated[str, StringConstraints(pattern=ITEM_ID_RE.pattern)]
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ItemKind(StrEnum):
    policy_target = "policy_target"
    operational_goal = "operational_goal"
    domain = "domain"
    capability = "capability"
    criterion = "criterion"
    rule = "rule"
    indicator = "indicator"
    sub_indicator = "sub_indicator"


class Source(BaseModel):
    """Where a framework's facts come from: a citation, and its address when it has one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")]
    title: Words
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    note: str = ""


class Scale(BaseModel):
    """An integer score from ``min`` to ``max``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = 0
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max <= self.min:
            raise ValueError(f"scale max ({self.max}) must be above min ({self.min})")
        return self


class Item(BaseModel):
    """One entry of a framework: a target, goal, domain, capability, criterion, rule,
    indicator or sub-indicator."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: ItemId
    kind: ItemKind
    #: The number the framework itself gives it ("12", "4.4.1"), or None when not known.
    number: str | None = None
    title: Words
    summary: Words
    #: The item it belongs to, in the same framework (a goal's target, a capability's domain).
    parent: ItemId | None = None
    #: The id of one of the framework's sources.
    source: str
    #: Other names the item goes by ("G1", "1.1").
    aliases: list[str] = Field(default_factory=list)
    #: Items of any framework it corresponds to (a capability's predecessor, say).
    related: list[ItemId] = Field(default_factory=list)
    #: For a rule: the items that must all be met.
    requires: list[ItemId] = Field(default_factory=list)
    #: For a scored item: its range; ``points`` says what each point is given for.
    scale: Scale | None = None
    points: list[Words] = Field(default_factory=list)
    #: True when the sources found do not confirm the item as written (see ``note``).
    unverified: bool = False
    #: What the sources did not settle, in plain words.
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.points and self.scale is None:
            raise ValueError("points are given but no scale")
        if self.scale is not None and len(self.points) > self.scale.max - self.scale.min:
            raise ValueError(
                f"{len(self.points)} points do not fit the scale {self.scale.min}-{self.scale.max}"
            )
        if self.requires and self.kind is not ItemKind.rule:
            raise ValueError("only a rule requires other items")
        if self.parent == self.id:
            raise ValueError("an item cannot be its own parent")
        return self


class Framework(BaseModel):
    """One version of one framework, as its data file holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["alliance.framework"]
    format_version: Literal[1]
    id: FrameworkId
    #: Which framework this is a version of ("mnr" for mnr2015 and mnr2022).
    family: FrameworkId
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    title: Words
    summary: Words
    #: The framework version this one revises, if any (checked across files).
    supersedes: FrameworkId | None = None
    #: True when the file lists what is known of a version, not all of it (see ``note``).
    incomplete: bool = False
    note: str = ""
    sources: list[Source] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Self:
        prefix = f"{self.id}."
        ids: set[str] = set()
        for n, item in enumerate(self.items):
            where = f"items.{n} ({item.id})"
            if not item.id.startswith(prefix):
                raise ValueError(f"{where}: an item id must start with {prefix!r}")
            if item.id in ids:
                raise ValueError(f"{where}: id listed twice")
            ids.add(item.id)
        sources = {s.id for s in self.sources}
        if len(sources) != len(self.sources):
            raise ValueError("a source id is listed twice")
        for n, item in enumerate(self.items):
            where = f"items.{n} ({item.id})"
            if item.parent is not None and item.parent not in ids:
                raise ValueError(f"{where}: parent {item.parent!r} is not an item of {self.id}")
            if item.source not in sources:
                raise ValueError(f"{where}: source {item.source!r} is not one of {sorted(sources)}")
        return self

    def of_kind(self, kind: ItemKind) -> list[Item]:
        return [item for item in self.items if item.kind is kind]

    def children(self, item_id: str) -> list[Item]:
        return [item for item in self.items if item.parent == item_id]
