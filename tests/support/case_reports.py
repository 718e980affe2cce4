"""A platform with a confirmed review case and the destinations of its reports, for the
tests of the case page and of the API that file them: NCMEC's CyberTipline and the DSA
Transparency Database as their stand-ins on 127.0.0.1, the police through this server
(the hub, in-process). Users and API keys of the platform (a reviewer, a viewer), of
another platform, and an investigator of the NL police, who answers the hub's report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.review import cases, decisions
from alliance.review.models import DecisionKind
from alliance.review.schemas import CaseMatch, ContentRef, DecisionIn
from alliance.settings import Settings, load_settings
from tests import factories
from tests.unit.review.conftest import picture

TOKEN = "case-reports-dsa-token-not-a-secret"
#: How an uploader contests a removal; markup in it is shown as text, never as HTML.
COMPLAINT = '<a href="https://photos.example.test/appeals">our appeals page</a>'


@dataclass
class Place:
    ncmec: StandInCyberTipline
    tdb: StandInTransparencyDatabase
    settings: Settings
    #: A confirmed case of the platform's, its file in the platform's storage.
    case: str
    investigator: Principal
    #: An open case of the same platform's: nothing to report yet.
    undecided: str
    #: API keys by who holds them: reviewer, viewer, other (another platform's reviewer).
    keys: dict[str, str]


@contextmanager
def stand_ins() -> Iterator[tuple[StandInCyberTipline, StandInTransparencyDatabase]]:
    with StandInCyberTipline() as ncmec, StandInTransparencyDatabase(TOKEN) as tdb:
        yield ncmec, tdb


def place_of(
    sessions: sessionmaker[Session],
    folder: Path,
    ncmec: StandInCyberTipline,
    tdb: StandInTransparencyDatabase,
    *,
    secret: str,
) -> Place:
    """The platform (``photos-platform``: users rev-1 and viewer-1), another platform
    (rev-other), the NL police (nl-inv) and the settings that send reports to the stand-ins."""
    media = folder / "media"
    picture(media / "uploads" / "u1.png", seed=3)
    token = folder / "dsa-token"
    token.write_text(TOKEN)
    settings = load_settings(
        data_dir=folder,
        secret_key=secret,
        review_media_root=media,
        cybertipline_url=ncmec.base_url,
        cybertipline_username=ncmec.username,
        cybertipline_password=ncmec.password,
        cybertipline_timeout_seconds=5,
        cybertipline_reporter_first_name="Ada",
        cybertipline_reporter_last_name="Reviewer",
        cybertipline_reporter_email="safety@example.test",
        dsa_url=tdb.url,
        dsa_token_file=token,
        dsa_complaint=COMPLAINT,
    )
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US", slug="photos-platform")
        other = factories.organisation(session, OrgKind.industry, "GB", slug="other-platform")
        reviewer = factories.user(session, org, Role.reviewer, username="rev-1")
        factories.user(session, org, Role.viewer, username="viewer-1")
        factories.user(session, other, Role.reviewer, username="rev-other")
        lea = factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
        investigator = factories.principal(
            factories.user(session, lea, Role.investigator, username="nl-inv")
        )
        keys = {
            "reviewer": factories.api_key(session, org, Role.reviewer)[1],
            "viewer": factories.api_key(session, org, Role.viewer)[1],
            "other": factories.api_key(session, other, Role.reviewer)[1],
        }
        principal = factories.principal(reviewer)
        case = cases.open_case(
            session,
            principal,
            ContentRef(content_id="upload-1", media_path="uploads/u1.png"),
            [CaseMatch(bank="baseline-nl", entry_id=12, category="A1", distance=6)],
            settings=settings,
        )
        yes = DecisionIn(decision=DecisionKind.confirm, reason="seen")
        decisions.decide(session, principal, case.reference, yes, settings=settings)
        undecided = cases.open_case(
            session,
            principal,
            ContentRef(content_id="upload-2", media_path="uploads/u1.png"),
            [CaseMatch(bank="baseline-nl", entry_id=13, category="A1", distance=6)],
            settings=settings,
        )
        return Place(ncmec, tdb, settings, case.reference, investigator, undecided.reference, keys)
