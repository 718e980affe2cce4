"""Countries' Markdown, rendered safe, and the references its actions carry.

Commitments and reports are written in Markdown (CommonMark) and shown to anyone who may
read them, published ones to anonymous visitors: the text is untrusted. It is rendered
with markdown-it-py with raw HTML off (``<script>`` reads as text), images off (an image
is its alt text: no tracking pixels, no ``onerror``), and links only to ``http``,
``https`` and ``mailto`` addresses (``javascript:`` and every other scheme, relative
addresses too, stay text). The result is :class:`markupsafe.Markup`, which Jinja's
autoescape leaves as it is.

An action (a top-level list item or paragraph) is linked to what it serves by writing
references in double brackets:

- ``[[mnr2015.cap.12]]``: an item of a framework (:mod:`alliance.frameworks`), checked
  against the registry when the text is saved, shown with the item's title;
- ``[[indicator:takedown.median_hours]]``: an indicator of the alliance's progress report
  (free ids, computed by the report; only their shape is checked).

:func:`references` lists them per action, so they can be stored and queried.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup

from alliance.errors import InvalidInput
from alliance.frameworks import registry

#: The schemes a link may use; anything else is shown as text.
LINK_SCHEMES = ("http://", "https://", "mailto:")
#: A framework item's id: ``ga2012.target.1``, ``oosi2019.ind.4.4.1``.
FRAMEWORK_ITEM = re.compile(r"[a-z][a-z0-9]*(?:\.[a-z0-9]+)+")
#: An indicator's id (the progress report's): ``takedown.median_hours``.
INDICATOR = re.compile(r"[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*")
INDICATOR_PREFIX = "indicator:"
MAX_REFERENCE = 80


@dataclass(frozen=True)
class Reference:
    """A reference written in an action: to a framework item or to an indicator."""

    kind: str  # "framework" | "indicator"
    ref: str
    #: Which action of the text (1-based: the n-th top-level list item or paragraph).
    action: int


def _parse_reference(inner: str) -> tuple[str, str] | None:
    """(kind, id) when ``inner`` (what stands between ``[[`` and ``]]``) is a reference."""
    text = inner.strip()
    if len(text) > MAX_REFERENCE:
        return None
    if text.lower().startswith(INDICATOR_PREFIX):
        ident = text[len(INDICATOR_PREFIX) :].strip()
        return ("indicator", ident)
    if FRAMEWORK_ITEM.fullmatch(text):
        return ("framework", text)
    return None


def _reference_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    end = src.find("]]", pos + 2)
    if end < 0:
        return False
    parsed = _parse_reference(src[pos + 2 : end])
    if parsed is None:
        return False
    if not silent:
        token = state.push("alliance_ref", "", 0)
        token.meta = {"kind": parsed[0], "ref": parsed[1]}
    state.pos = end + 2
    return True


def _render_reference(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    meta = tokens[idx].meta
    ref = str(meta["ref"])
    if meta["kind"] == "indicator":
        return f'<span class="ref ref-indicator" title="Indicator">{escapeHtml(ref)}</span>'
    item = registry().items.get(ref)
    if item is None:
        return (
            f'<span class="ref ref-unknown" title="Unknown framework item">{escapeHtml(ref)}</span>'
        )
    return (
        f'<span class="ref ref-framework" title="{escapeHtml(ref)}">{escapeHtml(item.title)}</span>'
    )


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(LINK_SCHEMES)


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", "nofollow noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_inline", "html_block"])
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.inline.ruler.before("link", "alliance_ref", _reference_rule)
    md.add_render_rule("alliance_ref", _render_reference)
    md.add_render_rule("link_open", _render_link_open)
    return md


def render(text: str) -> Markup:
    """``text`` (Markdown) as safe HTML."""
    return Markup(_parser().render(text or ""))  # noqa: S704 - rendered with html off


def references(text: str) -> list[Reference]:
    """The references of ``text``, each with the action it is written in."""
    found: list[Reference] = []
    action = 0
    for token in _parser().parse(text or ""):
        if (token.type == "list_item_open" and token.level == 1) or (
            token.type in ("paragraph_open", "heading_open") and token.level == 0
        ):
            action += 1
        if token.type == "inline":
            for child in token.children or ():
                if child.type == "alliance_ref":
                    found.append(
                        Reference(str(child.meta["kind"]), str(child.meta["ref"]), max(action, 1))
                    )
    return found


def check_references(text: str, *, field: str) -> list[Reference]:
    """The references of ``text``, each checked: a framework item the registry does not
    know, or an indicator id of the wrong shape, is InvalidInput naming ``field``."""
    found = references(text)
    items = registry().items
    for reference in found:
        if reference.kind == "framework" and reference.ref not in items:
            raise InvalidInput(
                f"[[{reference.ref}]] is no framework item (alliance frameworks show "
                f"<framework> lists them)",
                field=field,
            )
        if reference.kind == "indicator" and not INDICATOR.fullmatch(reference.ref):
            raise InvalidInput(
                f"[[indicator:{reference.ref}]]: an indicator id is lower-case letters, "
                "digits and _ in parts joined by . or -, e.g. takedown.median_hours",
                field=field,
            )
    return found
