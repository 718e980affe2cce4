"""Error-to-status mapping, CSRF signing and the role-aware navigation."""

from __future__ import annotations

import pytest

from alliance import errors
from alliance.accounts.permissions import OrgKind, Permission, Role
from alliance.accounts.policy import Principal
from alliance.web.errors import status_for
from alliance.web.navigation import GROUPS, NAVIGATION, menus_for, navigation_for
from alliance.web.security import _sign
from tests.support.menus import MENUS


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
        (errors.NotConfigured("x"), 503),
        (errors.OutsideServiceFailed("x"), 502),
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


def _menus(role: Role) -> dict[str, list[str]]:
    return {
        group.label: [item.label for item in group.items] for group in menus_for(_principal(role))
    }


def test_navigation_follows_permissions() -> None:
    assert navigation_for(None) == [] and menus_for(None) == []
    viewer = [item.label for item in navigation_for(_principal(Role.viewer))]
    assert viewer == [
        "Dashboard",
        "Items",
        "Takedown metrics",
        "Providers",
        "Banks",
        "Time to acceptance",
        "Member countries",
        "Commitments",
        "Capabilities across the alliance",
        "Legal frameworks",
        "Library",
        "Organisations",
    ]
    # A menu shows only when the role may follow one of its links; each role's menus are
    # the one table the page and browser tests read too.
    for role in Role:
        assert _menus(role) == {group: links for group, links in MENUS[role].items() if group}
    # Series, seizures, referrals and the inbox of industry reports are law enforcement's
    # alone; the secretariat sees the KPI.
    victims = ["Seizures", "Series", "Referrals", "Inbox"]
    admin = [item.label for item in navigation_for(_principal(Role.secretariat_admin))]
    # Nor a country's own self-assessment, which only its government reads.
    own = ["Self-assessment"]
    assert admin == [item.label for item in NAVIGATION if item.label not in victims + own]


def test_a_members_own_server_shows_only_its_menus() -> None:
    """At a platform's member server the hub's work (takedown, victims, the police's
    inbox, countries) has nothing behind it: its bar holds banks, review and admin."""
    admin = _principal(Role.org_admin)
    labels = [group.label for group in menus_for(admin, member=True)]
    assert set(labels) <= {"Banks", "Review", "Administration"} and "Review" in labels
    every = {item.label for item in navigation_for(admin)}
    at_member = [item.label for item in navigation_for(admin, member=True)]
    assert at_member[0] == "Dashboard" and set(at_member) < every


def test_the_current_link_and_its_menu() -> None:
    items = next(item for item in NAVIGATION if item.path == "/items")
    assert items.current("/items") == "page"
    assert items.current("/items/I-1") == "true"  # a page within the section
    assert items.current("/itemsx") is None and items.current("/queue") is None
    takedown = next(group for group in GROUPS if group.label == "Takedown")
    assert takedown.current("/holds/H-1") and not takedown.current("/banks")
    assert takedown.waiting({"queue": 3, "alerts": 2}) == 3


def test_every_navigation_item_names_a_permission() -> None:
    for item in NAVIGATION:
        assert isinstance(item.permission, Permission)
        assert item.path.startswith("/")


def test_csrf_signature_depends_on_key_and_cookie() -> None:
    assert _sign("key", "cookie") == _sign("key", "cookie")
    assert _sign("key", "cookie") != _sign("other", "cookie")
    assert _sign("key", "cookie") != _sign("key", "cookie2")
