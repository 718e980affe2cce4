"""Members and items for the blocklists' tests, on the rolled-back test session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from tests import factories


@dataclass
class Members:
    analyst: Principal
    reviewer: Principal
    other_reviewer: Principal
    viewer: Principal
    admin: Principal


@pytest.fixture
def members(session: Session) -> Members:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    isp = factories.organisation(session, OrgKind.industry, "GB")
    search = factories.organisation(session, OrgKind.industry, "US")
    secretariat = factories.organisation(session, OrgKind.secretariat, "BE")
    return Members(
        analyst=factories.principal(factories.user(session, hotline, Role.analyst)),
        reviewer=factories.principal(factories.user(session, isp, Role.reviewer)),
        other_reviewer=factories.principal(factories.user(session, search, Role.reviewer)),
        viewer=factories.principal(factories.user(session, isp, Role.viewer)),
        admin=factories.principal(factories.user(session, secretariat, Role.secretariat_admin)),
    )
