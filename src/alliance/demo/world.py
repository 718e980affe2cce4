"""Build the demo world: jurisdictions, member organisations and a user for each role.

Everything is synthetic: organisation names are invented ("Demo …", "Example …"), there is
no media. Passwords derive from the seed, so the same seed gives the same logins.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.audit import EventType, record
from alliance.audit.models import AuditEvent
from alliance.audit.services import details_of
from alliance.banks import services as banks
from alliance.banks.schemas import BankIn, Classification, EntryIn
from alliance.demo import blocklists as blocklists_demo
from alliance.demo import capabilities as capabilities_demo
from alliance.demo import commitments as commitments_demo
from alliance.demo import countries as countries_demo
from alliance.demo import hash_lists, media, takedown
from alliance.demo import industry as industry_demo
from alliance.demo import legal as legal_demo
from alliance.demo import library as library_demo
from alliance.demo import review as review_demo
from alliance.demo import victims as victims_demo
from alliance.demo.sites import DemoSites
from alliance.errors import Conflict
from alliance.hashing import pdq, variants

DEFAULT_SEED = 2026
SECRETARIAT_SLUG = "alliance-secretariat"

# Alliance member countries in the demo (ISO code, name).
JURISDICTIONS = [
    ("AU", "Australia"),
    ("BE", "Belgium"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GH", "Ghana"),
    ("JP", "Japan"),
    ("NL", "Netherlands"),
    ("NZ", "New Zealand"),
    ("PH", "Philippines"),
    ("SE", "Sweden"),
    ("TH", "Thailand"),
    ("US", "United States"),
]
# Countries that get a full set of members: hotline, LEA, two industry members.
MEMBER_COUNTRIES = ["NL", "GB", "US", "PH"]
INDUSTRY = [("photoshare", "Example PhotoShare"), ("chat", "Example Chat")]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    organisation: str


@dataclass(frozen=True)
class DemoWorld:
    seed: int
    logins: list[DemoLogin]
    built_now: bool
    sync_key: str
    uploads: Path | None
    seizure: victims_demo.DemoSeizure | None = None  # victim identification's, to triage


def demo_password(seed: int, username: str) -> str:
    digest = hashlib.sha256(f"alliance-demo:{seed}:{username}".encode()).digest()
    text = base64.b32encode(digest).decode().lower()
    return "-".join(text[i : i + 5] for i in range(0, 20, 5))


def _plan(seed: int) -> tuple[list[OrganisationIn], list[tuple[UserIn, str]]]:
    names = dict(JURISDICTIONS)
    orgs = [
        OrganisationIn(
            slug=SECRETARIAT_SLUG,
            name="Demo Alliance Secretariat",
            kind=OrgKind.secretariat,
            country_code="BE",
        )
    ]
    users: list[tuple[str, str, Role, str]] = [
        ("secretariat", "Sam Secretariat", Role.secretariat_admin, SECRETARIAT_SLUG),
    ]
    for cc in MEMBER_COUNTRIES:
        low = cc.lower()
        orgs += [
            OrganisationIn(
                slug=f"{low}-hotline",
                name=f"Demo Hotline {names[cc]}",
                kind=OrgKind.hotline,
                country_code=cc,
            ),
            OrganisationIn(
                slug=f"{low}-police",
                name=f"Demo National Police {names[cc]}",
                kind=OrgKind.law_enforcement,
                country_code=cc,
            ),
        ]
        orgs += [
            OrganisationIn(
                slug=f"{low}-{slug}", name=f"{label} ({cc})", kind=OrgKind.industry, country_code=cc
            )
            for slug, label in INDUSTRY
        ]
        users += [
            (f"{low}-analyst", f"Analyst {names[cc]}", Role.analyst, f"{low}-hotline"),
            (
                f"{low}-hotline-admin",
                f"Hotline admin {names[cc]}",
                Role.org_admin,
                f"{low}-hotline",
            ),
            (
                f"{low}-investigator",
                f"Investigator {names[cc]}",
                Role.investigator,
                f"{low}-police",
            ),
            (f"{low}-reviewer", f"Reviewer {names[cc]}", Role.reviewer, f"{low}-photoshare"),
            (f"{low}-chat-reviewer", f"Reviewer chat {names[cc]}", Role.reviewer, f"{low}-chat"),
        ]
    # Hosting providers that take part in the alliance, as industry members of their own.
    orgs += [
        OrganisationIn(slug=p.slug, name=p.name, kind=OrgKind.industry, country_code=p.country)
        for p in takedown.PROVIDERS
        if p.member
    ]
    # Two governments whose editors state and report their countries' commitments.
    for cc in ("NL", "GB"):
        orgs.append(
            OrganisationIn(
                slug=f"{cc.lower()}-government",
                name=f"Demo Ministry of Justice {names[cc]}",
                kind=OrgKind.government,
                country_code=cc,
            )
        )
        users.append(
            (
                f"{cc.lower()}-editor",
                f"Country editor {names[cc]}",
                Role.country_editor,
                f"{cc.lower()}-government",
            )
        )
    users += [
        ("nl-police-viewer", "Viewer Netherlands", Role.viewer, "nl-police"),
        # Two more hotline analysts: verification takes three distinct analysts.
        ("nl-analyst-2", "Second analyst Netherlands", Role.analyst, "nl-hotline"),
        ("nl-analyst-3", "Third analyst Netherlands", Role.analyst, "nl-hotline"),
    ]
    planned = [
        (
            UserIn(
                username=u, display_name=n, role=r, organisation=o, password=demo_password(seed, u)
            ),
            o,
        )
        for u, n, r, o in users
    ]
    return orgs, planned


def demo_key(seed: int, name: str) -> str:
    digest = hashlib.sha256(f"alliance-demo-key:{seed}:{name}".encode()).digest()
    secret = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return f"alk_{digest[:4].hex()}_{secret}"


# Seeds of the pictures the demo hotline holds and banks; some are verified.
BANKED = list(range(1, 41))
VERIFIED = BANKED[::2]
IWF = ("A", "B", "C")


def banked_entries(seed: int, i: int) -> tuple[EntryIn, EntryIn]:
    """The demo baseline bank's PDQ (with its variants) and MD5 entries of picture ``i``."""
    image = media.picture(seed * 100 + i)
    classification = Classification(baseline=True, iwf=IWF[i % 3], vics=1 + i % 2)
    # MD5 because that is what the shared lists exchange, not for security.
    md5 = hashlib.md5(media.jpeg(image)).hexdigest()  # noqa: S324
    # The hotline holds the picture now: bank its variants too (flips, rotations, borders
    # removed, crops), so that edited copies match with their own hash.
    forms = variants.hash_variants(media.jpeg(image))
    original = forms.pop("original").hex
    return (
        EntryIn(
            signal_type="pdq",
            signal=original,
            classification=classification,
            variants={name: h.hex for name, h in forms.items()},
        ),
        EntryIn(signal_type="md5", signal=md5, classification=classification),
    )


