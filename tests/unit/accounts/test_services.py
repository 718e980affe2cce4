"""Account services: validation, conflicts, API keys, logins, rate limits, audit events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.models import ApiKey, WebSession
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.accounts.schemas import ApiKeyIn, OrganisationIn, UserIn
from alliance.audit.models import AuditEvent
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from tests import factories

LIMITS = accounts.LoginLimits(window=timedelta(minutes=15), per_account=3, per_address=5)


def _events(session: Session, event_type: str) -> int:
    return session.execute(
        select(func.count()).where(AuditEvent.event_type == event_type)
    ).scalar_one()


def test_organisation_needs_a_known_jurisdiction(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown jurisdiction ZZ"):
        accounts.create_organisation(
            session,
            factories.OPERATOR,
            OrganisationIn(slug="zz-hotline", name="x", kind=OrgKind.hotline, country_code="ZZ"),
        )


def test_duplicate_slug_and_username_conflict(session: Session) -> None:
    org = factories.organisation(session, slug="nl-dup")
    with pytest.raises(Conflict):
        factories.organisation(session, slug="nl-dup")
    factories.user(session, org, username="same-name")
    with pytest.raises(Conflict, match="taken"):
        factories.user(session, org, username="same-name")


def test_role_must_fit_the_kind_of_organisation(session: Session) -> None:
    industry = factories.organisation(session, OrgKind.industry)
    with pytest.raises(InvalidInput, match="industry organisation's roles"):
        factories.user(session, industry, Role.investigator)


def test_org_admin_cannot_hand_out_more_than_they_have(session: Session) -> None:
    org = factories.organisation(session, OrgKind.secretariat, "BE")
    admin = factories.principal(factories.user(session, org, Role.org_admin))
    with pytest.raises(InvalidInput, match="rights you lack"):
        accounts.create_user(
            session,
            admin,
            UserIn(
                username="escalate",
                display_name="x",
                role=Role.secretariat_admin,
                organisation=org.slug,
                password="long-enough-password",
            ),
        )


def test_org_admin_manages_only_its_own_users(session: Session) -> None:
    org_a, org_b = factories.organisation(session), factories.organisation(session, country="GB")
    admin = factories.principal(factories.user(session, org_a, Role.org_admin))
    with pytest.raises(PermissionDenied):
        accounts.create_user(
            session,
            admin,
            UserIn(
                username="elsewhere", display_name="x", role=Role.analyst, organisation=org_b.slug
            ),
        )
    created, generated = accounts.create_user(
        session,
        admin,
        UserIn(username="colleague", display_name="x", role=Role.analyst, organisation=org_a.slug),
    )
    assert generated and len(generated) >= 12
    assert created.password_hash.startswith("$argon2id$")
    assert [u.username for u in accounts.list_users(session, admin)] == sorted(
        u.username
        for u in accounts.list_users(session, factories.OPERATOR)
        if u.organisation_id == org_a.id
    )


def test_short_password_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="at least 12"):
        factories.user(session, password="short")


def test_api_key_is_shown_once_and_stored_hashed(session: Session) -> None:
    key, token = factories.api_key(session, role=Role.viewer)
    assert token.startswith(key.prefix + "_")
    assert token not in (key.key_hash, key.prefix)
    principal = accounts.authenticate_api_key(session, token)
    assert isinstance(principal, Principal) and principal.role is Role.viewer
    assert principal.audit_label == f"api_key:{key.prefix}"
    rejection = accounts.authenticate_api_key(
        session, token[:-1] + ("A" if token[-1] != "A" else "B")
    )
    assert isinstance(rejection, accounts.KeyRejection) and rejection.reason == "unknown"
    assert accounts.authenticate_api_key(session, "nonsense").reason == "malformed"  # type: ignore[union-attr]


def test_revoked_and_expired_keys_are_refused(session: Session) -> None:
    key, token = factories.api_key(session)
    accounts.revoke_api_key(session, factories.OPERATOR, key.prefix)
    outcome = accounts.authenticate_api_key(session, token)
    assert isinstance(outcome, accounts.KeyRejection) and outcome.reason == "revoked"
    assert _events(session, "api_key:revoked") == 1

    old, old_token = factories.api_key(session)
    old.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    outcome = accounts.authenticate_api_key(session, old_token)
    assert isinstance(outcome, accounts.KeyRejection) and outcome.reason == "expired"


def test_key_lifetime_is_capped(session: Session) -> None:
    org = factories.organisation(session)
    with pytest.raises(InvalidInput, match="at most 30 days"):
        accounts.create_api_key(
            session,
            factories.OPERATOR,
            ApiKeyIn(name="k", role=Role.viewer, days=31, organisation=org.slug),
            max_days=30,
        )


def test_unknown_key_prefix_on_revoke(session: Session) -> None:
    with pytest.raises(NotFound):
        accounts.revoke_api_key(session, factories.OPERATOR, "alk_00000000")


def test_login_opens_a_session_and_audits(session: Session) -> None:
    user = factories.user(session, username="login-ok")
    principal, token = accounts.login(
        session, "Login-OK", factories.PASSWORD, "192.0.2.1", LIMITS, 8
    )
    assert principal.user_id == user.id
    assert accounts.resolve_web_session(session, token, 8) == principal
    assert _events(session, "auth:login.succeeded") == 1
    accounts.logout(session, token)
    assert accounts.resolve_web_session(session, token, 8) is None
    assert _events(session, "auth:logout") == 1


def test_wrong_password_and_unknown_user_look_the_same(session: Session) -> None:
    factories.user(session, username="victim")
    with pytest.raises(accounts.LoginRejected) as wrong:
        accounts.login(session, "victim", "not-the-password", "192.0.2.1", LIMITS, 8)
    with pytest.raises(accounts.LoginRejected) as unknown:
        accounts.login(session, "nobody", "not-the-password", "192.0.2.1", LIMITS, 8)
    assert wrong.value.message == unknown.value.message


def test_failed_logins_are_rate_limited_per_account(session: Session) -> None:
    factories.user(session, username="target")
    for i in range(LIMITS.per_account):
        accounts.record_login_failure(
            session, "target", f"198.51.100.{i}", "wrong password", rate_limited=False
        )
    with pytest.raises(RateLimited):
        accounts.login(session, "target", factories.PASSWORD, "203.0.113.9", LIMITS, 8)
    assert _events(session, "auth:login.failed") == LIMITS.per_account


def test_failed_logins_are_rate_limited_per_address(session: Session) -> None:
    factories.user(session, username="fresh-account")
    for i in range(LIMITS.per_address):
        accounts.record_login_failure(
            session, f"guess-{i}", "203.0.113.7", "unknown user", rate_limited=False
        )
    with pytest.raises(RateLimited):
        accounts.login(session, "fresh-account", factories.PASSWORD, "203.0.113.7", LIMITS, 8)
    accounts.login(session, "fresh-account", factories.PASSWORD, "203.0.113.8", LIMITS, 8)


def test_disabling_a_user_ends_sessions_and_blocks_login(session: Session) -> None:
    user = factories.user(session, username="leaver")
    _, token = accounts.login(session, "leaver", factories.PASSWORD, "192.0.2.1", LIMITS, 8)
    accounts.set_user_active(session, factories.OPERATOR, "leaver", False)
    assert session.execute(select(WebSession).where(WebSession.user_id == user.id)).first() is None
    assert accounts.resolve_web_session(session, token, 8) is None
    with pytest.raises(accounts.LoginRejected):
        accounts.login(session, "leaver", factories.PASSWORD, "192.0.2.1", LIMITS, 8)
    assert _events(session, "user:disabled") == 1


def test_cannot_disable_yourself(session: Session) -> None:
    org = factories.organisation(session)
    admin = factories.user(session, org, Role.org_admin)
    with pytest.raises(Conflict):
        accounts.set_user_active(session, factories.principal(admin), admin.username, False)


def test_password_change_ends_sessions(session: Session) -> None:
    user = factories.user(session, username="changer")
    _, token = accounts.login(session, "changer", factories.PASSWORD, "192.0.2.1", LIMITS, 8)
    accounts.set_password(session, factories.principal(user), "changer", "another-long-password")
    assert accounts.resolve_web_session(session, token, 8) is None
    accounts.login(session, "changer", "another-long-password", "192.0.2.1", LIMITS, 8)


def test_every_change_is_audited(session: Session) -> None:
    before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    org = factories.organisation(session, country="SE")  # + jurisdiction, organisation
    factories.user(session, org)
    key, _ = factories.api_key(session, org)
    accounts.revoke_api_key(session, factories.OPERATOR, key.prefix)
    after = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert after - before == 5
    assert session.execute(select(ApiKey).where(ApiKey.id == key.id)).scalar_one().revoked_at


def _last_used(key: ApiKey) -> datetime | None:
    """Read through a call: mypy would keep the narrowing to None across the refresh."""
    return key.last_used_at


def test_authentication_only_reads_and_last_use_is_noted_apart(session: Session) -> None:
    key, token = factories.api_key(session)
    principal = accounts.authenticate_api_key(session, token)
    assert isinstance(principal, Principal) and principal.api_key_id == key.id
    assert not session.dirty and key.last_used_at is None
    accounts.note_api_key_use(session, key.id)
    session.refresh(key)
    first = _last_used(key)
    assert first is not None
    accounts.note_api_key_use(session, key.id)  # within the minute: left alone
    session.refresh(key)
    assert key.last_used_at == first


def test_web_session_expiry_slides_apart_from_resolving_it(session: Session) -> None:
    factories.user(session, username="slider")
    _, token = accounts.login(session, "slider", factories.PASSWORD, "192.0.2.1", LIMITS, 8)
    web_session = session.execute(select(WebSession)).scalars().one()
    web_session.expires_at = utcnow() + timedelta(hours=1)
    session.flush()
    assert accounts.resolve_web_session(session, token, 8) is not None
    assert not session.dirty  # resolving reads only
    accounts.extend_web_session(session, token, 8)
    session.refresh(web_session)
    assert web_session.expires_at > utcnow() + timedelta(hours=7)


def test_trusted_flagger_status_is_recorded_audited_and_withdrawn(session: Session) -> None:
    org = factories.organisation(session, slug="nl-flagger")
    coordinator = "ACM,   the Netherlands' Digital Services Coordinator"
    accounts.set_trusted_flagger(session, factories.OPERATOR, "nl-flagger", coordinator)
    assert org.trusted_flagger_awarded_by == "ACM, the Netherlands' Digital Services Coordinator"
    withdrawn = accounts.set_trusted_flagger(session, factories.OPERATOR, "nl-flagger", None)
    assert withdrawn is org and withdrawn.trusted_flagger_awarded_by is None
    assert _events(session, "org:updated") == 2
    with pytest.raises(InvalidInput) as empty:
        accounts.set_trusted_flagger(session, factories.OPERATOR, "nl-flagger", "  ")
    assert empty.value.field == "trusted_flagger_awarded_by"
    with pytest.raises(NotFound):
        accounts.set_trusted_flagger(session, factories.OPERATOR, "nobody", "ACM")
    analyst = factories.principal(factories.user(session, org))
    with pytest.raises(PermissionDenied):
        accounts.set_trusted_flagger(session, analyst, "nl-flagger", "ACM")
