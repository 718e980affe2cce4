"""Deny by default; an organisation reaches only its own records or those shared with it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Share, User
from alliance.accounts.permissions import ROLE_GRANTS, ROLES_BY_KIND, OrgKind, Permission, Role
from alliance.accounts.policy import Principal, authorize, shared_with, visible_clause
from alliance.errors import PermissionDenied
from tests import factories


def test_every_role_has_a_grant_table_and_a_kind() -> None:
    assert set(ROLE_GRANTS) == set(Role)
    assert set().union(*ROLES_BY_KIND.values()) == set(Role)
    assert set(ROLES_BY_KIND) == set(OrgKind)


def test_permissions_are_scope_resource_action() -> None:
    for permission in Permission:
        assert len(permission.value.split(":")) == 3, permission


def test_ungranted_permission_is_denied(session: Session) -> None:
    viewer = factories.principal(factories.user(session, role=Role.viewer))
    with pytest.raises(PermissionDenied):
        authorize(viewer, Permission.USER_MANAGE)
    with pytest.raises(PermissionDenied):
        authorize(viewer, Permission.AUDIT_READ)
    authorize(viewer, Permission.DASHBOARD_VIEW)


def test_own_reach_stops_at_the_organisation(session: Session) -> None:
    org_a = factories.organisation(session)
    org_b = factories.organisation(session, country="GB")
    admin = factories.principal(factories.user(session, org_a, Role.org_admin))
    other = factories.user(session, org_b, Role.analyst)
    own = factories.user(session, org_a, Role.analyst)
    authorize(admin, Permission.USER_MANAGE, own)
    with pytest.raises(PermissionDenied):
        authorize(admin, Permission.USER_MANAGE, other)
    # ...unless the record was shared with the admin's organisation
    authorize(admin, Permission.USER_READ, other, shared_with={org_a.id})


def test_all_reach_crosses_organisations(session: Session) -> None:
    org_b = factories.organisation(session, country="GB")
    other = factories.user(session, org_b, Role.analyst)
    secretariat = factories.organisation(session, OrgKind.secretariat, "BE")
    admin = factories.principal(factories.user(session, secretariat, Role.secretariat_admin))
    authorize(admin, Permission.USER_MANAGE, other)


def test_visible_clause_matches_authorize(session: Session) -> None:
    org_a = factories.organisation(session)
    org_b = factories.organisation(session, country="GB")
    mine = factories.user(session, org_a, Role.org_admin)
    theirs = factories.user(session, org_b, Role.analyst)
    shared = factories.user(session, org_b, Role.viewer)
    session.add(
        Share(
            subject_type="user",
            subject_id=str(shared.id),
            organisation_id=org_a.id,
            granted_by_organisation_id=org_b.id,
        )
    )
    session.flush()
    me = factories.principal(mine)
    query = select(User.username).where(
        visible_clause(
            me, Permission.USER_READ, User.organisation_id, subject_type="user", id_column=User.id
        )
    )
    visible = set(session.execute(query).scalars())
    assert mine.username in visible and shared.username in visible
    assert theirs.username not in visible
    assert shared_with(session, "user", shared.id) == {org_a.id}
    none = select(User.id).where(visible_clause(me, Permission.SETTINGS_READ, User.organisation_id))
    assert session.execute(none).first() is None


def test_operator_is_audited_by_name() -> None:
    operator = Principal.operator("alice")
    assert operator.audit_label == "operator:alice"
    authorize(operator, Permission.ORG_MANAGE)
