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

    ALERT_READ = "cooperation:alert:read"
    ALERT_MANAGE = "cooperation:alert:manage"

    SERIES_READ = "victims:series:read"
    SERIES_MANAGE = "victims:series:manage"
    VICTIM_READ = "victims:victim:read"
    VICTIM_MANAGE = "victims:victim:manage"
    SEIZURE_TRIAGE = "victims:seizure:triage"
    REFERRAL_MANAGE = "victims:referral:manage"
    RECORDS_EXCHANGE = "victims:records:exchange"
    VICTIM_METRICS_READ = "victims:metrics:read"

    COUNTRY_READ = "countries:register:read"
    COUNTRY_MANAGE = "countries:register:manage"
    COMMITMENT_READ = "countries:commitment:read"
    COMMITMENT_EDIT = "countries:commitment:edit"
    COMMITMENT_PUBLISH = "countries:commitment:publish"
    #: A country's own capability self-assessment, private to its government's editors.
    CAPABILITY_READ = "countries:capability:read"
    CAPABILITY_ASSESS = "countries:capability:assess"
    #: The alliance-wide distribution of phases, small counts suppressed, no country named.
    CAPABILITY_DISTRIBUTION = "countries:capability:distribution"
    #: Build the live (draft) progress report: a government its own country's, the
    #: secretariat every country's and the alliance's (alliance.reports.building decides).
    REPORT_BUILD = "reports:progress:build"
    #: Publish a progress report: a frozen, signed snapshot the public reads.
    REPORT_PUBLISH = "reports:progress:publish"

    LEGAL_READ = "legal:review:read"
    LEGAL_REVIEW = "legal:review:record"
    LEGAL_PUBLISH = "legal:review:publish"
    #: Published entries are public (no login); members read them too.
    LIBRARY_READ = "countries:library:read"
    #: Write the organisation's own entries (drafts) and mark others' as adopted.
    LIBRARY_EDIT = "countries:library:edit"
    #: Publish and withdraw entries, import and export the library: the secretariat's.
    LIBRARY_PUBLISH = "countries:library:publish"

    #: Receive the URL and keyword lists for blocking (their snapshots and deltas).
    BLOCKLIST_READ = "blocklists:list:read"
    #: Add and remove terms of the keyword list.
    KEYWORD_MANAGE = "blocklists:keyword:manage"
    #: Review site owners' appeals against listed URLs: uphold (delist) or reject.
    APPEAL_DECIDE = "blocklists:appeal:decide"
    #: Record the organisation's quarterly blocking self-test, and read its own.
    SELF_TEST_RECORD = "blocklists:self_test:record"
    #: Read blocking self-tests (OWN: the organisation's; the secretariat reads all).
    SELF_TEST_READ = "blocklists:self_test:read"

    #: The review queue of a platform's matches (member mode): see the cases and rules.
    CASE_READ = "review:case:read"
    #: Open a case from an upload's matches (the platform's upload service, by API key).
    CASE_OPEN = "review:case:open"
    #: Decide a case: confirm, false positive (feedback to the contributor), escalate.
    CASE_DECIDE = "review:case:decide"
    #: Give the second confirmation a case needs when the second review is on.
    CASE_SECOND_REVIEW = "review:case:second_review"
    #: See a case's media unblurred (each time audited).
    MEDIA_REVEAL = "review:media:reveal"
    #: Add, enable and disable the action rules applied when a case opens.
    RULE_MANAGE = "review:rule:manage"
    #: A platform reports a confirmed case to the police of the uploader's country.
    INDUSTRY_REPORT_SUBMIT = "industry:report:submit"
    #: Read an industry report's status and outcome (OWN: the platform's own reports).
    INDUSTRY_REPORT_READ = "industry:report:read"
    #: The LEA inbox: accept, decline or forward industry reports, record their outcome.
    INDUSTRY_REPORT_DECIDE = "industry:report:decide"
    #: The secretariat's triage of industry reports no country's police received.
    INDUSTRY_REPORT_TRIAGE = "industry:report:triage"
    #: Time from a platform's confirmation to an LEA's acceptance, per country.
    INDUSTRY_METRICS_READ = "industry:metrics:read"


class OrgKind(StrEnum):
    hotline = "hotline"
    law_enforcement = "law_enforcement"
    industry = "industry"
    secretariat = "secretariat"
    ngo = "ngo"
    #: A member country's government (ministry): states and reports its commitments.
    government = "government"


