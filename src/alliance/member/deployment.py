"""A member server's parts, built once from the settings: the profile, the synced banks
with their schedule, and the fetcher of the member's own storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from alliance.hosting.resolver import Resolver, resolver_from_settings
from alliance.hosting.storage import SettingNames, StorageFetcher
from alliance.member.profile import MemberProfile, profile_from_settings
from alliance.member.schedule import BankSchedule, Connect
from alliance.settings import Settings

#: What the member's storage fetcher names in its refusals.
STORAGE_SETTINGS = SettingNames(
    prefixes="ALLIANCE_MEMBER_STORAGE_URLS",
    networks="ALLIANCE_MEMBER_STORAGE_NETWORKS",
    max_bytes="ALLIANCE_MAX_UPLOAD_BYTES",
)


@dataclass
class MemberDeployment:
    profile: MemberProfile
    schedule: BankSchedule
    storage: StorageFetcher

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        connect: Connect | None = None,
        resolver: Resolver | None = None,
        storage_transport: httpx.BaseTransport | None = None,
    ) -> MemberDeployment:
        """ConfigurationError, naming every gap, when the member profile is incomplete."""
        profile = profile_from_settings(settings)
        schedule = BankSchedule(
            profile,
            sessions,
            max_manifest_age=timedelta(hours=settings.sync_max_manifest_age_hours),
            connect=connect,
        )
        storage = StorageFetcher(
            profile.storage_urls,
            resolver or resolver_from_settings(settings),
            networks=profile.storage_networks,
            max_bytes=settings.max_upload_bytes,
            timeout=settings.fetch_timeout_seconds,
            names=STORAGE_SETTINGS,
            transport=storage_transport,
        )
        return cls(profile, schedule, storage)

    def start(self) -> None:
        self.schedule.start()

    def stop(self) -> None:
        self.schedule.stop()
        self.storage.close()
