"""Words for the codes that reach a page: one label for every enum value shown to people.

Templates write ``{{ item.stage|label }}``; a CSV download uses :func:`label` too, so a
spreadsheet and the page say the same thing. A value without an entry in :data:`LABELS`
reads as its words (``awaiting_assessment`` → "Awaiting assessment"); the table holds
only what that rule gets wrong or what needs more than the code says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import pass_context

from alliance.accounts.permissions import ORG_KIND_LABELS, PERMISSION_LABELS, ROLE_LABELS
from alliance.countries import display_name
from alliance.library.vocabulary import AUDIENCE_LABELS, KIND_LABELS, TAG_LABELS

#: Labels by enum class name and value; the class name keeps two enums' equal values apart.
LABELS: dict[tuple[str, str], str] = {
    **{("Role", role.value): text for role, text in ROLE_LABELS.items()},
    # Administration (issue 15): permissions and kinds live beside the roles they belong
    # to (alliance.accounts.permissions), so that a refusal from a service says the same.
    **{("Permission", p.value): text for p, text in PERMISSION_LABELS.items()},
    **{("OrgKind", k.value): text for k, text in ORG_KIND_LABELS.items()},
    **{("EntryKind", k.value): text for k, text in KIND_LABELS.items()},
    **{("Audience", a.value): text for a, text in AUDIENCE_LABELS.items()},
    **{("Tag", t.value): text for t, text in TAG_LABELS.items()},
    # Audit events ("auth:login.succeeded" would read "Auth login.succeeded").
    ("EventType", "auth:login.succeeded"): "Logged in",
    ("EventType", "auth:login.failed"): "Login failed",
    ("EventType", "auth:login.rate_limited"): "Login refused (too many attempts)",
    ("EventType", "auth:logout"): "Logged out",
    ("EventType", "auth:api_key.rejected"): "API key refused",
    ("EventType", "auth:csrf.rejected"): "Form refused (not sent from this site)",
    ("EventType", "jurisdiction:created"): "Country added",
    ("EventType", "org:created"): "Organisation added",
    ("EventType", "org:updated"): "Organisation changed",
    ("EventType", "user:created"): "User added",
    ("EventType", "user:disabled"): "User disabled",
    ("EventType", "user:enabled"): "User enabled",
    ("EventType", "user:role_changed"): "Role changed",
    ("EventType", "user:password_changed"): "Password changed",
    ("EventType", "api_key:created"): "API key created",
    ("EventType", "api_key:revoked"): "API key revoked",
    ("EventType", "share:granted"): "Record shared",
    ("EventType", "share:revoked"): "Sharing withdrawn",
    ("EventType", "bank:created"): "Bank created",
    ("EventType", "bank:updated"): "Bank changed",
    ("EventType", "bank:entries_added"): "Hashes added to a bank",
    ("EventType", "bank:entries_removed"): "Hashes removed from a bank",
    ("EventType", "bank:entry_voted"): "Vote on a bank entry",
    ("EventType", "bank:entry_flagged"): "Bank entry flagged",
    ("EventType", "match:found"): "Match found",
    ("EventType", "match:feedback"): "Match confirmed or disputed",
    ("EventType", "report:received"): "Report received",
    ("EventType", "item:routed"): "Item routed",
    ("EventType", "item:unresolved"): "Item could not be routed",
    ("EventType", "item:moved"): "Item moved to another host",
    ("EventType", "item:claimed"): "Item claimed",
    ("EventType", "item:released"): "Item claim released",
    ("EventType", "item:assessed"): "Item assessed",
    ("EventType", "item:removed"): "Item removed from its host",
    ("EventType", "item:reappeared"): "Item reappeared",
    ("EventType", "item:escalated"): "Item escalated",
    ("EventType", "item:cleared_for_notice"): "Item cleared for notice",
    ("EventType", "item:recheck_requested"): "Item re-check requested",
    ("EventType", "hold:placed"): "Hold placed",
    ("EventType", "hold:renewed"): "Hold renewed",
    ("EventType", "hold:released"): "Hold released",
    ("EventType", "hold:expired"): "Hold expired",
    ("EventType", "hold:hit"): "Held hash reported",
    ("EventType", "deconfliction:alerted"): "Deconfliction alert raised",
    ("EventType", "deconfliction:acknowledged"): "Deconfliction alert acknowledged",
    ("EventType", "notice:sent"): "Notice sent",
    ("EventType", "notice:failed"): "Notice could not be sent",
    ("EventType", "provider:created"): "Hosting provider added",
    ("EventType", "provider:updated"): "Hosting provider changed",
    ("EventType", "member_country:added"): "Member country added",
    ("EventType", "legal_review:recorded"): "Legal review recorded",
    ("EventType", "legal_review:published"): "Legal review published",
    ("EventType", "legal_matrix:imported"): "Legal matrix imported",
    ("EventType", "legal_matrix:exported"): "Legal matrix exported",
    ("CriterionStatus", "not_met"): "Not met",
    ("CriterionStatus", "partly"): "Partly met",
    ("Coverage", "not_covered"): "Not covered",
    ("ContentType", "non_photographic"): "Non-photographic (drawn or animated)",
    ("ContentType", "ai_generated"): "AI-generated",
    ("EventType", "member_country:updated"): "Member country changed",
    ("EventType", "commitment:saved"): "Commitments saved",
    ("EventType", "commitment:submitted"): "Commitments submitted",
    ("EventType", "commitment:published"): "Commitments published",
    ("EventType", "commitment:returned"): "Commitments returned to draft",
    ("EventType", "capability_assessment:saved"): "Capability self-assessment saved",
    ("EventType", "progress_report:built"): "Progress report built",
    ("EventType", "progress_report:published"): "Progress report published",
    ("EventType", "capability_assessment:exported"): "Capability self-assessment exported",
    ("EventType", "library_entry:created"): "Library entry added",
    ("EventType", "library_entry:updated"): "Library entry changed",
    ("EventType", "library_entry:published"): "Library entry published",
    ("EventType", "library_entry:unpublished"): "Library entry withdrawn",
    ("EventType", "library_entry:adopted"): "Library entry adopted",
    ("EventType", "library:imported"): "Library entries imported",
    ("EventType", "library:exported"): "Library exported",
    ("EventType", "series:created"): "Series started",
    ("EventType", "series:updated"): "Series changed",
    ("EventType", "series:agency_added"): "Agency joined a series",
    ("EventType", "series:media_linked"): "Media linked to a series",
    ("EventType", "series:merged"): "Series merged",
    ("EventType", "series:read"): "Series opened",
    ("EventType", "victim:created"): "Victim recorded",
    ("EventType", "victim:identified"): "Victim identified",
    ("EventType", "victim:safeguarded"): "Victim safeguarded",
    ("EventType", "victim:read"): "Victim record opened",
    ("EventType", "seizure:triaged"): "Seizure triaged",
    ("EventType", "media:imported"): "Records imported",
    ("EventType", "media:exported"): "Records exported",
    ("EventType", "referral:sent"): "Referral sent",
    ("EventType", "referral:accepted"): "Referral accepted",
    ("EventType", "referral:declined"): "Referral declined",
    ("EventType", "dsa_statements:submitted"): "Statements of reasons submitted (EU DSA)",
    ("EventType", "dsa_submission:stopped"): "Statements of reasons (EU DSA) not all submitted",
    ("EventType", "industry_report:received"): "Industry report received",
    ("EventType", "industry_report:routed"): "Industry report routed to a country's police",
    ("EventType", "industry_report:to_triage"): "Industry report sent to the secretariat's triage",
    ("EventType", "industry_report:accepted"): "Industry report accepted",
    ("EventType", "industry_report:declined"): "Industry report declined",
    ("EventType", "industry_report:forwarded"): "Industry report forwarded to another country",
    ("EventType", "industry_report:outcome_recorded"): "Industry report outcome recorded",
    ("Priority", "child_at_risk"): "Child possibly at risk",
    ("Priority", "new_material"): "New material",
    ("Priority", "known_series"): "Known series",
    ("Priority", "known_material"): "Known material (in a bank)",
    ("RoutingBasis", "ip_geolocation"): "The IP addresses' country",
    ("RoutingBasis", "declared_country"): "The declared country",
    ("RoutingBasis", "secretariat"): "The secretariat's triage",
    ("RoutingBasis", "forwarded"): "Forwarding by another agency",
    ("ReportStatus", "triage"): "In the secretariat's triage",
    ("ReportStatus", "routed"): "Awaiting the police's decision",
    ("StepKind", "triage"): "Sent to the secretariat's triage",
    ("StepKind", "routed"): "Routed",
    ("Outcome", "investigation_opened"): "Investigation opened",
    ("Outcome", "no_action"): "No action",
    ("EventType", "demo:built"): "Demo data built",
    ("EventType", "blocklist_url:listed"): "URL put on the URL list",
    ("EventType", "blocklist_url:delisted"): "URL taken off the URL list",
    ("EventType", "keyword:added"): "Term added to the keyword list",
    ("EventType", "keyword:removed"): "Term removed from the keyword list",
    ("EventType", "appeal:received"): "Appeal received",
    ("EventType", "appeal:refused"): "Appeal refused (not recorded)",
    ("EventType", "appeal:upheld"): "Appeal upheld",
    ("EventType", "appeal:rejected"): "Appeal rejected",
    ("EventType", "blocking_self_test:recorded"): "Blocking self-test recorded",
    ("EventType", "member_upload:matched"): "Upload matched (member mode)",
    ("EventType", "member_upload:refused"): "Upload refused (member mode)",
    ("EventType", "member_sync:applied"): "Banks synced from the hub",
    ("EventType", "member_sync:failed"): "Sync from the hub failed",
    ("EventType", "review_case:opened"): "Review case opened",
    ("EventType", "review_case:match_added"): "Match added to a review case",
    ("EventType", "review_case:rule_applied"): "Action rule applied to a review case",
    ("EventType", "review_case:assigned"): "Review case taken",
    ("EventType", "review_case:decided"): "Review case decided",
    ("EventType", "review_case:media_revealed"): "Review case's media revealed",
    ("EventType", "review_case:feedback_sent"): "False positive sent to the hub",
    ("EventType", "review_case:report_progress"): "Review case's report progressed",
    ("EventType", "review_case:report_started"): "Review case's report started",
    ("EventType", "review_case:closed"): "Review case closed",
    ("EventType", "review_rule:added"): "Review action rule added",
    ("EventType", "review_rule:changed"): "Review action rule enabled or disabled",
    ("CaseStatus", "false_positive"): "False positive",
    ("DecisionKind", "false_positive"): "False positive",
    ("EffectOutcome", "no_hook"): "No removal hook (nothing removed)",
    ("EffectOutcome", "hook_failed"): "Removal hook failed",
    ("EffectOutcome", "report_due"): "Report due",
    ("FeedbackState", "sent"): "Disputed with the contributor",
    ("FeedbackState", "pending"): "Dispute pending (for the hub)",
    ("FeedbackState", "refused"): "Dispute refused by the hub",
    # Lists for blocking
    ("KeywordCategory", "csam"): "Seeking or offering abuse material",
    ("KeywordCategory", "grooming"): "Approaching children",
    ("KeywordCategory", "coded"): "Code (letters, numbers)",
    ("DelistReason", "removed"): "Removed from the host",
    ("DelistReason", "closed"): "Item closed",
    ("DelistReason", "appeal"): "Appeal upheld",
    ("AppealStatus", "pending"): "Waiting",
    # Takedown (item page, queue, reports)
    ("EventKind", "lea_informed"): "LEA informed",
    ("EventKind", "lea_cleared"): "LEA cleared for notice",
    ("EventKind", "recheck_requested"): "Re-check requested",
    ("EventKind", "rechecked"): "Re-checked",
    ("EventKind", "hashes_proposed"): "Hashes proposed to a bank",
    ("EventKind", "released"): "Claim released",
    ("EventKind", "hold_ended"): "Hold ended (expired)",
    ("ReportSource", "public"): "Public report form",
    ("ReportSource", "law_enforcement"): "Law enforcement",
    ("ReportSource", "scanner"): "Scanner match",
    # Deconfliction (alerts, referrals, series lists)
    ("TargetKind", "url"): "URL",
    # Victim identification
    ("Verdict", "near"): "Near-duplicate",
    ("AgeGroup", "pre_pubescent"): "Pre-pubescent",
}

# Every enum shown to people other than the permissions: where the default rule reads wrong
# (acronyms, hyphens) or says less than the code means.
LABELS.update(
    {
        # accounts.permissions
        ("OrgKind", "ngo"): "NGO",
        ("Reach", "own"): "Own organisation",
        ("Reach", "all"): "All organisations",
        # cooperation and takedown: what is watched or held
        ("TargetKind", "hash"): "Hash",
        ("HoldTarget", "url"): "URL",
        ("HoldTarget", "hash"): "Hash",
        # hashing and matching
        ("IndexKind", "pdq"): "PDQ",
        ("IndexKind", "vpdq"): "vPDQ",
        ("IndexKind", "exact"): "Exact hash",
        # takedown: an item's stages and timeline
        ("ItemStage", "unresolved"): "Unresolved (no hosting country)",
        ("ItemStage", "notice_pending"): "Notice pending",
        ("EventKind", "resolution_failed"): "Hosting lookup failed",
        ("EventKind", "moved"): "Moved to other hosting",
        # takedown: the ICCAM assessment fields
        ("Classification", "baseline"): "Baseline (illegal everywhere)",
        ("Classification", "national"): "National (illegal here)",
        ("Commerciality", "non_commercial"): "Non-commercial",
        # victims
        ("Verdict", "known"): "Known",
        ("Verdict", "new"): "New",
        ("RecordFormat", "icse"): "ICSE",
        ("RecordFormat", "vics"): "VICS",
        ("SeizureFormat", "vics"): "VICS",
        ("SeizureFormat", "jsonl"): "JSON Lines",
        ("SeizureFormat", "csv"): "CSV",
    }
)


def label(value: object) -> str:
    """The words for ``value``: an enum member, or a plain string code."""
    if value is None:
        return "—"
    if isinstance(value, Enum):
        raw = str(value.value)
        found = LABELS.get((type(value).__name__, raw))
        if found:
            return found
    else:
        raw = str(value)
    text = raw.replace("_", " ").replace(":", " ").strip()
    return text[:1].upper() + text[1:]


#: Words for the forms a query picture is searched by (alliance.hashing.variants).
_QUERY_FORMS = {
    "unletterbox": "without its frame",
    "untilt": "straightened",
    "middle_70": "middle strip",
    "middle_70_untrimmed": "middle strip, frame kept",
    "half_top": "top half",
    "half_bottom": "bottom half",
    "half_left": "left half",
    "half_right": "right half",
    "quarter_top_left": "top left quarter",
    "quarter_top_right": "top right quarter",
    "quarter_bottom_left": "bottom left quarter",
    "quarter_bottom_right": "bottom right quarter",
    "unletterbox_loose": "without its frame and the text over it",
    "unletterbox_loose_middle_70": "middle strip, without its frame and the text over it",
    "derotate": "turned back upright",
    "derotate_unletterbox": "turned back upright, without its frame",
    "derotate_whole": "turned back upright, cut-off corners painted",
    "derotate_whole_unletterbox": "turned back upright, cut-off corners painted, without its frame",
    "derotate_cropped": "turned back upright, cropped after the tilt",
    "derotate_middle_70": "turned back upright, middle strip",
    "derotate_half_top": "turned back upright, top half",
    "derotate_half_bottom": "turned back upright, bottom half",
    "derotate_half_left": "turned back upright, left half",
    "derotate_half_right": "turned back upright, right half",
    # Videos (alliance.hashing.video.query_videos).
    "resampled": "ten frames a second",
    "enlarged": "ten frames a second, enlarged",
    "unletterbox_enlarged": "without its frame, enlarged",
    "centred": "ten frames a second, resized to 640 x 640",
    "unletterbox_centred": "without its frame, resized to 640 x 640",
}
_TURNS = {
    "rotate90": "turned a quarter",
    "rotate180": "upside down",
    "rotate270": "turned three quarters",
    "flip_horizontal": "mirrored",
    "flip_vertical": "flipped top to bottom",
    "transpose": "transposed",
    "transverse": "transposed the other way",
}


def query_form(name: str) -> str:
    """The words for a form of a query picture: ``unletterbox_flip_horizontal`` is
    "without its frame, mirrored"."""
    for turn, words in _TURNS.items():
        if name == turn:
            return words[:1].upper() + words[1:]
        if name.endswith("_" + turn):
            base = _QUERY_FORMS.get(name.removesuffix("_" + turn), label(name))
            return f"{base[:1].upper()}{base[1:]}, {words}"
    form = _QUERY_FORMS.get(name)
    return form[:1].upper() + form[1:] if form else label(name)


#: The template context's key for the registered jurisdictions' names: a mapping, or a
#: function giving one (alliance.web.pages.rendering asks the request's session once).
REGISTERED_COUNTRIES = "registered_countries"


@pass_context
def country(context: Mapping[str, Any], code: str | None) -> str:
    """``{{ item.country_code|country }}``: the country's name ("Netherlands") instead of its
    ISO code — the name the alliance registered for the jurisdiction, else the ISO name,
    else the code; "—" for none."""
    found = context.get(REGISTERED_COUNTRIES)
    names: Mapping[str, str] | None = found() if callable(found) else found
    return display_name(code, dict(names) if names else None)


def country_choices(
    codes: Iterable[str | None], registered: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Select-box options for countries: (code, name), by name; each code once."""
    named = {c.upper(): display_name(c, dict(registered or {})) for c in codes if c}
    return sorted(named.items(), key=lambda pair: pair[1].casefold())


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name`` (IANA, e.g. ``Europe/Berlin``), or UTC."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def when(moment: datetime | date | None, tz: tzinfo = UTC) -> str:
    """A time to the minute in ``tz`` with the zone's abbreviation; a date as it is."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if moment.tzinfo is None:  # stored as UTC (alliance.db.base.utcnow)
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
