"""One way forms work on every page.

A handler that takes a form answers in one of two ways:

- **failed**: it renders the page that holds the form again, with the status of the error
  (400, 409...), the values the user typed, a message beside each field at fault and a
  summary at the top (``_forms.html``'s ``errors`` and ``field_error`` macros):
  ``form, status = failed_form(exc, values, ...)`` (in :mod:`alliance.web.errors`, which
  knows the statuses) gives both;
- **done**: it redirects (303) with a confirmation that the next page shows once
  (:func:`alliance.web.pages.rendering.redirect`'s ``notice``), or renders a page that
  says what was done.

Messages are in words a user understands: pydantic's error types are translated here,
never shown as they are (no "Value error, ", no links to pydantic's documentation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError

from alliance.errors import AllianceError


@dataclass
class Form:
    """What a form shows: the values typed, errors by field, a summary, a confirmation."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    #: Labels of the fields, for the summary at the top ("Hashes: line 2 is not hex").
    labels: dict[str, str] = field(default_factory=dict)
    #: Which form of a page failed, when a page holds several (e.g. "assess", "hold").
    name: str = ""
    #: Put before each field's id (``f-<prefix><field>``) when two forms of a page share
    #: field names, so that ids stay unique and the summary's links find their field.
    prefix: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.message)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error_for(self, name: str) -> str | None:
        return self.errors.get(name)

    def is_(self, name: str) -> bool:
        """Whether this state belongs to the form called ``name`` of the page."""
        return self.name == name

    def summary(self) -> list[tuple[str, str, str]]:
        """(field, label, message) for the list at the top of the form."""
        return [
            (f, self.labels.get(f, f.replace("_", " ").capitalize()), m)
            for f, m in self.errors.items()
        ]


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def friendly(error: Mapping[str, Any]) -> str:
    """One pydantic error in words a user understands."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "this is required"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "this is required" if n == 1 else f"give at least {n} characters"
    if kind == "string_too_long":
        return f"give at most {ctx.get('max_length')} characters"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"give {'at least' if kind == 'too_short' else 'at most'} {bound} entries"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "give a whole number"
    if kind in ("float_parsing", "float_type", "decimal_parsing"):
        return "give a number"
    if kind in ("greater_than_equal", "greater_than"):
        return f"give a number of at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"give a number of at most {ctx.get('le', ctx.get('lt'))}"
    if kind.startswith(("date_", "datetime_")):
        return "give a date as YYYY-MM-DD"
    if kind in ("enum", "literal_error"):
        return "choose one of the options offered"
    if kind in ("bool_parsing", "bool_type"):
        return "choose yes or no"
    if kind == "string_pattern_mismatch":
        return "this is not in the expected form"
    if kind in ("url_parsing", "url_scheme", "url_type"):
        return "give a web address starting with http:// or https://"
    if kind in ("value_error", "assertion_error"):
        return _clean(str(error.get("msg", "not valid")))
    return _clean(str(error.get("msg", "not valid"))) or "not valid"


def field_errors(
    error: ValidationError | Sequence[Mapping[str, Any]],
    *,
    fields: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], str | None]:
    """Errors by form field, and a message for what no field holds.

    ``fields`` maps a model's field names to the form's names where they differ (the
    model's ``country_hint`` is the form's ``country``). The location's last name that is
    a string is the field: a request body's ``("body", "url")`` and a model's ``("url",)``
    both give ``url``; a list's item (``("hashes", 2, "value")``) names the list and the
    line.
    """
    raw = error.errors() if isinstance(error, ValidationError) else list(error)
    rename = fields or {}
    by_field: dict[str, str] = {}
    loose: list[str] = []
    for err in raw:
        loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "form")]
        message = friendly(err)
        names = [p for p in loc if isinstance(p, str)]
        if not names:
            loose.append(message)
            continue
        top = rename.get(names[0], names[0])
        index = next((p for p in loc if isinstance(p, int)), None)
        if index is not None:
            message = f"line {index + 1}: {message}"
        by_field.setdefault(top, message)
    return by_field, ("; ".join(loose) or None)


def failed(
    error: ValidationError | AllianceError,
    values: Mapping[str, str],
    *,
    fields: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    name: str = "",
    prefix: str = "",
) -> Form:
    """The form to show again after ``error``, with what the user typed."""
    form = Form(values=dict(values), labels=dict(labels or {}), name=name, prefix=prefix)
    if isinstance(error, ValidationError):
        form.errors, form.message = field_errors(error, fields=fields)
        if not form.message:
            form.message = "Please correct what is marked below."
    else:
        target = error.field
        if target is not None:
            target = (fields or {}).get(target, target)
        if target is not None and target in form.values:
            form.errors[target] = error.message
            form.message = "Please correct what is marked below."
        else:
            form.message = _capital(error.message)
    return form


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields, for forms whose names come from data (a review's
    criteria, an assessment's capabilities) rather than being declared one by one."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
