"""``alliance frameworks list|show``: the framework versions countries report against.

Read from the data shipped in the package; no database is needed.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alliance.cli.output import OutputFormat, emit
from alliance.frameworks import Framework, Item, get_framework, get_item, list_frameworks, registry

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]

app = typer.Typer(
    help="Frameworks: the alliance declaration, the Model National Response, ICMEC's "
    "criteria, the Out of the Shadows indicator 4.4.",
    no_args_is_help=True,
)


def _framework_row(framework: Framework) -> dict[str, Any]:
    return {
        "id": framework.id,
        "family": framework.family,
        "version": framework.version,
        "title": framework.title,
        "items": len(framework.items),
        "complete": not framework.incomplete,
    }


def _item_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "number": item.number,
        "kind": item.kind.value,
        "title": item.title,
        "parent": item.parent,
        "scale": f"{item.scale.min}-{item.scale.max}" if item.scale else None,
        "verified": not item.unverified,
    }


@app.command("list")
def list_command(fmt: FormatOption = OutputFormat.table) -> None:
    """List the framework versions."""
    emit([_framework_row(f) for f in list_frameworks()], fmt, title="Frameworks")


@app.command("show")
def show(
    framework_or_item: Annotated[
        str, typer.Argument(metavar="ID", help="a framework (mnr2015) or an item (mnr2015.cap.12)")
    ],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A framework and its items, or one item in full."""
    wanted = framework_or_item.strip()
    if "." in wanted:
        _show_item(get_item(wanted), fmt)
        return
    framework = get_framework(wanted)
    if fmt is not OutputFormat.table:
        emit([framework.model_dump(mode="json")], fmt)
        return
    fields = {
        **_framework_row(framework),
        "summary": framework.summary,
        "supersedes": framework.supersedes,
        "note": framework.note,
        "sources": "; ".join(
            f"{s.title}" + (f" <{s.url}>" if s.url else "") for s in framework.sources
        ),
    }
    emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=framework.title)
    # The ids must show whole in a narrow terminal: kind and parent are the item's own page.
    scaled = any(i.scale for i in framework.items)
    rows = [
        {
            k: v
            for k, v in _item_row(i).items()
            if k not in ("kind", "parent") and (scaled or k != "scale")
        }
        for i in framework.items
    ]
    emit(rows, fmt, title="Items")


def _show_item(item: Item, fmt: OutputFormat) -> None:
    framework = registry().frameworks[registry().framework_of[item.id]]
    if fmt is not OutputFormat.table:
        emit([{"framework": framework.id, **item.model_dump(mode="json")}], fmt)
        return
    source = next(s for s in framework.sources if s.id == item.source)
    fields = {
        "framework": framework.id,
        **_item_row(item),
        "summary": item.summary,
        "aliases": " ".join(item.aliases),
        "points": "; ".join(item.points),
        "requires": " ".join(item.requires),
        "related": " ".join(item.related),
        "source": source.title + (f" <{source.url}>" if source.url else ""),
        "note": item.note,
    }
    emit([{"field": k, "value": v} for k, v in fields.items() if v not in ("", None)], fmt)
