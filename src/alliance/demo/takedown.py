"""The demo's notice-and-takedown world: providers, a network, six months of history and a
living present.

Everything is synthetic and stays on this machine: the demo's websites are `.example.test`
names on documentation addresses (RFC 5737 / RFC 3849), mapped to countries and ASNs by an
`.mmdb` the demo writes itself; the pages are generated benign pictures served by the
demo's stand-in web host on 127.0.0.1; notices go to the demo's local SMTP server.

Two parts:

* **history**: items of the last six months written directly with back-dated timestamps,
  so that the metrics pages have months of takedown times to show (a provider that
  removes within hours, one that never reacts, re-appearances); and, thinner, the five
  years before them, for the progress report's trends: fewer reports in the early years
  and slower removal, some reports from members' hash-list scanners, and now and then an
  item held for an investigation before its notice;
* **the present**: reports submitted now through the real services and the real worker —
  items waiting in each country's queue, one on hold with a deconfliction alert, one in
  its LEA window, one notified, one whose provider has no contact, one unresolved.
"""

from __future__ import annotations

import ipaddress
import math
import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.db.session import transaction
from alliance.demo import blocklists as blocklists_demo
from alliance.demo.mailbox import LocalMailbox
from alliance.demo.sites import DemoSites, provider_acts_on_notice
from alliance.errors import ConfigurationError
from alliance.hosting.geo import GeoNetwork, write_geo_database
from alliance.hosting.models import HostingProvider
from alliance.settings import Settings
from alliance.takedown import assessment, holds, intake, routing, schedule
from alliance.takedown.models import (
    Assessment,
    Classification,
    ContentItem,
    EventKind,
    Hold,
    HoldTarget,
    ItemEvent,
    ItemStage,
    Notice,
    NoticeChannel,
    NoticeStatus,
    Report,
    ReportItem,
    ReportSource,
)
from alliance.takedown.schedule import ActionKey
from alliance.takedown.schemas import AssessmentIn, HoldIn, ReportIn
from alliance.worker.runner import Worker, toolkit_from_settings

HISTORY_DAYS = 180
#: The earlier years, before the six months: how many, and the items a day in the first of
#: them and the last (the alliance grows), and how much slower providers removed then.
EARLIER_YEARS = 5
EARLIER_PER_DAY = (0.15, 0.5)
EARLIER_SLOWER = 2.5
EARLIER_HELD = 0.1  # the share of illegal items an investigation held
MAILBOX_FOLDER = "demo-mail"


@dataclass(frozen=True)
class DemoProvider:
    slug: str
    name: str
    country: str
    asn: int
    network: str
    abuse_email: str | None
    responds: bool  # removes what a notice names (the demo plays the provider)
    median_hours: float  # typical time from first notice to removal, for the history
    sites: tuple[str, ...]
    batch: bool = False
    #: The provider takes part in the alliance: an industry member of its own (same slug).
    member: bool = False


