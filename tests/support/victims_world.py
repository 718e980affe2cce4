"""A small victim-identification world for tests: two police agencies (NL, GB), a hotline,
the secretariat, and helpers that make series with member records and identified victims.

Everything is synthetic: hashes are digests of short strings, series have code names.
Use it from a test module with a fixture of its own::

    @pytest.fixture
    def world(session: Session) -> VictimsWorld:
        return build_world(session)
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation, User
from alliance.accounts.passwords import hash_password
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.victims import identification, series
from alliance.victims.formats import MediaType
from alliance.victims.models import AgeGroup, MediaRecord, Series, Victim
from alliance.victims.schemas import IdentifyIn, SeriesIn, VictimIn
from tests import factories

_usernames = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # Argon2 takes most of a second here: hash factories.PASSWORD once per test run.
    return hash_password(factories.PASSWORD)


def person(session: Session, org: Organisation, role: Role) -> Principal:
    """A user of ``org`` (who can log in with ``factories.PASSWORD``) as a principal."""
    user = User(
        organisation_id=org.id,
        username=f"{org.slug}-{role.value}-{next(_usernames)}",
        display_name=f"{role.value} of {org.name}",
        role=role,
        password_hash=_password_hash(),
    )
    session.add(user)
    session.flush()
    return accounts.principal_for_user(user)


def digest(kind: str, text: str) -> str:
    """The ``kind`` (md5, sha1, sha256) hex digest of ``text``: a stand-in file hash."""
    return hashlib.new(kind, text.encode()).hexdigest()


def member_hashes(seed: str) -> dict[str, str]:
    """Every hash of one synthetic file, derived from ``seed``."""
    return {
        "md5": digest("md5", seed),
        "sha1": digest("sha1", seed),
        "sha256": digest("sha256", seed),
        "pdq": digest("sha256", f"pdq-{seed}"),
    }


@dataclass
class VictimsWorld:
    session: Session
    orgs: dict[str, Organisation] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)

    @property
    def nl(self) -> Principal:
        """An investigator of the NL police."""
        return self.principals["nl"]

    @property
    def gb(self) -> Principal:
        """An investigator of the GB police."""
        return self.principals["gb"]

    @property
    def hotline(self) -> Principal:
        """An analyst of the NL hotline: no access to victim identification."""
        return self.principals["hotline"]

    @property
    def secretariat(self) -> Principal:
        """The secretariat's administrator: aggregate metrics only."""
        return self.principals["secretariat"]

    def investigator(self, country: str, slug: str | None = None) -> Principal:
        """A further police agency (``country``) and one investigator of it."""
        org = factories.organisation(self.session, OrgKind.law_enforcement, country, slug=slug)
        self.orgs[org.slug] = org
        return person(self.session, org, Role.investigator)

    def series(
        self,
        owner: Principal,
        name: str,
        members: int | Iterable[Mapping[str, str | None]] = 0,
        *,
        first_seen_at: datetime | None = None,
        countries: list[str] | None = None,
        **record: object,
    ) -> Series:
        """A series of ``owner``'s agency with member records: ``members`` is a count (hashes
        from :func:`member_hashes` of ``"<name>-<n>"``) or the hashes of each member;
        ``record`` sets further columns of every member (``category=1``...)."""
        created = series.create_series(
            self.session,
            owner,
            SeriesIn(name=name, first_seen_at=first_seen_at, countries=countries or []),
        )
        hashes = (
            [member_hashes(f"{name}-{n}") for n in range(members)]
            if isinstance(members, int)
            else list(members)
        )
        if hashes:
            seen = created.first_seen_at
            self.session.execute(
                insert(MediaRecord),
                [
                    {
                        "md5": None,
                        "sha1": None,
                        "sha256": None,
                        "pdq": None,
                        "media_type": MediaType.image,
                        "first_seen_at": seen,
                        "last_seen_at": seen,
                        "created_by_organisation_id": created.owner_organisation_id,
                        **h,
                        **record,
                        "series_id": created.id,
                    }
                    for h in hashes
                ],
            )
        return created

    def identified_victim(
        self,
        principal: Principal,
        code: str,
        on: date,
        *,
        age_group: AgeGroup = AgeGroup.pre_pubescent,
        country: str | None = None,
    ) -> Victim:
        """A victim of series ``code`` identified on ``on`` by ``principal``'s agency."""
        victim = identification.add_victim(
            self.session, principal, code, VictimIn(age_group=age_group)
        )
        return identification.identify_victim(
            self.session, principal, victim.reference, IdentifyIn(identified_on=on, country=country)
        )


def build_world(session: Session) -> VictimsWorld:
    """NL and GB police (``nl-police``, ``gb-police``), an NL hotline, the secretariat (BE),
    one user each; FR has only a hotline, so it has no police agency to refer to."""
    world = VictimsWorld(session)
    orgs = {
        "nl-police": factories.organisation(
            session, OrgKind.law_enforcement, "NL", slug="nl-police"
        ),
        "gb-police": factories.organisation(
            session, OrgKind.law_enforcement, "GB", slug="gb-police"
        ),
        "nl-hotline": factories.organisation(session, OrgKind.hotline, "NL", slug="nl-hotline"),
        "fr-hotline": factories.organisation(session, OrgKind.hotline, "FR", slug="fr-hotline"),
        "secretariat": factories.organisation(session, OrgKind.secretariat, "BE", slug="sec"),
    }
    world.orgs.update(orgs)
    world.principals.update(
        {
            "nl": person(session, orgs["nl-police"], Role.investigator),
            "gb": person(session, orgs["gb-police"], Role.investigator),
            "hotline": person(session, orgs["nl-hotline"], Role.analyst),
            "secretariat": person(session, orgs["secretariat"], Role.secretariat_admin),
        }
    )
    return world


def years_ago(years: int, today: date | None = None) -> datetime:
    """1 January, ``years`` years before ``today``'s year, as a UTC datetime."""
    today = today or datetime.now(UTC).date()
    return datetime(today.year - years, 1, 1, tzinfo=UTC)