class Role(StrEnum):
    secretariat_admin = "secretariat_admin"
    org_admin = "org_admin"
    analyst = "analyst"
    investigator = "investigator"
    reviewer = "reviewer"
    #: Writes its country's commitments, reports and self-assessment (issue 16).
    country_editor = "country_editor"
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
    # Which countries are in the alliance, and their national contacts, is no secret
    # among members; the register is the secretariat's to keep (COUNTRY_MANAGE).
    P.COUNTRY_READ: Reach.ALL,
    # Commitments: every member reads the published ones (anonymous visitors too, on the
    # public page); a country's own working copies only its government and the
    # secretariat (alliance.countries.commitments decides).
    P.COMMITMENT_READ: Reach.ALL,
    # The published legal matrix is public (its public pages need no login); members
    # read it too, and see unpublished reviews only where they may record them.
    P.LEGAL_READ: Reach.ALL,
    # The awareness library's published entries are public; members read them too.
    P.LIBRARY_READ: Reach.ALL,
    # Capability self-assessments: every member sees the alliance-wide distribution of
    # phases (small counts suppressed, no country named), never a country's own.
    P.CAPABILITY_DISTRIBUTION: Reach.ALL,
    # How fast each country's police accept industry reports: a figure like takedown times.
    P.INDUSTRY_METRICS_READ: Reach.ALL,
}
# Every organisation may describe its own awareness work and adopt another's.
_LIBRARY_WRITER: dict[Permission, Reach] = {P.LIBRARY_EDIT: Reach.OWN}

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
    P.ALERT_READ: Reach.OWN,
    P.ALERT_MANAGE: Reach.OWN,
}

# Victim identification is law enforcement's alone. OWN reach on a series means series the
# agency owns or collaborates on; the known-media database itself (hashes and flags) is
# read by every agency's triage, as ICSE's is.
_VICTIM_IDENTIFICATION: dict[Permission, Reach] = {
    P.SERIES_READ: Reach.OWN,
    P.SERIES_MANAGE: Reach.OWN,
    P.VICTIM_READ: Reach.OWN,
    P.VICTIM_MANAGE: Reach.OWN,
    P.SEIZURE_TRIAGE: Reach.OWN,
    P.REFERRAL_MANAGE: Reach.OWN,
    P.RECORDS_EXCHANGE: Reach.OWN,
    P.VICTIM_METRICS_READ: Reach.ALL,
}
# Series, victims, seizures and referrals: not even the secretariat reads them (it sees
# aggregate counts only, through the victim metrics).
# The LEA inbox of industry reports (uploader details) is law enforcement's alone too: the
# secretariat triages only the reports no country's police received.
LEA_ONLY = frozenset(_VICTIM_IDENTIFICATION) - {P.VICTIM_METRICS_READ} | {P.INDUSTRY_REPORT_DECIDE}
# A country's commitments are written by its own government's editors; not even the
# secretariat writes them (it publishes, or returns them with a reason). Its capability
# self-assessment is its own: not even the secretariat reads it.
COUNTRY_ONLY = frozenset({P.COMMITMENT_EDIT, P.CAPABILITY_READ, P.CAPABILITY_ASSESS})

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

# Lists for blocking: one URL list and one keyword list for the whole alliance, owned by no
# organisation, so OWN reach already covers them (and an organisation's administrator may
# hand the roles out). Hotline analysts keep the keywords and decide appeals (they assessed
# the pages); a platform or provider receives the lists and records its own self-tests.
_BLOCKLIST_CURATOR: dict[Permission, Reach] = {
    P.BLOCKLIST_READ: Reach.OWN,
    P.KEYWORD_MANAGE: Reach.OWN,
    P.APPEAL_DECIDE: Reach.OWN,
}
_BLOCKLIST_SUBSCRIBER: dict[Permission, Reach] = {
    P.BLOCKLIST_READ: Reach.OWN,
    P.SELF_TEST_RECORD: Reach.OWN,
    P.SELF_TEST_READ: Reach.OWN,
}

# The review queue of a platform in member mode: its own cases only (OWN: the cases of the
# organisation the matching upload belongs to). Any reviewer may be the second reviewer of
# a confirmation (never the first one: alliance.review.decisions); the administrator also
# keeps the action rules.
_CASE_REVIEWER: dict[Permission, Reach] = {
    P.CASE_READ: Reach.OWN,
    P.CASE_OPEN: Reach.OWN,
    P.CASE_DECIDE: Reach.OWN,
    P.CASE_SECOND_REVIEW: Reach.OWN,
    P.MEDIA_REVEAL: Reach.OWN,
}