PROVIDERS = (
    DemoProvider(
        "example-hosting-nl",
        "Example Hosting NL B.V.",
        "NL",
        64500,
        "203.0.113.0/26",
        "abuse@example-hosting-nl.example.test",
        True,
        14,
        ("photos.example-hosting-nl.example.test", "cdn.example-hosting-nl.example.test"),
        member=True,
    ),
    DemoProvider(
        "slow-cloud-nl",
        "Slow Cloud NL",
        "NL",
        64501,
        "203.0.113.64/26",
        "abuse@slow-cloud-nl.example.test",
        False,
        900,
        ("forum.slow-cloud-nl.example.test",),
    ),
    DemoProvider(
        "demo-hosting-uk",
        "Demo Hosting UK Ltd",
        "GB",
        64510,
        "198.51.100.0/25",
        "abuse@demo-hosting-uk.example.test",
        True,
        30,
        ("img.demo-hosting-uk.example.test", "share.demo-hosting-uk.example.test"),
        batch=True,
        member=True,
    ),
    DemoProvider(
        "example-cloud-us",
        "Example Cloud US Inc.",
        "US",
        64520,
        "198.51.100.128/25",
        "abuse@example-cloud-us.example.test",
        True,
        48,
        ("files.example-cloud-us.example.test", "blog.example-cloud-us.example.test"),
        member=True,
    ),
    DemoProvider(
        "sample-host-ph",
        "Sample Host PH",
        "PH",
        64530,
        "192.0.2.0/25",
        "abuse@sample-host-ph.example.test",
        True,
        90,
        ("gallery.sample-host-ph.example.test",),
    ),
    DemoProvider(
        "beispiel-hosting-de",
        "Beispiel Hosting DE GmbH",
        "DE",
        64540,
        "192.0.2.128/26",
        "abuse@beispiel-hosting-de.example.test",
        True,
        36,
        ("bilder.beispiel-hosting-de.example.test",),
    ),
    DemoProvider(
        "exempel-hosting-se",
        "Exempel Hosting SE AB",
        "SE",
        64550,
        "2001:db8:5e::/48",
        "abuse@exempel-hosting-se.example.test",
        True,
        60,
        ("bild.exempel-hosting-se.example.test",),
    ),
    DemoProvider(
        "unlisted-hosting-th",
        "Unlisted Hosting TH",
        "TH",
        64560,
        "192.0.2.192/26",
        None,  # no abuse contact: notices wait, visibly, for manual handling
        False,
        0,
        ("pics.unlisted-hosting-th.example.test",),
    ),
)
# Who reports in the six months' history: the public twice as often as a member.
_PERSON_SOURCES = (
    ReportSource.public,
    ReportSource.public,
    ReportSource.hotline,
    ReportSource.industry,
)
# A name the demo's DNS does not know: its reports stay unresolved for manual routing.
LOST_HOST = "lost-site.example.test"


def _site_addresses() -> dict[str, str]:
    addresses = {}
    for provider in PROVIDERS:
        network = ipaddress.ip_network(provider.network)
        for index, site in enumerate(provider.sites):
            addresses[site] = str(network[10 + index])
    return addresses


