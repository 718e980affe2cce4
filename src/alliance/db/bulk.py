"""Statements over many values: batches of a bounded size, and ``IN`` lists.

One statement per value is slow; one statement for a million values hits the database's
parameter limits (SQLite: 32,766; PostgreSQL: 65,535) or its planner's patience. Lookups
and bulk writes therefore go in batches, and a lookup's values in one parameter where the
database takes arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar, cast

import psycopg.sql
from sqlalchemy import ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session

from alliance.db.base import Base

T = TypeVar("T")


def batches(values: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size`` (a sequence is sliced, not copied
    element by element; any other iterable is read lazily)."""
    if size < 1:
        raise ValueError("a batch holds at least one value")
    if isinstance(values, Sequence):
        for begin in range(0, len(values), size):
            yield values[begin : begin + size]
        return
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def among(
    session: Session, column: InstrumentedAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``: one parameter instead of
    thousands, planned with its values (the engine prepares no statements, see
    :func:`alliance.db.create_db_engine`)."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of ``model``'s table that all have the same keys, in the session's
    transaction (no ORM objects: nothing to flush or expire).

    PostgreSQL (psycopg): one ``COPY ... FROM STDIN``. psycopg runs an executemany as one
    ``INSERT`` a row (pipelined): about 9,000 rows/s here, nearly two minutes for a
    1,000,000-item seizure. Elsewhere: an executemany of one INSERT statement.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)  # a declarative class maps one Table
    names = list(rows[0])
    # COPY knows nothing of Python-side defaults: the rows must carry those values.
    if defaulted := sorted(c.name for c in table.c if c.name not in names and c.default):
        raise ValueError(f"rows of {table.name} must give {', '.join(defaulted)}")
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        session.execute(table.insert(), list(rows))
        return
    # Values as the columns' types would bind them (enums to text, JSON to a string).
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table.name),
        psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(name) for name in names),
    )
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    value if process is None else process(value)
                    for process, value in zip(processors, (row[n] for n in names), strict=True)
                ]
            )