ROLE_GRANTS: dict[Role, dict[Permission, Reach]] = {
    Role.secretariat_admin: dict.fromkeys(set(Permission) - LEA_ONLY - COUNTRY_ONLY, Reach.ALL),
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
        **_LIBRARY_WRITER,
        **_CASE_REVIEWER,
        P.RULE_MANAGE: Reach.OWN,
    },
    Role.analyst: {
        **_MEMBER_BASE,
        **_LIBRARY_WRITER,
        **_BANK_ANALYST,
        **_TAKEDOWN_ANALYST,
        **_BLOCKLIST_CURATOR,
        P.USER_READ: Reach.OWN,
    },
    Role.investigator: {
        **_MEMBER_BASE,
        **_BANK_ANALYST,
        **_TAKEDOWN_INVESTIGATOR,
        **_VICTIM_IDENTIFICATION,
        P.INDUSTRY_REPORT_DECIDE: Reach.OWN,
        P.BLOCKLIST_READ: Reach.OWN,
        P.USER_READ: Reach.OWN,
    },
    # A platform reports what it found; it sees its own reports' items, nothing else.
    Role.reviewer: {
        **_MEMBER_BASE,
        **_BANK_MEMBER,
        **_BLOCKLIST_SUBSCRIBER,
        **_CASE_REVIEWER,
        P.REPORT_SUBMIT: Reach.OWN,
        P.ITEM_READ: Reach.OWN,
        P.USER_READ: Reach.OWN,
        # Its confirmed cases, to the police of the uploader's country; their outcome.
        P.INDUSTRY_REPORT_SUBMIT: Reach.OWN,
        P.INDUSTRY_REPORT_READ: Reach.OWN,
    },
    # A government's editor: its own country's entries (the permissions of issue 16 are
    # granted here as they come); nothing of takedown, banks or victims.
    Role.country_editor: {
        **_MEMBER_BASE,
        **_LIBRARY_WRITER,
        P.USER_READ: Reach.OWN,
        # OWN: its own country's (the government organisation's country_code).
        P.COMMITMENT_EDIT: Reach.OWN,
        # Its own country's legal reviews, unpublished until the secretariat publishes.
        P.LEGAL_REVIEW: Reach.OWN,
        # Its own country's capability self-assessment, which no one else reads.
        P.CAPABILITY_READ: Reach.OWN,
        P.CAPABILITY_ASSESS: Reach.OWN,
        # Its own country's progress report, its figures in full.
        P.REPORT_BUILD: Reach.OWN,
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
    OrgKind.government: frozenset({Role.org_admin, Role.country_editor, Role.viewer}),
}

ROLE_LABELS: dict[Role, str] = {
    Role.secretariat_admin: "Secretariat administrator",
    Role.org_admin: "Organisation administrator",
    Role.analyst: "Hotline analyst",
    Role.investigator: "LEA investigator",
    Role.reviewer: "Trust & safety reviewer",
    Role.country_editor: "Country editor",
    Role.viewer: "Viewer",
}

#: Organisation kinds in words ("law_enforcement" is "Law enforcement", "ngo" is "NGO").
ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.hotline: "Hotline",
    OrgKind.law_enforcement: "Law enforcement",
    OrgKind.industry: "Industry",
    OrgKind.secretariat: "Secretariat",
    OrgKind.ngo: "NGO",
    OrgKind.government: "Government",
}