def write_network(data_dir: Path) -> None:
    """The demo's "internet": an .mmdb of countries and ASNs, and a hosts file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    write_geo_database(
        data_dir / "hosting.mmdb",
        [GeoNetwork(p.network, p.country, p.asn, p.name) for p in PROVIDERS],
    )
    lines = ["# The demo's websites: .example.test names on documentation addresses."]
    lines += [f"{address} {site}" for site, address in _site_addresses().items()]
    (data_dir / "hosts").write_text("\n".join(lines) + "\n")


def add_providers(session: Session) -> dict[str, HostingProvider]:
    """The demo's providers; those that take part in the alliance linked to their member
    organisation (made with the others, :func:`alliance.demo.world.build`)."""
    members = {
        o.slug: o
        for o in session.execute(
            select(Organisation).where(Organisation.slug.in_([p.slug for p in PROVIDERS]))
        ).scalars()
    }
    out = {}
    for p in PROVIDERS:
        provider = HostingProvider(
            slug=p.slug,
            name=p.name,
            country_code=p.country,
            asns=[p.asn],
            abuse_email=p.abuse_email,
            batch_notices=p.batch,
            note="Demo provider: " + ("removes on notice" if p.responds else "never reacts"),
            organisation=members.get(p.slug) if p.member else None,
        )
        session.add(provider)
        out[p.slug] = provider
    session.flush()
    return out


def try_pages(seed: int) -> list[tuple[str, DemoProvider]]:
    """Live demo pages nobody has reported yet: for trying the public report form."""
    rng = random.Random(seed * 7 + 1)  # noqa: S311 - demo data, repeatable by seed
    return [
        (f"http://{p.sites[0]}/try/{rng.randrange(10_000, 99_999)}.jpg", p)
        for p in PROVIDERS
        if p.abuse_email and p.responds
    ]


def try_urls(seed: int) -> list[str]:
    return [url for url, _provider in try_pages(seed)]


# --- history -------------------------------------------------------------------------


def _orgs(session: Session) -> dict[tuple[str, OrgKind], Organisation]:
    """The demo's members by country and kind (hosting providers that are members aside:
    they do not report)."""
    hosts = {p.slug for p in PROVIDERS}
    return {
        (o.country_code, o.kind): o
        for o in session.execute(select(Organisation)).scalars()
        if o.slug not in hosts
    }


def build_history(
    session: Session, seed: int, providers: dict[str, HostingProvider], sites: DemoSites
) -> int:
    """Six months of back-dated items; returns how many."""
    rng = random.Random(seed)  # noqa: S311 - demo data, repeatable by seed
    orgs = _orgs(session)
    secretariat = next(o for (_cc, kind), o in orgs.items() if kind is OrgKind.secretariat)
    addresses = _site_addresses()
    now = utcnow()
    weights = [6, 2, 5, 4, 2, 1, 1, 1]
    created = 0
    removed_urls: list[tuple[ContentItem, DemoProvider]] = []
    for day in range(HISTORY_DAYS, 0, -1):
        for _ in range(rng.choice((1, 2, 2, 3))):
            p = rng.choices(PROVIDERS, weights)[0]
            received = now - timedelta(days=day, hours=rng.uniform(0, 23))
            site = rng.choice(p.sites)
            url = f"http://{site}/h/{rng.randrange(10**6, 10**7)}.jpg"
            item = _history_item(
                session,
                rng,
                p,
                providers[p.slug],
                orgs,
                secretariat,
                url,
                addresses[site],
                received,
                now,
                sites,
            )
            created += 1
            if item.stage is ItemStage.removed and rng.random() < 0.04:
                removed_urls.append((item, p))
    # A few removed pages came back later: a new item pointing at the earlier one.
    for earlier, p in removed_urls:
        assert earlier.removed_at is not None
        received = earlier.removed_at + timedelta(days=rng.uniform(3, 20))
        if received >= now - timedelta(hours=1):
            continue
        item = _history_item(
            session,
            rng,
            p,
            providers[p.slug],
            orgs,
            secretariat,
            earlier.url,
            earlier.ip_address or "",
            received,
            now,
            sites,
        )
        item.reappearance_of_id = earlier.id
        created += 1
    return created + _earlier_years(session, seed, providers, orgs, secretariat, now, sites)


def _earlier_years(
    session: Session,
    seed: int,
    providers: dict[str, HostingProvider],
    orgs: dict[tuple[str, OrgKind], Organisation],
    secretariat: Organisation,
    now: datetime,
    sites: DemoSites,
) -> int:
    """The five years before the six months, thinner; every item long settled."""
    rng = random.Random(f"alliance-demo-takedown-years:{seed}")  # noqa: S311 - demo data
    addresses = _site_addresses()
    reachable = [p for p in PROVIDERS if p.abuse_email is not None]
    weights = [6 if p.responds else 1 for p in reachable]
    scanners = [o for (_cc, kind), o in orgs.items() if kind is OrgKind.industry]
    days = EARLIER_YEARS * 365
    created = 0
    for day in range(HISTORY_DAYS + days, HISTORY_DAYS, -1):
        progress = 1 - (day - HISTORY_DAYS) / days  # 0 five years ago, 1 six months ago
        low, high = EARLIER_PER_DAY
        if rng.random() >= low + (high - low) * progress:
            continue
        p = rng.choices(reachable, weights)[0]
        site = rng.choice(p.sites)
        url = f"http://{site}/y/{rng.randrange(10**6, 10**7)}.jpg"
        scanned = rng.random() < 0.1 + 0.25 * progress  # more members scan each year
        _history_item(
            session,
            rng,
            p,
            providers[p.slug],
            orgs,
            secretariat,
            url,
            addresses[site],
            now - timedelta(days=day, hours=rng.uniform(0, 23)),
            now,
            sites,
            source=ReportSource.scanner if scanned else rng.choice(_PERSON_SOURCES),
            reporter=rng.choice(scanners) if scanned else None,
            slower=1 + (EARLIER_SLOWER - 1) * (1 - progress),
            held_for=(timedelta(days=rng.uniform(3, 45)) if rng.random() < EARLIER_HELD else None),
            # Police were told after the assessment, not at routing, more often then.
            lea_after=(
                timedelta(hours=rng.lognormvariate(math.log(10), 1.2))
                if rng.random() < 0.7 * (1 - progress)
                else None
            ),
        )
        created += 1
    return created


def _history_item(
    session: Session,
    rng: random.Random,
    p: DemoProvider,
    provider: HostingProvider,
    orgs: dict[tuple[str, OrgKind], Organisation],
    secretariat: Organisation,
    url: str,
    address: str,
    received: datetime,
    now: datetime,
    sites: DemoSites,
    *,
    source: ReportSource | None = None,
    reporter: Organisation | None = None,
    slower: float = 1.0,
    held_for: timedelta | None = None,
    lea_after: timedelta | None = None,
) -> ContentItem:
    """One item and its timeline. With ``source``, the report's source (and ``reporter``)
    as given; ``slower`` stretches the provider's removal time, ``held_for`` holds the
    item for an investigation from its routing (when its country has a police member), and
    ``lea_after`` informs that police so long after the assessment instead of at routing."""
    hotline = orgs.get((p.country, OrgKind.hotline))
    lea = orgs.get((p.country, OrgKind.law_enforcement))
    queue = hotline or lea or secretariat
    if source is None:
        source = rng.choice(_PERSON_SOURCES)
    if reporter is None and source is not ReportSource.public:
        kind = OrgKind.hotline if source is ReportSource.hotline else OrgKind.industry
        candidates = [o for (_cc, k), o in orgs.items() if k is kind]
        reporter = rng.choice(candidates) if candidates else None
    report = Report(
        reference=references.new("R"),
        source=source,
        reporter_organisation_id=reporter.id if reporter else None,
        description="Demo report (synthetic history)",
        hashes=[],
        actor="demo:history",
        received_at=received,
    )
    session.add(report)
    classification = rng.choices(
        (Classification.baseline, Classification.national, Classification.not_illegal),
        (70, 20, 10),
    )[0]
    assessed = received + timedelta(hours=rng.lognormvariate(1.0, 0.8))
    routed = received + timedelta(minutes=rng.uniform(1, 10))
    informed = routed
    if lea_after is not None:
        informed = min(assessed, now) + lea_after
    item = ContentItem(
        reference=references.new("I"),
        url=url,
        open_url=None,
        host=url.split("/")[2],
        stage=ItemStage.closed,
        classification=classification,
        report_count=1,
        ip_address=address,
        country_code=p.country,
        asn=p.asn,
        provider_id=provider.id,
        resolved_at=routed,
        assigned_organisation_id=queue.id,
        lea_organisation_id=lea.id if lea else None,
        routed_at=routed,
        lea_informed_at=informed if lea else None,
        lea_window_ends_at=informed + timedelta(hours=24) if lea else routed,
        received_at=received,
        assessed_at=min(assessed, now),
        notice_count=0,
    )
    session.add(item)
    session.flush()
    session.add(ReportItem(report_id=report.id, item_id=item.id, submitted_url=url))
    session.add(
        Assessment(
            item_id=item.id,
            organisation_id=queue.id,
            actor="demo:history",
            classification=classification,
            hashes=[],
            assessed_at=item.assessed_at,
        )
    )
    events: list[tuple[EventKind, datetime, dict[str, object]]] = [
        (EventKind.received, received, {"report": report.reference, "source": source.value}),
        (EventKind.routed, routed, {"country": p.country, "provider_id": provider.id}),
        (EventKind.assessed, min(assessed, now), {"classification": classification.value}),
    ]
    if lea is not None and lea_after is not None:
        ends = (informed + timedelta(hours=24)).isoformat()
        events.append((EventKind.lea_informed, informed, {"lea": lea.name, "window_ends_at": ends}))
    if not classification.illegal:
        item.closed_at = item.assessed_at
        _events(session, item, events)
        return item
    assert item.assessed_at is not None and item.lea_window_ends_at is not None
    first_notice = max(item.assessed_at, item.lea_window_ends_at) + timedelta(minutes=2)
    if held_for is not None and lea is not None:
        released = routed + held_for
        _held(session, item, lea, url, routed, released, events)
        first_notice = max(first_notice, released + timedelta(minutes=2))
    if first_notice >= now or p.abuse_email is None:
        item.stage = ItemStage.notice_pending
        item.open_url = url
        _events(session, item, events)
        sites.add(url, p.slug, responds=p.responds)
        schedule.schedule(session, ActionKey.notice(item), first_notice)
        return item
    if p.responds:
        hours = rng.lognormvariate(0, 0.9) * p.median_hours * slower
        removal = first_notice + timedelta(hours=hours)
    elif slower > 1:  # an earlier year's: removed in the end, after weeks of notices
        removal = first_notice + timedelta(days=rng.uniform(10, 80))
    else:
        removal = first_notice + timedelta(days=rng.uniform(10, 80)) if rng.random() < 0.5 else now
    removed = removal < now
    end = removal if removed else now
    sent = first_notice
    while sent < end:
        item.notice_count += 1
        session.add(
            Notice(
                reference=references.new("N", 12),
                item_id=item.id,
                provider_id=provider.id,
                kind="notice",
                sequence=item.notice_count,
                channel=NoticeChannel.email,
                recipient=p.abuse_email,
                status=NoticeStatus.sent,
                created_at=sent,
                sent_at=sent,
                attempts=1,
            )
        )
        events.append((EventKind.notice_sent, sent, {"sequence": item.notice_count}))
        item.last_notice_at = sent
        sent += timedelta(hours=24)
        if item.notice_count >= 30:
            break
    item.first_notice_at = first_notice
    if end - first_notice > timedelta(days=3):
        item.escalated_at = first_notice + timedelta(days=3)
        events.append((EventKind.escalated, item.escalated_at, {}))
    if removed:
        item.stage = ItemStage.removed
        item.removed_at = removal
        item.last_checked_at = removal
        item.last_check_outcome = "removed"
        events.append((EventKind.removed, removal, {"detail": "HTTP 404"}))
    else:
        # Still up: its next notice and re-check are due, as the worker would have left them.
        item.stage = ItemStage.notified
        item.open_url = url
        sites.add(url, p.slug, responds=p.responds)
        assert item.last_notice_at is not None
        schedule.schedule(
            session, ActionKey.notice(item), item.last_notice_at + timedelta(hours=24)
        )
        schedule.schedule(
            session, ActionKey.recheck(item.id, 1), item.last_notice_at + timedelta(hours=6)
        )
        if item.escalated_at is None:
            schedule.schedule(
                session, ActionKey.escalate(item.id), first_notice + timedelta(days=3)
            )
    _events(session, item, events)
    return item


def _held(
    session: Session,
    item: ContentItem,
    lea: Organisation,
    url: str,
    placed: datetime,
    released: datetime,
    events: list[tuple[EventKind, datetime, dict[str, object]]],
) -> None:
    """An investigation hold on the item's URL, placed at routing and released later."""
    hold = Hold(
        reference=references.new("H"),
        organisation_id=lea.id,
        target_type=HoldTarget.url,
        target_value=url,
        reason="Demo: an investigation of the site's users (synthetic history)",
        placed_by="demo:history",
        placed_at=placed,
        expires_at=placed + timedelta(days=60),
        released_at=released,
        released_by="demo:history",
    )
    session.add(hold)
    until = hold.expires_at.isoformat()
    events.append((EventKind.hold_placed, placed, {"hold": hold.reference, "until": until}))
    events.append((EventKind.hold_released, released, {"hold": hold.reference}))


