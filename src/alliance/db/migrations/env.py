"""Alembic environment: runs online against the engine handed over by alliance.db.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from alliance.db.base import Base, StrEnumType, UTCDateTime
from alliance.db.migrate import load_models, managed


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UTC datetime columns as plain DateTime, so revisions never import our code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"
    return False


load_models()
engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        include_name=managed,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
