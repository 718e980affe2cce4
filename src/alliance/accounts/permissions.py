"""What each role may do.

Permissions are ``scope:resource:action`` strings. A role grants each permission either on
the organisation's own records (``Reach.OWN``) or on every organisation's (``Reach.ALL``).
Anything not granted is denied.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    DASHBOARD_VIEW = "platform:dashboard:view"
    JURISDICTION_READ = "platform:jurisdiction:read"
    JURISDICTION_MANAGE = "platform:jurisdiction:manage"
    ORG_READ = "platform:org:read"
    ORG_MANAGE = "platform:org:manage"
    USER_READ = "platform:user:read"
    USER_MANAGE = "platform:user:manage"
    KEY_READ = "platform:key:read"
    KEY_MANAGE = "platform:key:manage"
    AUDIT_READ = "platform:audit:read"
    AUDIT_VERIFY = "platform:audit:verify"
    SETTINGS_READ = "platform:settings:read"

    BANK_READ = "banks:bank:read"
    BANK_MANAGE = "banks:bank:manage"
    ENTRY_CONTRIBUTE = "banks:entry:contribute"
    ENTRY_VERIFY = "banks:entry:verify"
    MATCH_QUERY = "banks:match:query"
    MATCH_FEEDBACK = "banks:match:feedback"

    REPORT_SUBMIT = "takedown:report:submit"
    ITEM_READ = "takedown:item:read"
    ITEM_ASSESS = "takedown:item:assess"
    ITEM_ROUTE = "takedown:item:route"
    HOLD_READ = "takedown:hold:read"
    HOLD_MANAGE = "takedown:hold:manage"
    NOTICE_SEND = "takedown:notice:send"
    METRICS_READ = "takedown:metrics:read"
    PROVIDER_READ = "hosting:provider:read"
    PROVIDER_MANAGE = "hosting:provider:manage"


class OrgKind(StrEnum):
    hotline = "hotline"
    law_enforcement = "law_enforcement"
    industry = "industry"
    secretariat = "secretariat"
    ngo = "ngo"


class Role(StrEnum):
    secretariat_admin = "secretariat_admin"
    org_admin = "org_admin"
    analyst = "analyst"
    investigator = "investigator"
    reviewer = "reviewer"
    viewer = "viewer"


class Reach(StrEnum):
    OWN = "own"
    ALL = "all"


P = Permission
_MEMBER_BASE: dict[Permission, Reach] = {
    P.DASHBOARD_VIEW: Reach.OWN,
    P.JURISDICTION_READ: Reach.ALL,
    # The member directory (names, kinds, countries) is needed for routing and referrals.
    P.ORG_READ: Reach.ALL,
    # Takedown-time metrics name slow providers alliance-wide, as Project Arachnid does.
    P.METRICS_READ: Reach.ALL,
    P.PROVIDER_READ: Reach.ALL,
}

# Notice and takedown. OWN reach on items means items routed to the organisation, items
# it reported, and items shared with it (an LEA informed of its country's items).
_TAKEDOWN_ANALYST: dict[Permission, Reach] = {
    P.REPORT_SUBMIT: Reach.OWN,
    P.ITEM_READ: Reach.OWN,
    P.ITEM_ASSESS: Reach.OWN,
    P.NOTICE_SEND: Reach.OWN,
}
_TAKEDOWN_INVESTIGATOR: dict[Permission, Reach] = {
    P.REPORT_SUBMIT: Reach.OWN,
    P.ITEM_READ: Reach.OWN,
    P.ITEM_ASSESS: Reach.OWN,
    P.HOLD_READ: Reach.OWN,
    P.HOLD_MANAGE: Reach.OWN,
}

# Hash banks: OWN reach means banks the organisation owns *or may subscribe to* (see
# alliance.banks.services.visible_banks); contributing and verifying need a role that
# assesses material.
_BANK_ANALYST: dict[Permission, Reach] = {
    P.BANK_READ: Reach.OWN,
    P.BANK_MANAGE: Reach.OWN,
    P.ENTRY_CONTRIBUTE: Reach.OWN,
    P.ENTRY_VERIFY: Reach.OWN,
    P.MATCH_QUERY: Reach.OWN,
    P.MATCH_FEEDBACK: Reach.OWN,
}
_BANK_MEMBER: dict[Permission, Reach] = {
    P.BANK_READ: Reach.OWN,
    P.MATCH_QUERY: Reach.OWN,
    P.MATCH_FEEDBACK: Reach.OWN,
}

ROLE_GRANTS: dict[Role, dict[Permission, Reach]] = {
    Role.secretariat_admin: dict.fromkeys(Permission, Reach.ALL),
    Role.org_admin: {
        **_MEMBER_BASE,
        P.USER_READ: Reach.OWN,
        P.USER_MANAGE: Reach.OWN,
        P.KEY_READ: Reach.OWN,
        P.KEY_MANAGE: Reach.OWN,
        P.AUDIT_READ: Reach.OWN,
        P.BANK_READ: Reach.OWN,
        P.BANK_MANAGE: Reach.OWN,
        P.MATCH_QUERY: Reach.OWN,
        P.MATCH_FEEDBACK: Reach.OWN,
    },
    Role.analyst: {
        **_MEMBER_BASE,
        **_BANK_ANALYST,
        **_TAKEDOWN_ANALYST,
        P.USER_READ: Reach.OWN,
    },
    Role.investigator: {
        **_MEMBER_BASE,
        **_BANK_ANALYST,
        **_TAKEDOWN_INVESTIGATOR,
        P.USER_READ: Reach.OWN,
    },
    # A platform reports what it found; it sees its own reports' items, nothing else.
    Role.reviewer: {
        **_MEMBER_BASE,
        **_BANK_MEMBER,
        P.REPORT_SUBMIT: Reach.OWN,
        P.ITEM_READ: Reach.OWN,
        P.USER_READ: Reach.OWN,
    },
    Role.viewer: {**_MEMBER_BASE, P.BANK_READ: Reach.OWN, P.ITEM_READ: Reach.OWN},
}

# Which roles an organisation of each kind may hand out.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.secretariat: frozenset(
        {Role.secretariat_admin, Role.org_admin, Role.analyst, Role.viewer}
    ),
    OrgKind.hotline: frozenset({Role.org_admin, Role.analyst, Role.viewer}),
    OrgKind.ngo: frozenset({Role.org_admin, Role.analyst, Role.viewer}),
    OrgKind.law_enforcement: frozenset({Role.org_admin, Role.investigator, Role.viewer}),
    OrgKind.industry: frozenset({Role.org_admin, Role.reviewer, Role.viewer}),
}

ROLE_LABELS: dict[Role, str] = {
    Role.secretariat_admin: "Secretariat administrator",
    Role.org_admin: "Organisation administrator",
    Role.analyst: "Hotline analyst",
    Role.investigator: "LEA investigator",
    Role.reviewer: "Trust & safety reviewer",
    Role.viewer: "Viewer",
}
