"""What each role sees in the main navigation: its menus by task ("" holds the links
outside a menu), each with the links it may follow. One table for the navigation's unit
test, the pages' test and the browser's: a menu that changes is changed here once."""

from __future__ import annotations

from alliance.accounts.permissions import Role

MENUS: dict[Role, dict[str, list[str]]] = {
    Role.secretariat_admin: {
        "": ["Dashboard"],
        "Takedown": [
            "Reports queue",
            "New report",
            "Items",
            "Holds",
            "Takedown metrics",
            "Providers",
        ],
        "Victim ID": ["Victim KPI"],
        "Banks": ["Banks", "Match"],
        "Review": ["Review queue", "Action rules"],
        "Blocking": ["URL list", "Keyword list", "Appeals", "Self-tests"],
        "Cooperation": ["Alerts"],
        "Countries": [
            "Member countries",
            "Commitments",
            "To publish",
            "Progress report",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Legal reviews",
            "Library",
        ],
        "Administration": ["Organisations", "Users", "API keys", "Audit log"],
    },
    Role.org_admin: {
        "": ["Dashboard"],
        "Takedown": ["Takedown metrics", "Providers"],
        "Banks": ["Banks", "Match"],
        "Review": ["Review queue", "Action rules"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Library",
        ],
        "Administration": ["Organisations", "Users", "API keys", "Audit log"],
    },
    Role.analyst: {
        "": ["Dashboard"],
        "Takedown": ["Reports queue", "New report", "Items", "Takedown metrics", "Providers"],
        "Banks": ["Banks", "Match"],
        "Blocking": ["URL list", "Keyword list", "Appeals"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Library",
        ],
        "Administration": ["Organisations", "Users"],
    },
    Role.investigator: {
        "": ["Dashboard"],
        "Takedown": [
            "Reports queue",
            "New report",
            "Items",
            "Holds",
            "Takedown metrics",
            "Providers",
        ],
        "Victim ID": ["Seizures", "Series", "Referrals", "Victim KPI"],
        "Banks": ["Banks", "Match"],
        "Blocking": ["URL list", "Keyword list"],
        "Cooperation": ["Alerts"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Library",
        ],
        "Administration": ["Organisations", "Users"],
    },
    Role.reviewer: {
        "": ["Dashboard"],
        "Takedown": ["New report", "Items", "Takedown metrics", "Providers"],
        "Banks": ["Banks", "Match"],
        "Review": ["Review queue", "Action rules"],
        "Blocking": ["URL list", "Keyword list", "Self-tests"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Library",
        ],
        "Administration": ["Organisations", "Users"],
    },
    Role.country_editor: {
        "": ["Dashboard"],
        "Takedown": ["Takedown metrics", "Providers"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Progress report",
            "Self-assessment",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Legal reviews",
            "Library",
        ],
        "Administration": ["Organisations", "Users"],
    },
    Role.viewer: {
        "": ["Dashboard"],
        "Takedown": ["Items", "Takedown metrics", "Providers"],
        "Banks": ["Banks"],
        "Countries": [
            "Member countries",
            "Commitments",
            "Capabilities across the alliance",
            "Legal frameworks",
            "Library",
        ],
        "Administration": ["Organisations"],
    },
}
