"""LIKE patterns built from a user's text, in which ``%`` and ``_`` match only themselves.

Every search that puts what a user typed into LIKE goes through here: unescaped, a search
for ``100%`` or ``a_b`` would match far more than it says (and ``%`` alone everything).
The escape character is ``/`` (as SQLAlchemy's ``autoescape``): a backslash would need
doubling in PostgreSQL's string literals and not in SQLite's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression

# A text column, nullable or not (the ORM attribute or a Core column).
TextColumn = SQLColumnExpression[str] | SQLColumnExpression[str | None]

ESCAPE = "/"


def literal(text: str) -> str:
    """``text`` as a LIKE pattern that matches exactly it (escaped with :data:`ESCAPE`)."""
    return (
        text.replace(ESCAPE, ESCAPE + ESCAPE).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    )


def contains(column: TextColumn, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` (with the database's case rules for LIKE)."""
    return column.like(f"%{literal(text)}%", escape=ESCAPE)


def startswith(column: TextColumn, text: str) -> ColumnElement[bool]:
    """``column`` starts with ``text``."""
    return column.like(f"{literal(text)}%", escape=ESCAPE)
