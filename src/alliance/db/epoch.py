"""Seconds since 1970 of a UTC timestamp column, computed by the database, on SQLite and
PostgreSQL alike: what a statistic over many rows reads instead of datetime objects; and
the exact text of such a timestamp (``timestamp_text``), what a bulk reader parses once per
distinct value instead of once per row.

Timestamps are stored as UTC without a zone (:class:`alliance.db.base.UTCDateTime`), so
PostgreSQL's ``EXTRACT(EPOCH FROM ...)`` and SQLite's Julian day both count from
1970-01-01 00:00 UTC.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

#: The Julian day of 1970-01-01 00:00 UTC.
UNIX_EPOCH_JULIAN_DAY = 2440587.5


class epoch_seconds(GenericFunction[float]):  # noqa: N801 - SQL functions are lower case
    """``epoch_seconds(column)``: seconds since 1970-01-01 00:00 UTC, NULL for NULL."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _postgres(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})::float8"


@compiles(epoch_seconds)
def _sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"((julianday({day}) - {UNIX_EPOCH_JULIAN_DAY}) * 86400.0)"


class timestamp_text(GenericFunction[str]):  # noqa: N801 - SQL functions are lower case
    """``timestamp_text(column)``: ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC, to the microsecond;
    what :meth:`datetime.fromisoformat` reads), NULL for NULL."""

    type = String()
    inherit_cache = True


@compiles(timestamp_text, "postgresql")
def _postgres_text(element: timestamp_text, compiler: Any, **kw: Any) -> str:
    # to_char, not a cast: a cast's text follows the session's DateStyle.
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24:MI:SS.US')"


@compiles(timestamp_text)
def _sqlite_text(element: timestamp_text, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy stores a SQLite DATETIME as this text already.
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"
