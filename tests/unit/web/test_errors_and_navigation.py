"""Error-to-status mapping, CSRF signing and the role-aware navigation."""

from __future__ import annotations

import pytest

from alliance import errors
from alliance.accounts.permissions import OrgKind, Permission, Role
from alliance.accounts.policy import Principal
from alliance.web.errors import status_for
from alliance.web.navigation import NAVIGATION, navigation_for
from alliance.web.security import _sign


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidInput("x"), 400),
        (errors.PayloadTooLarge("x"), 413),
        (errors.NotAuthenticated("x"), 401),
        (errors.PermissionDenied("x"), 403),
        (errors.NotFound("x"), 404),
        (errors.Conflict("x"), 409),
        (errors.RateLimited("x"), 429),
        (errors.DatabaseNotReady("x"), 503),
        (errors.ConfigurationError("x"), 500),
        (errors.AllianceError("x"), 500),
    ],
)
def test_status_for_every_error(error: errors.AllianceError, status: int) -> None:
    assert status_for(error) == status


def _principal(role: Role) -> Principal:
    return Principal(
        kind="user",
        name="x",
        role=role,
        organisation_id=1,
        organisation_kind=OrgKind.hotline,
        country_code="NL",
        user_id=1,
    )


def test_navigation_follows_permissions() -> None:
    assert navigation_for(None) == []
    viewer = [item.label for item in navigation_for(_principal(Role.viewer))]
    assert viewer == [
        "Dashboard",
        "Banks",
        "Items",
        "Takedown metrics",
        "Providers",
        "Organisations",
    ]
    investigator = [item.label for item in navigation_for(_principal(Role.investigator))]
    assert [x for x in investigator if x in ("Holds", "Alerts")] == ["Holds", "Alerts"]
    victims = ["Seizures", "Series", "Referrals", "Victim KPI"]
    assert [x for x in investigator if x in victims] == victims
    # Series, seizures and referrals are law enforcement's alone; the secretariat sees the KPI.
    admin = [item.label for item in navigation_for(_principal(Role.secretariat_admin))]
    assert admin == [item.label for item in NAVIGATION if item.label not in victims[:3]]


def test_every_navigation_item_names_a_permission() -> None:
    for item in NAVIGATION:
        assert isinstance(item.permission, Permission)
        assert item.path.startswith("/")


def test_csrf_signature_depends_on_key_and_cookie() -> None:
    assert _sign("key", "cookie") == _sign("key", "cookie")
    assert _sign("key", "cookie") != _sign("other", "cookie")
    assert _sign("key", "cookie") != _sign("key", "cookie2")
