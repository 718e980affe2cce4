"""A platform with a confirmed review case, its file a generated picture under the media
root, and the stand-ins of NCMEC's CyberTipline and the DSA Transparency Database on
127.0.0.1, for the tests of the reports that follow a case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.platforms.cybertipline.client import CyberTipline, Retry, make_http_client
from alliance.platforms.dsa.client import TransparencyDatabase
from alliance.review import cases, decisions
from alliance.review.models import DecisionKind
from alliance.review.schemas import CaseMatch, ContentRef, DecisionIn
from alliance.settings import Settings, load_settings
from tests import factories
from tests.unit.review.conftest import picture

DSA_TOKEN = "dsa-test-token-not-a-secret"
#: How an uploader contests a removal, as the statement of reasons they read says it.
COMPLAINT = "https://photos.example.test/appeals, quoting the reference"


@dataclass
class Platform:
    org: Organisation
    reviewer: Principal
    viewer: Principal
    outsider: Principal


@pytest.fixture
def platform(sessions: sessionmaker[Session]) -> Platform:
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US")
        other = factories.organisation(session, OrgKind.industry, "GB")
        return Platform(
            org=org,
            reviewer=factories.principal(factories.user(session, org, Role.reviewer)),
            viewer=factories.principal(factories.user(session, org, Role.viewer)),
            outsider=factories.principal(factories.user(session, other, Role.reviewer)),
        )


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    picture(root / "uploads" / "u1.png", seed=7)
    return root


@pytest.fixture
def ncmec() -> Iterator[StandInCyberTipline]:
    with StandInCyberTipline() as server:
        yield server


@pytest.fixture
def tdb() -> Iterator[StandInTransparencyDatabase]:
    with StandInTransparencyDatabase(DSA_TOKEN, stall_seconds=1.0) as server:
        yield server


@pytest.fixture
def settings(media_root: Path, tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        review_media_root=media_root,
        cybertipline_reporter_first_name="Ada",
        cybertipline_reporter_last_name="Reviewer",
        cybertipline_reporter_email="safety@example.test",
        dsa_complaint=COMPLAINT,
    )


def tipline(server: StandInCyberTipline, *, timeout: float = 5.0) -> CyberTipline:
    http = make_http_client(server.base_url, server.username, server.password, timeout=timeout)
    return CyberTipline(http, retry=Retry(attempts=3, backoff_seconds=0, sleep=lambda _s: None))


def database(server: StandInTransparencyDatabase) -> TransparencyDatabase:
    return TransparencyDatabase(server.url, DSA_TOKEN, timeout=0.5, tries=3, sleep=lambda _s: None)


ConfirmedCase = Callable[..., str]


@pytest.fixture
def confirmed_case(
    sessions: sessionmaker[Session], platform: Platform, settings: Settings
) -> ConfirmedCase:
    """``confirmed_case(content_id=..., media_path=..., category=...)``: a confirmed case's
    reference."""

    def make(
        content_id: str = "upload-7",
        media_path: str | None = "uploads/u1.png",
        category: str | None = "A2",
        signal_type: str = "pdq",
    ) -> str:
        with sessions.begin() as session:
            case = cases.open_case(
                session,
                platform.reviewer,
                ContentRef(content_id=content_id, media_path=media_path),
                [
                    CaseMatch(
                        bank="baseline-nl",
                        entry_id=41,
                        signal_type=signal_type,
                        category=category,
                        verification="verified",
                        distance=6,
                        variant="original",
                        form="flip",
                    )
                ],
                settings=settings,
            )
            yes = DecisionIn(decision=DecisionKind.confirm, reason="seen")
            decisions.decide(session, platform.reviewer, case.reference, yes, settings=settings)
            return case.reference

    return make
