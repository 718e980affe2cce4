"""What every command needs: settings, the database, and who is at the console."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import ensure_ready
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(settings().effective_database_url)


def sessions() -> sessionmaker[Session]:
    return make_session_factory(engine())


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction on a database migrated to head; all of it or nothing."""
    ensure_ready(engine())
    with sessions().begin() as session:
        yield session


def operator() -> Principal:
    """The person at the server's console, audited as ``operator:<login name>``."""
    try:
        name = os.environ.get("ALLIANCE_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        name = "unknown"
    return Principal.operator(name)


def operator_for(session: Session, slug: str) -> Principal:
    """The operator acting for organisation ``slug`` as one of its investigators.

    Audited as the operator (``operator:<login name>``) on behalf of that organisation; the
    domain checks its rights exactly as for the organisation's own users (victim
    identification, for instance, refuses an organisation that is not law enforcement).
    """
    organisation = _active_organisation(session, slug)
    return Principal(
        kind="operator",
        name=operator().name,
        role=Role.investigator,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        country_code=organisation.country_code,
    )


def government_editor(session: Session, slug: str, *, why: str) -> Principal:
    """The operator acting for government organisation ``slug`` as its country editor.

    What is a country's own act (submitting its commitments, its capability
    self-assessment) is refused to the secretariat, so the operator names the country's
    government; the domain then checks that organisation's rights exactly as for its own
    editors (a government acts for its own country only). ``why`` completes the message
    when ``slug`` is not a government: "a country's own government submits its commitments".
    """
    organisation = _active_organisation(session, slug)
    if organisation.kind is not OrgKind.government or organisation.country_code is None:
        raise InvalidInput(
            f"{organisation.slug} is not a government organisation: {why}", field="for"
        )
    return Principal.country_editor(
        organisation.country_code,
        kind="operator",
        name=operator().name,
        organisation_id=organisation.id,
    )


def _active_organisation(session: Session, slug: str) -> Organisation:
    organisation = session.execute(
        select(Organisation).where(Organisation.slug == slug.strip().lower())
    ).scalar_one_or_none()
    if organisation is None:
        raise NotFound(f"no organisation named {slug!r}")
    if not organisation.active:
        raise PermissionDenied(f"organisation {organisation.slug} is disabled")
    return organisation
