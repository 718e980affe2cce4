"""A small alliance for industry reports: a platform, the police of NL and DE, a country
without police (FR), the secretariat, and a geolocation file over documentation ranges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.hosting.geo import GeoDatabase, GeoNetwork, write_geo_database
from alliance.industry.schemas import IndustryReportIn
from tests import factories


@dataclass
class Alliance:
    platform: Principal
    other_platform: Principal
    nl_police: Principal
    de_police: Principal
    secretariat: Principal
    hotline: Principal


@pytest.fixture
def alliance(session: Session) -> Alliance:
    def member(kind: OrgKind, country: str, role: Role) -> Principal:
        org = factories.organisation(session, kind, country)
        return factories.principal(factories.user(session, org, role))

    factories.jurisdiction(session, "FR")  # a member country without police in Alliance
    return Alliance(
        platform=member(OrgKind.industry, "US", Role.reviewer),
        other_platform=member(OrgKind.industry, "US", Role.reviewer),
        nl_police=member(OrgKind.law_enforcement, "NL", Role.investigator),
        de_police=member(OrgKind.law_enforcement, "DE", Role.investigator),
        secretariat=member(OrgKind.secretariat, "BE", Role.secretariat_admin),
        hotline=member(OrgKind.hotline, "NL", Role.analyst),
    )


def write_test_geo(path: Path) -> Path:
    write_geo_database(
        path,
        [
            GeoNetwork("192.0.2.0/24", "NL", 64500, "Example Access NL"),
            GeoNetwork("198.51.100.0/24", "DE", 64501, "Example Access DE"),
            GeoNetwork("2001:db8:f::/48", "FR", 64502, "Example Access FR"),
            # 203.0.113.0/24 is in no network: it does not geolocate.
        ],
    )
    return path


@pytest.fixture
def geo(tmp_path: Path) -> Iterator[GeoDatabase]:
    with GeoDatabase(write_test_geo(tmp_path / "geo.mmdb")) as database:
        yield database


def case(
    reference: str = "CASE-1",
    *,
    ips: tuple[str, ...] = ("192.0.2.10",),
    declared: str | None = None,
    account: str | None = "acct-1001",
    sha256: str = "a" * 64,
    pdq: str | None = None,
    child_at_risk: bool = False,
    confirmed_hours_ago: float = 2,
    **more: Any,
) -> IndustryReportIn:
    now = datetime.now(UTC)
    hashes = [{"signal_type": "sha256", "value": sha256}]
    if pdq:
        hashes.append({"signal_type": "pdq", "value": pdq})
    return IndustryReportIn.model_validate(
        {
            "case_reference": reference,
            "confirmed_at": (now - timedelta(hours=confirmed_hours_ago)).isoformat(),
            "classification": "A2",
            "child_at_risk": child_at_risk,
            "uploader": {
                "account_id": account,
                "ip_addresses": [
                    {"ip": ip, "at": (now - timedelta(hours=3)).isoformat()} for ip in ips
                ],
                "declared_country": declared,
            },
            "hashes": hashes,
            **more,
        }
    )