def _events(
    session: Session, item: ContentItem, events: list[tuple[EventKind, datetime, dict[str, object]]]
) -> None:
    for kind, at, details in events:
        session.add(
            ItemEvent(item_id=item.id, kind=kind, at=at, actor="demo:history", details=details)
        )


# --- the present ---------------------------------------------------------------------


def _ports_free(*ports: int) -> None:
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise ConfigurationError(
                    f"port {port} on 127.0.0.1 is taken (another `alliance serve` in demo "
                    "mode?): set ALLIANCE_SMTP_PORT / ALLIANCE_DEMO_SITES_PORT to free ports"
                ) from None


@contextmanager
def demo_services(
    settings: Settings, *, free_ports: bool = False
) -> Iterator[tuple[Settings, DemoSites]]:
    """The demo's mailbox and web host, and settings pointing the worker at them.

    ``free_ports`` (while building the demo) takes free ports; ``alliance serve`` uses
    the configured SMTP port and the demo web host's port.
    """
    if not free_ports:
        _ports_free(settings.smtp_port, settings.demo_sites_port)
    sites = DemoSites(settings.data_dir, port=0 if free_ports else settings.demo_sites_port)

    def provider_reads(message: EmailMessage) -> None:
        provider_acts_on_notice(message, sites)

    mailbox = LocalMailbox(
        settings.data_dir / MAILBOX_FOLDER,
        port=0 if free_ports else settings.smtp_port,
        on_message=provider_reads,
    )
    with sites, mailbox:
        yield (
            settings.model_copy(
                update={
                    "smtp_host": "127.0.0.1",
                    "smtp_port": mailbox.port,
                    "fetch_connect_override": f"127.0.0.1:{sites.port}",
                    "fetch_allow_networks": ["127.0.0.1/32"],
                }
            ),
            sites,
        )