#: What each permission lets a person do, as "What you may do" and a refusal say it.
PERMISSION_LABELS: dict[Permission, str] = {
    P.DASHBOARD_VIEW: "See the dashboard",
    P.JURISDICTION_READ: "See the list of countries",
    P.JURISDICTION_MANAGE: "Add countries",
    P.ORG_READ: "See the member organisations",
    P.ORG_MANAGE: "Add and change organisations",
    P.USER_READ: "See users",
    P.USER_MANAGE: "Add, enable and disable users",
    P.KEY_READ: "See API keys",
    P.KEY_MANAGE: "Create and revoke API keys",
    P.AUDIT_READ: "Read the audit log",
    P.AUDIT_VERIFY: "Verify the audit log's chain",
    P.SETTINGS_READ: "See the platform's settings",
    P.BANK_READ: "See hash banks",
    P.BANK_MANAGE: "Manage hash banks",
    P.ENTRY_CONTRIBUTE: "Add hashes to banks",
    P.ENTRY_VERIFY: "Verify hashes in banks",
    P.MATCH_QUERY: "Match hashes against banks",
    P.MATCH_FEEDBACK: "Confirm or dispute matches",
    P.REPORT_SUBMIT: "Submit reports",
    P.ITEM_READ: "See reported items",
    P.ITEM_ASSESS: "Assess reported items",
    P.ITEM_ROUTE: "Route items to another country",
    P.HOLD_READ: "See law enforcement holds",
    P.HOLD_MANAGE: "Place and release law enforcement holds",
    P.NOTICE_SEND: "Send takedown notices",
    P.METRICS_READ: "See takedown figures",
    P.PROVIDER_READ: "See hosting providers",
    P.PROVIDER_MANAGE: "Add and change hosting providers",
    P.ALERT_READ: "See deconfliction alerts",
    P.ALERT_MANAGE: "Acknowledge deconfliction alerts",
    P.SERIES_READ: "See victim identification series",
    P.SERIES_MANAGE: "Start, change and merge series",
    P.VICTIM_READ: "See victim records",
    P.VICTIM_MANAGE: "Record and update victims",
    P.SEIZURE_TRIAGE: "Triage seized media",
    P.REFERRAL_MANAGE: "Send and answer referrals",
    P.RECORDS_EXCHANGE: "Import and export victim identification records",
    P.VICTIM_METRICS_READ: "See victim identification figures",
    P.COUNTRY_READ: "See the member countries",
    P.COUNTRY_MANAGE: "Add and change member countries",
    P.COMMITMENT_READ: "See countries' commitments and reports",
    P.COMMITMENT_EDIT: "Write your country's commitments and reports",
    P.COMMITMENT_PUBLISH: "Publish countries' commitments and reports",
    P.CAPABILITY_READ: "See a country's capability self-assessment, which is for its own "
    "government's editors only",
    P.CAPABILITY_ASSESS: "Assess a country's capabilities (its own government's editors only)",
    P.CAPABILITY_DISTRIBUTION: "See the alliance-wide distribution of capability phases",
    P.REPORT_BUILD: "Build your country's progress report (the secretariat builds every "
    "country's and the alliance's)",
    P.REPORT_PUBLISH: "Publish progress reports (frozen and signed, for the public)",
    P.LEGAL_READ: "See the legal-framework matrix",
    P.LEGAL_REVIEW: "Record reviews of a country's law",
    P.LEGAL_PUBLISH: "Publish reviews of a country's law",
    P.LIBRARY_READ: "Read the awareness library",
    P.LIBRARY_EDIT: "Write your organisation's library entries and adopt others'",
    P.LIBRARY_PUBLISH: "Publish library entries and import or export the library",
    P.BLOCKLIST_READ: "Receive the URL and keyword lists for blocking",
    P.KEYWORD_MANAGE: "Add and remove terms of the keyword list",
    P.APPEAL_DECIDE: "Uphold or reject appeals against listed URLs",
    P.SELF_TEST_RECORD: "Record your organisation's blocking self-tests",
    P.SELF_TEST_READ: "See blocking self-tests",
    P.CASE_READ: "See the review queue of your platform's matches",
    P.CASE_OPEN: "Open review cases from your uploads' matches",
    P.CASE_DECIDE: "Decide review cases",
    P.CASE_SECOND_REVIEW: "Give the second confirmation of a review case",
    P.MEDIA_REVEAL: "See a case's media unblurred",
    P.RULE_MANAGE: "Add, enable and disable the review queue's action rules",
    P.INDUSTRY_REPORT_SUBMIT: "Report confirmed cases to the police of the uploader's country",
    P.INDUSTRY_REPORT_READ: "See industry reports' status and outcome",
    P.INDUSTRY_REPORT_DECIDE: "Accept, decline and forward industry reports to your agency",
    P.INDUSTRY_REPORT_TRIAGE: "Route industry reports no country's police received",
    P.INDUSTRY_METRICS_READ: "See how fast each country's police accept industry reports",
}


def permission_phrase(permission: Permission) -> str:
    """The permission as the rest of a sentence: "manage hash banks"."""
    text = PERMISSION_LABELS[permission]
    return text[:1].lower() + text[1:]
