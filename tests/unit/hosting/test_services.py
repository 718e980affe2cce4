"""The provider directory: kept by the secretariat, read by members, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent
from alliance.errors import Conflict, NotFound, PermissionDenied
from alliance.hosting import services
from alliance.hosting.schemas import ProviderIn, ProviderOut
from tests import factories

OPERATOR = factories.OPERATOR


def provider_in(**overrides: Any) -> ProviderIn:
    fields: dict[str, Any] = {
        "slug": "example-hosting",
        "name": "Example Hosting B.V.",
        "country_code": "nl",
        "asns": [64501, 64500, 64500],
        "abuse_email": "abuse@Example.TEST",
        "abuse_webhook_url": "https://Abuse.Example.test:443/notices?utm_source=x",
        "batch_notices": True,
        "note": "test provider",
    }
    fields.update(overrides)
    return ProviderIn.model_validate(fields)


@pytest.fixture
def analyst(session: Session) -> Principal:
    org = factories.organisation(session, OrgKind.hotline, "NL")
    return factories.principal(factories.user(session, org, Role.analyst))


def test_schema_normalises() -> None:
    data = provider_in()
    assert data.country_code == "NL"
    assert data.asns == [64500, 64501]
    assert data.abuse_email == "abuse@example.test"
    assert data.abuse_webhook_url == "https://abuse.example.test/notices"
    assert provider_in(abuse_email="", abuse_webhook_url=" ").abuse_email is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "Bad Slug"),
        ("slug", "x"),
        ("name", "  "),
        ("country_code", "NLD"),
        ("country_code", "1A"),
        ("asns", [0]),
        ("asns", [4_294_967_296]),
        ("abuse_email", "not-an-address"),
        ("abuse_email", "two@@example.test"),
        ("abuse_webhook_url", "ftp://example.test/hook"),
        ("abuse_webhook_url", "http://10.0.0.1/hook"),
        ("abuse_webhook_url", "http://localhost/hook"),
    ],
)
def test_schema_rejects(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        provider_in(**{field: value})


def test_schema_forbids_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        provider_in(asn=64500)


def test_create_and_audit(session: Session) -> None:
    provider = services.create_provider(session, OPERATOR, provider_in())
    assert provider.id is not None
    assert provider.asns == [64500, 64501]
    assert provider.has_contact
    out = ProviderOut.model_validate(provider)
    assert out.slug == "example-hosting"
    assert out.has_contact is True
    event = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.PROVIDER_CREATED.value)
    ).scalar_one()
    assert event.subject_type == "provider"
    assert event.subject_id == "example-hosting"
    assert json.loads(event.details)["asns"] == [64500, 64501]


def test_duplicate_slug_is_a_conflict(session: Session) -> None:
    services.create_provider(session, OPERATOR, provider_in())
    with pytest.raises(Conflict, match="already exists"):
        services.create_provider(session, OPERATOR, provider_in(asns=[64999]))


def test_an_asn_belongs_to_one_active_provider(session: Session) -> None:
    services.create_provider(session, OPERATOR, provider_in())
    with pytest.raises(Conflict, match="AS64501"):
        services.create_provider(session, OPERATOR, provider_in(slug="other-host", asns=[64501]))
    # An inactive entry may keep the number (e.g. a provider that was taken over).
    services.create_provider(
        session, OPERATOR, provider_in(slug="old-host", asns=[64501], active=False)
    )


def test_update(session: Session) -> None:
    services.create_provider(session, OPERATOR, provider_in())
    before = services.get_provider(session, OPERATOR, "example-hosting").updated_at
    updated = services.update_provider(
        session,
        OPERATOR,
        "example-hosting",
        provider_in(slug="example-hosting-nl", asns=[64500], abuse_email=None, note="renamed"),
    )
    assert updated.slug == "example-hosting-nl"
    assert updated.asns == [64500]
    assert updated.abuse_email is None
    assert updated.updated_at >= before
    with pytest.raises(NotFound):
        services.get_provider(session, OPERATOR, "example-hosting")
    event = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.PROVIDER_UPDATED.value)
    ).scalar_one()
    changes = json.loads(event.details)["changes"]
    assert changes["slug"] == ["example-hosting", "example-hosting-nl"]
    assert changes["asns"] == [[64500, 64501], [64500]]
    assert "name" not in changes


def test_update_without_changes_is_not_audited(session: Session) -> None:
    services.create_provider(session, OPERATOR, provider_in())
    services.update_provider(session, OPERATOR, "example-hosting", provider_in())
    events = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.PROVIDER_UPDATED.value)
    ).all()
    assert events == []


def test_update_conflicts_and_missing(session: Session) -> None:
    services.create_provider(session, OPERATOR, provider_in())
    services.create_provider(session, OPERATOR, provider_in(slug="second-host", asns=[64600]))
    with pytest.raises(Conflict):
        services.update_provider(session, OPERATOR, "second-host", provider_in(asns=[64600]))
    with pytest.raises(Conflict, match="AS64500"):
        services.update_provider(
            session, OPERATOR, "second-host", provider_in(slug="second-host", asns=[64500])
        )
    with pytest.raises(NotFound):
        services.update_provider(session, OPERATOR, "nobody", provider_in(slug="nobody"))


def test_list_get_and_lookup_by_asn(session: Session, analyst: Principal) -> None:
    services.create_provider(session, OPERATOR, provider_in(slug="zeta-host", asns=[64510]))
    services.create_provider(session, OPERATOR, provider_in(slug="alpha-host", asns=[64520]))
    services.create_provider(
        session, OPERATOR, provider_in(slug="retired-host", asns=[64530], active=False)
    )
    slugs = [p.slug for p in services.list_providers(session, analyst)]
    assert slugs == ["alpha-host", "retired-host", "zeta-host"]
    assert services.get_provider(session, analyst, "zeta-host").asns == [64510]
    with pytest.raises(NotFound):
        services.get_provider(session, analyst, "nobody")
    found = services.provider_for_asn(session, 64520)
    assert found is not None and found.slug == "alpha-host"
    assert services.provider_for_asn(session, 64530) is None  # inactive
    assert services.provider_for_asn(session, 1) is None


def test_members_may_not_manage(session: Session, analyst: Principal) -> None:
    with pytest.raises(PermissionDenied):
        services.create_provider(session, analyst, provider_in())
    services.create_provider(session, OPERATOR, provider_in())
    with pytest.raises(PermissionDenied):
        services.update_provider(session, analyst, "example-hosting", provider_in(note="x"))


def test_secretariat_user_may_manage(session: Session) -> None:
    org = factories.organisation(session, OrgKind.secretariat, "NL")
    admin = factories.principal(factories.user(session, org, Role.secretariat_admin))
    provider = services.create_provider(session, admin, provider_in())
    assert provider.slug == "example-hosting"
