"""The navigation shell: which sections a principal sees. Later capabilities append here."""

from __future__ import annotations

from dataclasses import dataclass

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    permission: Permission


NAVIGATION: list[NavItem] = [
    NavItem("Dashboard", "/dashboard", Permission.DASHBOARD_VIEW),
    NavItem("Banks", "/banks", Permission.BANK_READ),
    NavItem("Match", "/match", Permission.MATCH_QUERY),
    NavItem("Reports queue", "/queue", Permission.ITEM_ASSESS),
    NavItem("New report", "/reports/new", Permission.REPORT_SUBMIT),
    NavItem("Items", "/items", Permission.ITEM_READ),
    NavItem("Holds", "/holds", Permission.HOLD_READ),
    NavItem("Alerts", "/alerts", Permission.ALERT_READ),
    NavItem("Seizures", "/seizures", Permission.SEIZURE_TRIAGE),
    NavItem("Series", "/series", Permission.SERIES_READ),
    NavItem("Referrals", "/referrals", Permission.REFERRAL_MANAGE),
    NavItem("Victim KPI", "/victims/metrics", Permission.VICTIM_METRICS_READ),
    NavItem("Takedown metrics", "/metrics/takedown", Permission.METRICS_READ),
    NavItem("Providers", "/providers", Permission.PROVIDER_READ),
    NavItem("Organisations", "/orgs", Permission.ORG_READ),
    NavItem("Users", "/users", Permission.USER_READ),
    NavItem("API keys", "/keys", Permission.KEY_READ),
    NavItem("Audit log", "/audit", Permission.AUDIT_READ),
]


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAVIGATION if principal.can(item.permission)]
