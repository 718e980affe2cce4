"""The navigation shell: the sections a principal sees, grouped by task.

The bar holds the dashboard and one menu per task (Takedown, Victim ID, Banks, Review,
Blocking, Cooperation, Industry reports, Countries, Administration). A link is shown when
the principal's role grants its permission, a menu when it holds at least one such link. A
link may carry a count of what waits for the principal (``waiting``: a key of
:func:`alliance.web.waiting.waiting_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    permission: Permission
    #: The key of the count shown beside the link, if any (alliance.web.waiting).
    waiting: str | None = None

    def current(self, path: str) -> str | None:
        """``"page"`` on the link's own page, ``"true"`` on a page within its section
        (``/items/I-1`` is within Items), else None: the value of ``aria-current``."""
        if path == self.path:
            return "page"
        if path.startswith(self.path.rstrip("/") + "/"):
            return "true"
        return None


@dataclass(frozen=True)
class NavGroup:
    label: str
    items: tuple[NavItem, ...]
    #: Served by a member's own server (`alliance serve --member`) too; the other menus
    #: are the hub's work (takedown, victims, the police's inbox), empty at a member.
    at_member: bool = False

    def current(self, path: str) -> bool:
        return any(item.current(path) for item in self.items)

    def waiting(self, counts: dict[str, int]) -> int:
        """What waits in the group's sections, in all."""
        return sum(counts.get(item.waiting, 0) for item in self.items if item.waiting)


DASHBOARD = NavItem("Dashboard", "/dashboard", Permission.DASHBOARD_VIEW)

GROUPS: tuple[NavGroup, ...] = (
    NavGroup(
        "Takedown",
        (
            NavItem("Reports queue", "/queue", Permission.ITEM_ASSESS, waiting="queue"),
            NavItem("New report", "/reports/new", Permission.REPORT_SUBMIT),
            NavItem("Items", "/items", Permission.ITEM_READ),
            NavItem("Holds", "/holds", Permission.HOLD_READ),
            NavItem("Takedown metrics", "/metrics/takedown", Permission.METRICS_READ),
            NavItem("Providers", "/providers", Permission.PROVIDER_READ),
        ),
    ),
    NavGroup(
        "Victim ID",
        (
            NavItem("Seizures", "/seizures", Permission.SEIZURE_TRIAGE),
            NavItem("Series", "/series", Permission.SERIES_READ),
            NavItem("Referrals", "/referrals", Permission.REFERRAL_MANAGE, waiting="referrals"),
            NavItem("Victim KPI", "/victims/metrics", Permission.VICTIM_METRICS_READ),
        ),
    ),
    NavGroup(
        "Banks",
        (
            NavItem("Banks", "/banks", Permission.BANK_READ),
            NavItem("Match", "/match", Permission.MATCH_QUERY),
        ),
        at_member=True,
    ),
    NavGroup(
        "Review",
        (
            NavItem("Review queue", "/review", Permission.CASE_READ, waiting="review"),
            NavItem("Action rules", "/review/rules", Permission.CASE_READ),
        ),
        at_member=True,
    ),
    NavGroup(
        "Blocking",
        (
            NavItem("URL list", "/blocklists/urls", Permission.BLOCKLIST_READ),
            NavItem("Keyword list", "/blocklists/keywords", Permission.BLOCKLIST_READ),
            NavItem("Appeals", "/appeals", Permission.APPEAL_DECIDE),
            NavItem("Self-tests", "/self-tests", Permission.SELF_TEST_READ),
        ),
    ),
    NavGroup(
        "Cooperation",
        (NavItem("Alerts", "/alerts", Permission.ALERT_READ, waiting="alerts"),),
    ),
    NavGroup(
        "Industry reports",
        (
            NavItem(
                "Inbox",
                "/industry-inbox",
                Permission.INDUSTRY_REPORT_DECIDE,
                waiting="industry_reports",
            ),
            NavItem(
                "Triage",
                "/industry-triage",
                Permission.INDUSTRY_REPORT_TRIAGE,
                waiting="industry_triage",
            ),
            NavItem("Sent reports", "/industry-reports", Permission.INDUSTRY_REPORT_READ),
            NavItem(
                "Time to acceptance",
                "/metrics/industry-reports",
                Permission.INDUSTRY_METRICS_READ,
            ),
        ),
    ),
    NavGroup(
        "Countries",
        (
            NavItem("Member countries", "/countries", Permission.COUNTRY_READ),
            NavItem("Commitments", "/commitments", Permission.COMMITMENT_READ),
            NavItem("To publish", "/commitments/submitted", Permission.COMMITMENT_PUBLISH),
            NavItem("Progress report", "/reports/progress", Permission.REPORT_BUILD),
            NavItem("Self-assessment", "/capabilities", Permission.CAPABILITY_READ),
            NavItem(
                "Capabilities across the alliance",
                "/capabilities/distribution",
                Permission.CAPABILITY_DISTRIBUTION,
            ),
            NavItem("Legal frameworks", "/legal", Permission.LEGAL_READ),
            NavItem("Legal reviews", "/legal/reviews", Permission.LEGAL_REVIEW),
            NavItem("Library", "/library", Permission.LIBRARY_READ),
        ),
    ),
    NavGroup(
        "Administration",
        (
            NavItem("Organisations", "/orgs", Permission.ORG_READ),
            NavItem("Users", "/users", Permission.USER_READ),
            NavItem("API keys", "/keys", Permission.KEY_READ),
            NavItem("Audit log", "/audit", Permission.AUDIT_READ),
        ),
        at_member=True,
    ),
)

#: Every link, in the order of the bar.
NAVIGATION: list[NavItem] = [DASHBOARD, *(item for group in GROUPS for item in group.items)]


def _groups(member: bool) -> tuple[NavGroup, ...]:
    return tuple(g for g in GROUPS if g.at_member) if member else GROUPS


def navigation_for(principal: Principal | None, *, member: bool = False) -> list[NavItem]:
    """Every link the principal may follow, in the order of the bar (at a member's own
    server, ``member``, only its menus')."""
    if principal is None:
        return []
    items = [DASHBOARD, *(item for group in _groups(member) for item in group.items)]
    return [item for item in items if principal.can(item.permission)]


def menus_for(principal: Principal | None, *, member: bool = False) -> list[NavGroup]:
    """The task menus the principal sees, each with only the links it may follow."""
    if principal is None:
        return []
    menus = []
    for group in _groups(member):
        items = tuple(item for item in group.items if principal.can(item.permission))
        if items:
            menus.append(NavGroup(group.label, items, group.at_member))
    return menus