def _fill_banks(session: Session, actor: Principal, seed: int) -> None:
    analysts = [
        accounts.principal_for_user(accounts.get_user(session, actor, name))
        for name in ("nl-analyst", "nl-analyst-2", "nl-analyst-3")
    ]
    investigator = accounts.principal_for_user(accounts.get_user(session, actor, "nl-investigator"))
    banks.create_bank(
        session,
        analysts[0],
        BankIn(
            name="baseline-demo",
            scope="baseline",
            description="Demo: hashes of generated pictures, labelled as if INTERPOL Baseline.",
            subscriber_kinds=[
                OrgKind.industry,
                OrgKind.hotline,
                OrgKind.law_enforcement,
                OrgKind.ngo,
            ],
        ),
    )
    entries: list[EntryIn] = []
    picture_of: dict[str, int] = {}  # signal -> which picture it hashes
    for i in BANKED:
        pdq_entry, md5_entry = banked_entries(seed, i)
        entries += [pdq_entry, md5_entry]
        picture_of[pdq_entry.signal] = picture_of[md5_entry.signal] = i
    added = banks.add_entries(session, analysts[0], "baseline-demo", entries)
    for entry in added.entries:
        if picture_of[entry.signal] in VERIFIED:
            for analyst in analysts[1:]:
                banks.vote(session, analyst, "baseline-demo", entry.id)
    banks.create_bank(
        session,
        investigator,
        BankIn(
            name="national-nl-demo",
            scope="national:NL",
            description="Demo: material illegal under Dutch law (generated pictures).",
            subscriber_kinds=[OrgKind.industry, OrgKind.hotline],
            subscriber_countries=["NL"],
        ),
    )
    banks.add_entries(
        session,
        investigator,
        "national-nl-demo",
        [
            EntryIn(signal_type="pdq", signal=pdq.hash_image(media.picture(seed * 100 + i)).hex)
            for i in range(41, 46)
        ],
    )


