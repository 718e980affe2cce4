"""The demo's awareness and best-practice library: synthetic entries of several member
countries, published, with adoptions across countries.

All entries, names, figures and links are invented (links on ``example.test``). The NL
government's campaign "Your picture, your choice" is deliberately **not** adopted by any
GB member, so that the GB editor can mark it as adopted (issue 16's walk-through); other
entries already carry adoptions. One NL entry stays a draft, for the secretariat to publish.

Entries are dated as if published when they started, over the five years before this one,
and adopted in the months after; with each hotline's yearly Safer Internet Day campaign,
the progress report has library figures for every year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import User
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.library import entries
from alliance.library.schemas import EntryIn

#: The title of the NL campaign left for the GB editor to adopt.
UNADOPTED_NL_CAMPAIGN = "Your picture, your choice"


@dataclass(frozen=True)
class Demo:
    organisation: str
    kind: str
    title: str
    summary: str
    country: str
    tags: list[str]
    audiences: list[str]
    languages: list[str]
    period: tuple[date | None, date | None]
    reach: str
    published: bool = True
    #: (username of the adopting member, notes)
    adoptions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def published_at(self) -> datetime:
        """When the demo says it was published: a fortnight before it started."""
        start = self.period[0] or date(2024, 1, 1)
        return datetime.combine(start - timedelta(days=14), time(10), UTC)


ENTRIES = [
    Demo(
        "nl-government", "campaign", UNADOPTED_NL_CAMPAIGN,
        "A national campaign for 12 to 16 year olds on sharing intimate pictures: what can "
        "happen once a picture is sent, that pressure to send one is not their fault, and "
        "where to have a picture taken down. Posters in schools, short videos on social "
        "media and a lesson plan for mentors.",
        "NL", ["self_generated", "reporting", "prevention"], ["children", "educators"],
        ["nl", "en"], (date(2024, 2, 1), date(2024, 6, 30)), "about 1.4 million video views",
    ),
    Demo(
        "nl-hotline", "campaign", "Sent is not lost: get it removed",
        "Tells young people whose self-generated images circulate that the hotline can help "
        "remove them, without judgement, and how to report. Ran with youth influencers.",
        "NL", ["self_generated", "reporting", "victim_support"], ["children", "parents"],
        ["nl"], (date(2023, 9, 1), date(2024, 1, 31)), "310,000 people reached",
        adoptions=[("us-hotline-admin", "Adapted the influencer format for a US pilot.")],
    ),
    Demo(
        "nl-hotline", "practice", "Fast-track for minors reporting their own images",
        "A practice for hotlines: a separate intake for minors reporting images of "
        "themselves, answered within one working day, with a callback offer.",
        "NL", ["self_generated", "reporting", "victim_support"], ["industry", "community"],
        ["nl", "en"], (date(2022, 1, 1), None), "1,900 reports from minors in 2023",
        adoptions=[
            ("gb-analyst", "Introduced the same intake and one-day target in 2024."),
            ("ph-analyst", "Using the intake questions, translated to Tagalog."),
        ],
    ),
    Demo(
        "nl-government", "guidance", "Sextortion: what parents can do",
        "Guidance for parents on financial sextortion: do not pay, keep the messages, "
        "report to the platform and the police, and talk without blame.",
        "NL", ["sextortion", "reporting"], ["parents"], ["nl"],
        (date(2025, 3, 1), None), "",
        published=False,
    ),
    Demo(
        "gb-government", "campaign", "Stop, think, don't share",
        "A campaign for teenagers on nude image sharing and the law, with a helpline for "
        "anyone pressured into sending images.",
        "GB", ["self_generated", "sextortion", "prevention"], ["children", "parents"],
        ["en", "cy"], (date(2023, 10, 1), date(2024, 3, 31)), "2.3 million impressions",
        adoptions=[("nl-analyst", "Borrowed the helpline script for our own chat service.")],
    ),
    Demo(
        "gb-hotline", "training", "Recognising grooming online: training for teachers",
        "A two-hour module for teachers on the signs of online grooming and how to report "
        "concerns; includes case studies and a referral flowchart.",
        "GB", ["grooming", "reporting"], ["educators"], ["en"],
        (date(2021, 9, 1), None), "6,500 teachers trained",
    ),
    Demo(
        "us-hotline", "research", "AI-generated material in reports: a first year",
        "Findings from a year of reports containing AI-generated sexual images of children: "
        "how analysts recognise them, how often they appear, and what platforms can do.",
        "US", ["ai_generated", "reporting"], ["industry", "law_enforcement"], ["en"],
        (date(2024, 1, 1), date(2024, 12, 31)), "",
        adoptions=[("nl-analyst", "Using the recognition checklist in analyst training.")],
    ),
    Demo(
        "ph-hotline", "campaign", "Safe online, safe at home",
        "A community campaign with local leaders and parents about live-streamed abuse and "
        "grooming, with a hotline number on every poster.",
        "PH", ["grooming", "reporting", "prevention"], ["community", "parents"],
        ["tl", "en"], (date(2023, 5, 1), date(2023, 12, 31)), "120 barangays",
    ),
    Demo(
        "us-hotline", "guidance", "Sextortion: first steps for teens",
        "A one-page guide for teenagers being threatened: stop replying, do not pay, save "
        "evidence, tell a trusted adult and report.",
        "US", ["sextortion", "victim_support"], ["children"], ["en", "es"],
        (date(2024, 6, 1), None), "downloaded 85,000 times",
        adoptions=[("gb-analyst", "Linked from our sextortion page with UK helpline numbers.")],
    ),
    Demo(
        "us-hotline", "campaign", "Think before you send",
        "A school-year campaign for middle schools on nude image requests: how to say no, "
        "how to help a friend and where to report.",
        "US", ["self_generated", "prevention"], ["children", "educators"], ["en", "es"],
        (date(2021, 9, 1), date(2022, 5, 31)), "1,100 schools took part",
        adoptions=[("ph-analyst", "Ran the lesson plan with partner schools in Cebu.")],
    ),
    Demo(
        "ph-hotline", "practice", "Working with money-transfer services on live-streaming",
        "A practice for hotlines and police: how remittance patterns helped find live-streamed "
        "abuse, and the agreement that lets providers pass on suspicious transfers.",
        "PH", ["online_safety", "reporting"], ["industry", "law_enforcement"], ["en"],
        (date(2022, 3, 1), None), "",
        adoptions=[("us-hotline-admin", "Shared with two US payment providers.")],
    ),
    Demo(
        "nl-hotline", "campaign", "Ask for help, not for pictures",
        "A campaign aimed at young adults on asking minors for images: the law, the harm, and "
        "anonymous help for people worried about their own thoughts.",
        "NL", ["prevention", "grooming"], ["community"], ["nl"],
        (date(2022, 4, 1), date(2022, 9, 30)), "540,000 people reached",
    ),
    Demo(
        "gb-hotline", "campaign", "Report it, remove it",
        "A campaign for young people on the service that removes their nude images from the "
        "internet, with a youth panel's own videos.",
        "GB", ["self_generated", "reporting", "victim_support"], ["children"], ["en"],
        (date(2025, 2, 1), date(2025, 7, 31)), "3.1 million video views",
        adoptions=[("nl-analyst", "Translated two of the youth panel's videos.")],
    ),
    Demo(
        "ph-hotline", "campaign", "Tell someone you trust",
        "A radio and school campaign encouraging children to tell a trusted adult about "
        "online contact that worries them.",
        "PH", ["grooming", "victim_support"], ["children", "parents"], ["tl", "en"],
        (date(2025, 6, 1), date(2025, 11, 30)), "86 radio stations",
    ),
]  # fmt: skip


#: The yearly Safer Internet Day campaigns: each hotline's, for the five years before this
#: one, each adopted by the next country's hotline.
_YEARLY = (("NL", "nl", 38_000), ("GB", "en", 91_000), ("US", "en", 150_000), ("PH", "tl", 27_000))
YEARLY_YEARS = 5


def yearly_campaigns(today: date) -> list[Demo]:
    """The hotlines' Safer Internet Day campaigns of the five years before ``today``'s."""
    out = []
    for year in range(today.year - YEARLY_YEARS, today.year):
        for number, (cc, language, pupils) in enumerate(_YEARLY):
            low = cc.lower()
            nxt = _YEARLY[(number + year) % len(_YEARLY)][0].lower()
            nxt = nxt if nxt != low else _YEARLY[(number + 1) % len(_YEARLY)][0].lower()
            out.append(
                Demo(
                    f"{low}-hotline", "campaign",
                    f"Safer Internet Day {year}: think before you share",
                    "Lessons and a short film for schools on Safer Internet Day: why a picture "
                    "sent is hard to take back, that pressure to send one is never the "
                    "child's fault, and how to report a picture to have it removed.",
                    cc, ["self_generated", "prevention", "reporting"], ["children", "educators"],
                    [language], (date(year, 2, 6), date(year, 3, 31)),
                    f"about {pupils + 7_000 * (year % 5):,} pupils",
                    adoptions=[(f"{nxt}-hotline-admin", "Used the lesson plan in our schools.")],
                )
            )  # fmt: skip
    return out


def _as_user(session: Session, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return accounts.principal_for_user(user)


def build(session: Session, actor: Principal) -> int:
    """Add the demo library; the number of entries."""
    now = utcnow()
    for demo in [*ENTRIES, *yearly_campaigns(now.date())]:
        entry = entries.create_entry(
            session,
            actor,
            EntryIn(
                kind=demo.kind,
                title=demo.title,
                summary=demo.summary,
                country=demo.country,
                organisation=demo.organisation,
                audiences=demo.audiences,
                languages=demo.languages,
                tags=demo.tags,
                starts_on=demo.period[0],
                ends_on=demo.period[1],
                reach=demo.reach,
                links=[f"https://{demo.organisation}.example.test/library/{len(demo.title)}"],
            ),
        )
        if demo.published:
            published = entries.set_published(session, actor, entry.id, True)
            published.published_at = demo.published_at
        for number, (username, notes) in enumerate(demo.adoptions, start=1):
            adoption = entries.adopt(session, _as_user(session, username), entry.id, notes)
            adoption.created_at = min(
                demo.published_at + timedelta(days=75 * number), now - timedelta(days=1)
            )
    return len(ENTRIES) + len(yearly_campaigns(now.date()))