def build_present(
    sessions: sessionmaker[Session],
    actor: Principal,
    settings: Settings,
    sites: DemoSites,
    seed: int,
) -> None:
    """Reports submitted now, through the real services and worker."""
    rng = random.Random(seed + 99)  # noqa: S311 - demo data, repeatable by seed
    with transaction(sessions) as session:
        people = {
            name: accounts.principal_for_user(accounts.get_user(session, actor, name))
            for name in (
                "secretariat",
                "nl-analyst",
                "nl-investigator",
                "gb-analyst",
                "gb-investigator",
                "us-reviewer",
            )
        }

    def page(provider: DemoProvider, tag: str) -> str:
        address = f"http://{provider.sites[0]}/{tag}/{rng.randrange(10_000, 99_999)}.jpg"
        sites.add(address, provider.slug, responds=provider.responds)
        return address

    def report(who: str | None, *urls: str) -> list[str]:
        actor = intake.PUBLIC if who is None else people[who]
        with transaction(sessions) as session:
            receipt = intake.submit_reports(
                session, actor, [ReportIn(urls=list(urls), description="Demo report")]
            )[0]
        return [i.item for i in receipt.items]

    def assess(analyst: str, reference: str) -> None:
        with transaction(sessions) as session:
            # Claims are enforced: the analyst claims the item, then assesses it.
            assessment.claim_item(session, people[analyst], reference, settings)
            assessment.assess_item(
                session,
                people[analyst],
                reference,
                AssessmentIn(classification=Classification.baseline, note="Demo assessment"),
                settings,
            )

    for url, provider in try_pages(seed):
        sites.add(url, provider.slug, responds=True)
    nl, slow, uk, us, ph, de, se, th = PROVIDERS
    # Waiting in the queues of NL, GB, US and PH; DE and SE (no demo members) and an
    # unknown host wait at the secretariat.
    report(None, page(nl, "new"), page(nl, "new"))
    report("gb-analyst", page(uk, "new"))
    report("us-reviewer", page(us, "new"))
    report(None, page(ph, "new"), page(de, "new"), page(se, "new"), f"http://{LOST_HOST}/x/1.jpg")
    [in_window] = report(None, page(nl, "window"))
    [cleared] = report("gb-analyst", page(uk, "cleared"))
    held_url = page(slow, "held")
    [held] = report(None, held_url)
    [no_contact] = report("us-reviewer", page(th, "nocontact"))
    worker = Worker(sessions, toolkit_from_settings(settings), name="demo-builder")
    worker.run_until_idle()

    with transaction(sessions) as session:
        holds.place_hold(
            session,
            people["nl-investigator"],
            HoldIn(
                target_type=HoldTarget.domain,
                target_value=slow.sites[0],
                reason="Demo: operation on the forum's administrators; do not alert them yet",
                days=30,
            ),
            settings,
        )
    assess("nl-analyst", in_window)  # waits for the NL police's 24-hour window
    assess("gb-analyst", cleared)
    assess("nl-analyst", held)  # waits for the hold
    assess("secretariat", no_contact)  # its provider has no abuse contact
    with transaction(sessions) as session:
        routing.clear_for_notice(session, people["gb-investigator"], cleared)
    # A second hotline reports the held URL: the NL police get a deconfliction alert.
    report("gb-analyst", held_url)
    worker.run_until_idle()  # the cleared item's notice goes out; its provider removes it
    # The URL list holds the confirmed pages still up (not the held one, nor the one in
    # the NL police's window); a site owner appeals against one of them.
    with transaction(sessions) as session:
        blocklists_demo.build_present(session, people["us-reviewer"])


def live_try_urls(data_dir: Path) -> list[str]:
    """The demo pages to try the report form with that are still up (the public form
    shows them in demo mode)."""
    if not (data_dir / "demo-sites.json").exists():
        return []
    sites = DemoSites(data_dir, port=0)
    return sorted(e.url for e in sites.entries() if "/try/" in e.url and e.state == "live")