def existing_seed(session: Session) -> int | None:
    event = session.execute(
        select(AuditEvent)
        .where(AuditEvent.event_type == str(EventType.DEMO_BUILT))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        return None
    seed = details_of(event).get("seed")
    return int(seed) if seed is not None else None


def build(
    session: Session,
    actor: Principal,
    seed: int = DEFAULT_SEED,
    *,
    uploads_dir: Path | None = None,
    data_dir: Path | None = None,
) -> DemoWorld:
    """Create the demo world in ``session``; if it exists, return its logins unchanged.

    With ``uploads_dir``, also write the demo industry member's folder of pictures to scan;
    with ``data_dir``, also the takedown world's network files, providers and six months
    of takedown history (:mod:`alliance.demo.takedown`; its present is built afterwards,
    through the worker, by :func:`alliance.demo.takedown.build_present`) and the victim
    identification seizure to try (:mod:`alliance.demo.victims`, whose history is built
    either way) and the demo platform's review queue with its pictures
    (:mod:`alliance.demo.review`).
    """
    orgs, users = _plan(seed)
    logins = [DemoLogin(u.username, u.password or "", u.role, org) for u, org in users]
    sync_key = demo_key(seed, "nl-photoshare-sync")
    if uploads_dir is not None:
        media.write_uploads(uploads_dir, seed, [seed * 100 + i for i in BANKED])
    seizure = victims_demo.write_seizure(data_dir, seed) if data_dir is not None else None
    built_with = existing_seed(session)
    if built_with is not None:
        if built_with != seed:
            raise Conflict(
                f"the demo world was built with seed {built_with}; "
                "use that seed, or --reset to rebuild"
            )
        return DemoWorld(seed, logins, False, sync_key, uploads_dir, seizure)
    if session.execute(select(Organisation.id).limit(1)).first() is not None:
        raise Conflict(
            "this database already holds organisations that are not the demo's; "
            "use an empty database (or --reset, which deletes everything)"
        )
    for code, name in JURISDICTIONS:
        accounts.add_jurisdiction(session, actor, JurisdictionIn(code=code, name=name))
    for org in orgs:
        accounts.create_organisation(session, actor, org)
    for user, _org in users:
        accounts.create_user(session, actor, user)
    member_countries = countries_demo.build(session, actor, MEMBER_COUNTRIES)
    commitment_texts = commitments_demo.build(session, actor, seed)
    legal_reviews = legal_demo.build(session, actor, countries_demo.FOUNDING)
    library_entries = library_demo.build(session, actor)
    capability_assessments = capabilities_demo.build(session, countries_demo.FOUNDING)
    _fill_banks(session, actor, seed)
    analyst = accounts.principal_for_user(accounts.get_user(session, actor, "nl-analyst"))
    placeholder_terms = blocklists_demo.build_keywords(session, analyst)
    subscriptions, matches = hash_lists.build(session, seed)
    victims = victims_demo.build_history(session, actor, seed)
    accounts.create_api_key(
        session,
        actor,
        ApiKeyIn(
            name="demo sync and scan", role=Role.reviewer, days=365, organisation="nl-photoshare"
        ),
        max_days=365,
        token=sync_key,
    )
    history = 0
    if data_dir is not None:
        takedown.write_network(data_dir)
        providers = takedown.add_providers(session)
        history = takedown.build_history(session, seed, providers, DemoSites(data_dir, port=0))
        reviewer = accounts.principal_for_user(accounts.get_user(session, actor, "nl-reviewer"))
        review_demo.build(session, reviewer, seed, data_dir)
    industry_reports = industry_demo.build(session, actor, seed, data_dir)
    record(
        session,
        actor,
        EventType.DEMO_BUILT,
        "demo",
        seed,
        {
            "seed": seed,
            "organisations": len(orgs),
            "users": len(users),
            "member_countries": member_countries,
            "commitments": commitment_texts,
            "legal_reviews": legal_reviews,
            "library_entries": library_entries,
            "placeholder_keywords": placeholder_terms,
            "capability_assessments": capability_assessments,
            "history_items": history,
            "hash_list_subscriptions": subscriptions,
            "hash_list_matches": matches,
            "series": victims.series,
            "victims_identified": victims.identified,
            "industry_reports": industry_reports,
        },
    )
    return DemoWorld(seed, logins, True, sync_key, uploads_dir, seizure)
