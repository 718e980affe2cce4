"""The one authorisation policy: :func:`authorize`.

Deny by default. A principal may do something only when its role grants the permission,
and, for a record, only when the grant reaches that record: ``Reach.ALL`` reaches every
organisation's records, ``Reach.OWN`` only records its organisation owns or that were
explicitly shared with it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from alliance.accounts.models import Share
from alliance.accounts.permissions import (
    ROLE_GRANTS,
    ROLE_LABELS,
    OrgKind,
    Permission,
    Reach,
    Role,
    permission_phrase,
)
from alliance.errors import PermissionDenied


@runtime_checkable
class OwnedResource(Protocol):
    @property
    def owner_organisation_id(self) -> int | None: ...


@dataclass(frozen=True)
class Principal:
    """Who is acting, resolved from a web session, an API key or the operator's CLI."""

    kind: str  # "user" | "api_key" | "operator"
    name: str
    role: Role
    organisation_id: int | None
    organisation_kind: OrgKind | None
    country_code: str | None
    user_id: int | None = None
    api_key_id: int | None = None

    @property
    def audit_label(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def operator(cls, name: str) -> Principal:
        """The person at the server's console: full rights, audited under their name."""
        return cls(
            kind="operator",
            name=name,
            role=Role.secretariat_admin,
            organisation_id=None,
            organisation_kind=None,
            country_code=None,
        )

    @classmethod
    def country_editor(
        cls, country: str, *, kind: str, name: str, organisation_id: int | None = None
    ) -> Principal:
        """An editor of ``country``'s government: the operator acting for it, or the demo
        writing a country's own texts (which no one else may write)."""
        return cls(
            kind=kind,
            name=name,
            role=Role.country_editor,
            organisation_id=organisation_id,
            organisation_kind=OrgKind.government,
            country_code=country,
        )

    def reach(self, permission: Permission) -> Reach | None:
        return ROLE_GRANTS[self.role].get(permission)

    def can(self, permission: Permission) -> bool:
        return self.reach(permission) is not None


def authorize(
    principal: Principal,
    permission: Permission,
    resource: OwnedResource | None = None,
    *,
    shared_with: Collection[int] = (),
) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may ``permission`` on ``resource``.

    ``shared_with`` lists organisations the resource was shared with (see :func:`shared_with`).
    """
    reach = principal.reach(permission)
    if reach is None:
        raise PermissionDenied(
            f"your role ({ROLE_LABELS[principal.role]}) may not {permission_phrase(permission)}"
        )
    if resource is None or reach is Reach.ALL:
        return
    owner = resource.owner_organisation_id
    if principal.organisation_id is not None and (
        owner == principal.organisation_id or principal.organisation_id in shared_with
    ):
        return
    raise PermissionDenied("this record belongs to another organisation")


def shared_with(session: Session, subject_type: str, subject_id: str | int) -> set[int]:
    rows = session.execute(
        select(Share.organisation_id).where(
            Share.subject_type == subject_type, Share.subject_id == str(subject_id)
        )
    )
    return set(rows.scalars())


def visible_clause(
    principal: Principal,
    permission: Permission,
    owner_column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    *,
    subject_type: str | None = None,
    id_column: InstrumentedAttribute[int] | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause restricting a listing to what ``authorize`` would allow."""
    reach = principal.reach(permission)
    if reach is None:
        return false()
    if reach is Reach.ALL:
        return true()
    if principal.organisation_id is None:
        return false()
    own = owner_column == principal.organisation_id
    if subject_type is None or id_column is None:
        return own
    shared = select(Share.subject_id).where(
        Share.subject_type == subject_type, Share.organisation_id == principal.organisation_id
    )
    return or_(own, id_column.cast(Share.subject_id.type).in_(shared))


def organisation_scope(principal: Principal, permission: Permission) -> int | None:
    """The organisation whose records ``permission`` reaches; None means every one.

    For filtering tables that carry a plain organisation id (e.g. audit events)."""
    if principal.reach(permission) is Reach.ALL:
        return None
    return principal.organisation_id if principal.organisation_id is not None else -1
