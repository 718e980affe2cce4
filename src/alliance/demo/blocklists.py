"""The demo's lists for blocking: benign placeholder keywords, the URL list the demo's
takedown present fills (its confirmed live pages, listed by the worker), an appeal of a
site owner waiting for the NL hotline, and a blocking self-test of the demo platform.

The keyword list is sensitive in real life; the demo's terms are placeholders only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.blocklists import appeals, keywords, self_tests, urls
from alliance.blocklists.models import KeywordCategory, SelfTestResult
from alliance.blocklists.schemas import AppealIn, KeywordIn, SelfTestIn
from alliance.db.base import utcnow
from alliance.db.listing import Listing

KEYWORDS = (
    ("placeholder-term-1", KeywordCategory.csam, "en"),
    ("placeholder-term-2", KeywordCategory.csam, "nl"),
    ("placeholder-term-3", KeywordCategory.grooming, "en"),
    ("plc-4x4", KeywordCategory.coded, None),
    ("placeholder-term-5", KeywordCategory.other, "de"),
)
APPEAL_REASON = (
    "Demo appeal: the site's owner says this address shows a product photo of their shop, "
    "not what the list says."
)


def build_keywords(session: Session, analyst: Principal) -> int:
    """The placeholder terms, added by a hotline analyst."""
    for term, category, language in KEYWORDS:
        keywords.add_keyword(
            session, analyst, KeywordIn(term=term, category=category, language=language)
        )
    return len(KEYWORDS)


def build_present(session: Session, subscriber: Principal) -> None:
    """After the takedown present: the URL list in line with it, an appeal against one of
    its pages waiting for review, and the demo platform's self-test of this quarter."""
    urls.refresh(session)
    listed, _ = urls.list_urls(session, subscriber, Listing(sort="url", limit=1))
    if listed:
        host = listed[0].host
        appeals.submit_appeal(
            session, AppealIn(url=listed[0].url, contact=f"owner@{host}", reason=APPEAL_REASON)
        )
    today = utcnow().date()
    self_tests.record_self_test(
        session,
        subscriber,
        SelfTestIn(
            quarter=self_tests.quarter_of(today),
            tested_on=today,
            result=SelfTestResult.passed,
            note="Demo: three listed test pages answered the block page through our resolvers.",
        ),
    )
