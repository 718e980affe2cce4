"""Account operations. Each takes a session and the acting principal, checks the policy,
writes an audit event for every change and raises domain errors; callers own the
transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alliance.accounts.models import (
    ApiKey,
    Jurisdiction,
    LoginAttempt,
    Organisation,
    User,
    WebSession,
)
from alliance.accounts.passwords import generate_password, hash_password, verify_password
from alliance.accounts.permissions import (
    ORG_KIND_LABELS,
    ROLE_GRANTS,
    ROLE_LABELS,
    ROLES_BY_KIND,
    OrgKind,
    Permission,
    Reach,
    Role,
)
from alliance.accounts.policy import Principal, authorize, visible_clause
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.accounts.wording import joined, with_article
from alliance.audit import SYSTEM, EventType, record
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, RateLimited

API_KEY_PREFIX = "alk_"
# alk_<8 hex: the prefix that names the key>_<43 url-safe characters: the secret>
API_KEY_RE = re.compile(r"^(alk_[0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")


class LoginRejected(NotAuthenticated):
    """Wrong username or password, or a disabled account (deliberately not told apart)."""

    def __init__(self, username: str, reason: str) -> None:
        super().__init__("wrong username or password")
        self.username = username
        self.reason = reason


# --- jurisdictions and organisations -------------------------------------------------


def add_jurisdiction(session: Session, actor: Principal, data: JurisdictionIn) -> Jurisdiction:
    authorize(actor, Permission.JURISDICTION_MANAGE)
    if session.get(Jurisdiction, data.code) is not None:
        raise Conflict(f"jurisdiction {data.code} already exists")
    jurisdiction = Jurisdiction(**data.model_dump())
    session.add(jurisdiction)
    session.flush()
    record(
        session, actor, EventType.JURISDICTION_CREATED, "jurisdiction", data.code, data.model_dump()
    )
    return jurisdiction


def list_jurisdictions(session: Session, actor: Principal) -> list[Jurisdiction]:
    authorize(actor, Permission.JURISDICTION_READ)
    return list(session.execute(select(Jurisdiction).order_by(Jurisdiction.code)).scalars())


def jurisdiction_names(session: Session) -> dict[str, str]:
    """Every registered jurisdiction's name by its code, for showing a country by name.
    No permission: the names of countries are no one's secret (a page of any role, or the
    public report form, names the country a code stands for)."""
    rows = session.execute(select(Jurisdiction.code, Jurisdiction.name)).all()
    return dict(rows)


def create_organisation(session: Session, actor: Principal, data: OrganisationIn) -> Organisation:
    authorize(actor, Permission.ORG_MANAGE)
    if session.get(Jurisdiction, data.country_code) is None:
        raise InvalidInput(
            f"unknown jurisdiction {data.country_code}: add it first "
            "(alliance jurisdictions add CODE NAME)",
            field="country_code",
        )
    if _org_by_slug(session, data.slug) is not None:
        raise Conflict(f"an organisation named {data.slug!r} already exists", field="slug")
    org = Organisation(**data.model_dump())
    session.add(org)
    session.flush()
    record(
        session,
        actor,
        EventType.ORG_CREATED,
        "organisation",
        org.id,
        data.model_dump(mode="json"),
        organisation_id=org.id,
    )
    return org


@dataclass(frozen=True)
class OrganisationFilter:
    kind: OrgKind | None = None
    country_code: str | None = None
    active: bool | None = None


#: Columns a list of organisations sorts by (alliance.db.listing).
ORGANISATION_SORTS: dict[str, ColumnElement[Any]] = {
    "name": Organisation.name.expression,
    "slug": Organisation.slug.expression,
    "kind": Organisation.kind.expression,
    "country": Organisation.country_code.expression,
    "active": Organisation.active.expression,
    "created": Organisation.created_at.expression,
}


def list_organisations(
    session: Session,
    actor: Principal,
    flt: OrganisationFilter | None = None,
    listing: Listing | None = None,
) -> list[Organisation]:
    """The organisations ``actor`` may see; by country and short name unless ``listing``
    orders and pages them."""
    clause = visible_clause(actor, Permission.ORG_READ, Organisation.id)
    authorize(actor, Permission.ORG_READ)
    query = select(Organisation).where(clause)
    flt = flt or OrganisationFilter()
    if flt.kind is not None:
        query = query.where(Organisation.kind == flt.kind)
    if flt.country_code:
        query = query.where(Organisation.country_code == flt.country_code)
    if flt.active is not None:
        query = query.where(Organisation.active == flt.active)
    if listing is None:
        query = query.order_by(Organisation.country_code, Organisation.slug)
    else:
        query = ordered(query, listing, ORGANISATION_SORTS, [Organisation.id.asc()])
    return list(session.execute(query).scalars())


def get_organisation(session: Session, actor: Principal, slug: str) -> Organisation:
    org = _org_by_slug(session, slug)
    if org is None:
        raise NotFound(f"no organisation named {slug!r}")
    authorize(actor, Permission.ORG_READ, org)
    return org


def set_trusted_flagger(
    session: Session, actor: Principal, slug: str, awarded_by: str | None
) -> Organisation:
    """Record that organisation ``slug`` is a trusted flagger under the EU Digital Services
    Act, Art. 22, awarded by ``awarded_by`` (the Digital Services Coordinator), or, with
    None, that it is not (any more). Notices sent for it say so."""
    authorize(actor, Permission.ORG_MANAGE)
    org = _org_by_slug(session, slug)
    if org is None:
        raise NotFound(f"no organisation named {slug!r}")
    awarded_by = " ".join(awarded_by.split()) if awarded_by is not None else None
    if awarded_by is not None and not 1 <= len(awarded_by) <= 200:
        raise InvalidInput(
            "name the Digital Services Coordinator that awarded the status (1-200 characters)",
            field="trusted_flagger_awarded_by",
        )
    if awarded_by is not None and "\x00" in awarded_by:
        raise InvalidInput("must not contain NUL characters", field="trusted_flagger_awarded_by")
    before = org.trusted_flagger_awarded_by
    org.trusted_flagger_awarded_by = awarded_by
    session.flush()
    record(
        session,
        actor,
        EventType.ORG_UPDATED,
        "organisation",
        org.id,
        {"trusted_flagger_awarded_by": {"before": before, "after": awarded_by}},
        organisation_id=org.id,
    )
    return org


def _org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()


def can_grant(actor: Principal, role: Role) -> bool:
    """Whether ``actor`` may give ``role`` to someone of an organisation it manages.

    An administrator hands out the roles of its organisation's kind; only someone whose
    rights already reach every organisation may hand out such reach (no escalation
    across organisations)."""
    if not actor.can(Permission.USER_MANAGE) and not actor.can(Permission.KEY_MANAGE):
        return False
    return all(
        reach is Reach.OWN or actor.reach(permission) is Reach.ALL
        for permission, reach in ROLE_GRANTS[role].items()
    )


def grantable_roles(actor: Principal, kinds: set[OrgKind]) -> list[Role]:
    """Roles ``actor`` may give to a user or key of an organisation of one of ``kinds``."""
    return [r for r in Role if can_grant(actor, r) and any(r in ROLES_BY_KIND[k] for k in kinds)]


def least_privileged(roles: list[Role]) -> Role | None:
    """The role of ``roles`` that grants the fewest permissions: what a form offers first,
    so that an administrator who does not choose hands out as little as possible."""
    return min(roles, key=lambda r: (len(ROLE_GRANTS[r]), -list(Role).index(r)), default=None)


def roles_that_fit(kind: OrgKind) -> str:
    """The roles an organisation of ``kind`` may hand out, in words and in the order of
    :class:`Role`: "an industry organisation's roles are Organisation administrator, ..."."""
    fitting = [ROLE_LABELS[r] for r in Role if r in ROLES_BY_KIND[kind]]
    kind_words = ORG_KIND_LABELS[kind]
    if kind_words[1:].islower():  # "Industry" reads "industry" mid-sentence, "NGO" stays
        kind_words = kind_words.lower()
    owner = with_article(f"{kind_words} organisation")
    return f"{owner}'s roles are {joined(fitting)}"


def _check_role_grantable(actor: Principal, org: Organisation, role: Role) -> None:
    if role not in ROLES_BY_KIND[org.kind]:
        raise InvalidInput(
            f"{ROLE_LABELS[role]} does not fit {org.name}: {roles_that_fit(org.kind)}",
            field="role",
        )
    if not can_grant(actor, role):
        raise InvalidInput(
            f"you cannot hand out the role {ROLE_LABELS[role]}: it has rights you lack",
            field="role",
        )


# --- users ---------------------------------------------------------------------------


def create_user(session: Session, actor: Principal, data: UserIn) -> tuple[User, str | None]:
    """Create a user; returns the generated password when none was given."""
    org = _org_by_slug(session, data.organisation)
    if org is None:
        raise NotFound(f"no organisation named {data.organisation!r}", field="organisation")
    authorize(actor, Permission.USER_MANAGE, org)
    _check_role_grantable(actor, org, data.role)
    if session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict(f"the username {data.username!r} is taken", field="username")
    generated = None if data.password else generate_password()
    user = User(
        organisation_id=org.id,
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=hash_password(data.password or generated or ""),
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        EventType.USER_CREATED,
        "user",
        user.id,
        {"username": user.username, "role": str(user.role)},
        organisation_id=org.id,
    )
    return user, generated


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    active: bool | None = None


#: Columns a list of users sorts by (alliance.db.listing).
USER_SORTS: dict[str, ColumnElement[Any]] = {
    "username": User.username.expression,
    "name": User.display_name.expression,
    "organisation": Organisation.name.expression,
    "role": User.role.expression,
    "active": User.active.expression,
    "last_login": User.last_login_at.expression,
    "created": User.created_at.expression,
}


def list_users(
    session: Session,
    actor: Principal,
    organisation: str | None = None,
    flt: UserFilter | None = None,
    listing: Listing | None = None,
) -> list[User]:
    """The users ``actor`` may see, of ``organisation`` (a short name) if given; by
    username unless ``listing`` orders and pages them."""
    authorize(actor, Permission.USER_READ)
    query = (
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(visible_clause(actor, Permission.USER_READ, User.organisation_id))
    )
    if organisation:
        query = query.where(
            User.organisation_id == get_organisation(session, actor, organisation).id
        )
    flt = flt or UserFilter()
    if flt.role is not None:
        query = query.where(User.role == flt.role)
    if flt.active is not None:
        query = query.where(User.active == flt.active)
    if listing is None:
        query = query.order_by(User.username)
    else:
        query = ordered(query, listing, USER_SORTS, [User.id.asc()])
    return list(session.execute(query).scalars())


def get_user(session: Session, actor: Principal, username: str) -> User:
    user = session.execute(
        select(User).where(User.username == username.lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    authorize(actor, Permission.USER_READ, user)
    return user


def set_user_active(session: Session, actor: Principal, username: str, active: bool) -> User:
    user = get_user(session, actor, username)
    authorize(actor, Permission.USER_MANAGE, user)
    if actor.user_id == user.id and not active:
        raise Conflict("you cannot disable your own account")
    if user.active == active:
        return user
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(
        session,
        actor,
        EventType.USER_ENABLED if active else EventType.USER_DISABLED,
        "user",
        user.id,
        {"username": user.username},
        organisation_id=user.organisation_id,
    )
    return user


def roles_for_user(actor: Principal, user: User) -> list[Role]:
    """The roles ``actor`` may change ``user`` to: those that fit the user's organisation's
    kind and that ``actor`` may hand out, the user's own role left out. Empty when ``actor``
    may not change this user's role at all (their own, or a role beyond ``actor``'s)."""
    if actor.user_id == user.id or not can_grant(actor, user.role):
        return []
    if actor.reach(Permission.USER_MANAGE) is None:
        return []
    if (
        actor.reach(Permission.USER_MANAGE) is Reach.OWN
        and actor.organisation_id != user.organisation_id
    ):
        return []
    fitting = ROLES_BY_KIND[user.organisation.kind]
    return [r for r in Role if r in fitting and r != user.role and can_grant(actor, r)]


def change_user_role(session: Session, actor: Principal, username: str, role: Role) -> User:
    """Give ``username`` another role: one that fits their organisation's kind and that
    ``actor`` may hand out. Nobody changes their own role, nor the role of someone whose
    rights reach further than their own; the change takes effect on the next request."""
    user = get_user(session, actor, username)
    authorize(actor, Permission.USER_MANAGE, user)
    if actor.user_id == user.id:
        raise Conflict("you cannot change your own role", field="role")
    if not can_grant(actor, user.role):
        raise InvalidInput(
            f"{user.username} is {with_article(ROLE_LABELS[user.role])}, "
            "with rights you lack: you cannot change their role",
            field="role",
        )
    _check_role_grantable(actor, user.organisation, role)
    if user.role == role:
        return user
    before = user.role
    user.role = role
    record(
        session,
        actor,
        EventType.USER_ROLE_CHANGED,
        "user",
        user.id,
        {"username": user.username, "from": str(before), "to": str(role)},
        organisation_id=user.organisation_id,
    )
    return user


def set_password(session: Session, actor: Principal, username: str, password: str) -> User:
    user = get_user(session, actor, username)
    if actor.user_id != user.id:
        authorize(actor, Permission.USER_MANAGE, user)
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(
        session,
        actor,
        EventType.USER_PASSWORD_CHANGED,
        "user",
        user.id,
        {"username": user.username},
        organisation_id=user.organisation_id,
    )
    return user


def change_own_password(
    session: Session, actor: Principal, current_password: str, new_password: str
) -> User:
    """A user changes their own password; the current one must be given."""
    if actor.user_id is None:
        raise InvalidInput("only a logged-in user can change their own password")
    user = session.get_one(User, actor.user_id)
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("the current password is not right", field="current_password")
    if new_password == current_password:
        raise InvalidInput(
            "the new password must differ from the current one", field="new_password"
        )
    return set_password(session, actor, user.username, new_password)


# --- API keys ------------------------------------------------------------------------


def _key_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(
    session: Session,
    actor: Principal,
    data: ApiKeyIn,
    *,
    max_days: int,
    token: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the token is returned this once and only its hash is kept.

    ``token`` is for the demo world only, whose keys derive from its seed."""
    if data.organisation:
        org = _org_by_slug(session, data.organisation)
        if org is None:
            raise NotFound(f"no organisation named {data.organisation!r}")
    elif actor.organisation_id is not None:
        org = session.get_one(Organisation, actor.organisation_id)
    else:
        raise InvalidInput("say which organisation the key is for")
    authorize(actor, Permission.KEY_MANAGE, org)
    _check_role_grantable(actor, org, data.role)
    if data.days > max_days:
        raise InvalidInput(f"an API key may live at most {max_days} days", field="days")
    if token is None:
        token = f"{API_KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    match = API_KEY_RE.match(token)
    if match is None:
        raise InvalidInput("not an API key of the form alk_<8 hex>_<secret>")
    prefix = match.group(1)
    key = ApiKey(
        organisation_id=org.id,
        created_by_user_id=actor.user_id,
        name=data.name,
        prefix=prefix,
        key_hash=_key_digest(token),
        role=data.role,
        expires_at=utcnow() + timedelta(days=data.days),
    )
    session.add(key)
    session.flush()
    record(
        session,
        actor,
        EventType.API_KEY_CREATED,
        "api_key",
        key.prefix,
        {"name": key.name, "role": str(key.role), "expires_at": key.expires_at.isoformat()},
        organisation_id=org.id,
    )
    return key, token


class KeyStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


def key_status(key: ApiKey) -> KeyStatus:
    if key.revoked_at is not None:
        return KeyStatus.revoked
    return KeyStatus.expired if key.expires_at <= utcnow() else KeyStatus.active


@dataclass(frozen=True)
class ApiKeyFilter:
    organisation: str | None = None
    role: Role | None = None
    status: KeyStatus | None = None


#: Columns a list of API keys sorts by (alliance.db.listing).
API_KEY_SORTS: dict[str, ColumnElement[Any]] = {
    "name": ApiKey.name.expression,
    "prefix": ApiKey.prefix.expression,
    "organisation": Organisation.name.expression,
    "role": ApiKey.role.expression,
    "created": ApiKey.created_at.expression,
    "expires": ApiKey.expires_at.expression,
    "last_used": ApiKey.last_used_at.expression,
}


def list_api_keys(
    session: Session,
    actor: Principal,
    flt: ApiKeyFilter | None = None,
    listing: Listing | None = None,
) -> list[ApiKey]:
    """The keys ``actor`` may see; newest first unless ``listing`` orders and pages them."""
    authorize(actor, Permission.KEY_READ)
    query = (
        select(ApiKey)
        .join(Organisation, Organisation.id == ApiKey.organisation_id)
        .where(visible_clause(actor, Permission.KEY_READ, ApiKey.organisation_id))
    )
    flt = flt or ApiKeyFilter()
    if flt.organisation:
        query = query.where(Organisation.slug == flt.organisation)
    if flt.role is not None:
        query = query.where(ApiKey.role == flt.role)
    now = utcnow()
    if flt.status is KeyStatus.revoked:
        query = query.where(ApiKey.revoked_at.is_not(None))
    elif flt.status is KeyStatus.expired:
        query = query.where(ApiKey.revoked_at.is_(None), ApiKey.expires_at <= now)
    elif flt.status is KeyStatus.active:
        query = query.where(ApiKey.revoked_at.is_(None), ApiKey.expires_at > now)
    if listing is None:
        query = query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    else:
        query = ordered(query, listing, API_KEY_SORTS, [ApiKey.id.desc()])
    return list(session.execute(query).scalars())


def revoke_api_key(session: Session, actor: Principal, prefix: str) -> ApiKey:
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    authorize(actor, Permission.KEY_MANAGE, key)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(
            session,
            actor,
            EventType.API_KEY_REVOKED,
            "api_key",
            key.prefix,
            {"name": key.name},
            organisation_id=key.organisation_id,
        )
    return key


@dataclass(frozen=True)
class KeyRejection:
    prefix: str | None
    organisation_id: int | None
    reason: str


def authenticate_api_key(session: Session, token: str) -> Principal | KeyRejection:
    """The principal a bearer token stands for, or why it was refused."""
    match = API_KEY_RE.match(token)
    if match is None:
        return KeyRejection(None, None, "malformed")
    prefix = match.group(1)
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None or not hmac.compare_digest(key.key_hash, _key_digest(token)):
        return KeyRejection(
            prefix if key else None, key.organisation_id if key else None, "unknown"
        )
    now = utcnow()
    if key.revoked_at is not None:
        return KeyRejection(key.prefix, key.organisation_id, "revoked")
    if key.expires_at <= now:
        return KeyRejection(key.prefix, key.organisation_id, "expired")
    if not key.organisation.active:
        return KeyRejection(key.prefix, key.organisation_id, "organisation inactive")
    return Principal(
        kind="api_key",
        name=key.prefix,
        role=key.role,
        organisation_id=key.organisation_id,
        organisation_kind=key.organisation.kind,
        country_code=key.organisation.country_code,
        api_key_id=key.id,
    )


#: A key's (and a web session's) last use is written at most this often: authentication
#: only reads, so a busy client does not turn every request into a write.
USE_NOTED_EVERY = timedelta(minutes=1)


def note_api_key_use(session: Session, key_id: int) -> None:
    """Stamp the key's ``last_used_at``, unless it was stamped within USE_NOTED_EVERY."""
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - USE_NOTED_EVERY),
        )
        .values(last_used_at=now)
    )


def record_api_key_rejection(
    session: Session, rejection: KeyRejection, address: str, *, count: int = 1
) -> None:
    """Audit a refused key; ``count`` > 1 summarises that many identical refusals (a burst
    is audited as one event per interval, see alliance.web.bookkeeping)."""
    details: dict[str, str | int] = {"reason": rejection.reason, "address": address}
    if count > 1:
        details["count"] = count
    record(
        session,
        SYSTEM,
        EventType.API_KEY_REJECTED,
        "api_key",
        rejection.prefix or "?",
        details,
        organisation_id=rejection.organisation_id,
    )


# --- logins and web sessions ---------------------------------------------------------


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        name=user.username,
        role=user.role,
        organisation_id=user.organisation_id,
        organisation_kind=user.organisation.kind,
        country_code=user.organisation.country_code,
        user_id=user.id,
    )


@dataclass(frozen=True)
class LoginLimits:
    window: timedelta
    per_account: int
    per_address: int


def check_login_rate(session: Session, username: str, address: str, limits: LoginLimits) -> None:
    since = utcnow() - limits.window
    by_account = session.execute(
        select(func.count()).where(LoginAttempt.username == username, LoginAttempt.at >= since)
    ).scalar_one()
    by_address = session.execute(
        select(func.count()).where(LoginAttempt.address == address, LoginAttempt.at >= since)
    ).scalar_one()
    if by_account >= limits.per_account or by_address >= limits.per_address:
        raise RateLimited(
            "too many failed logins; wait a few minutes and try again",
            retry_after_seconds=int(limits.window.total_seconds()),
        )


def login(
    session: Session,
    username: str,
    password: str,
    address: str,
    limits: LoginLimits,
    session_hours: int,
) -> tuple[Principal, str]:
    """Check a password and open a web session; returns the principal and the cookie token.

    Failures raise :class:`LoginRejected` or :class:`RateLimited`; the caller records them
    with :func:`record_login_failure` in a transaction of its own, since this one is
    rolled back.
    """
    username = username.strip().lower()
    check_login_rate(session, username, address, limits)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if not verify_password(user.password_hash if user else None, password):
        raise LoginRejected(username, "wrong password" if user else "unknown user")
    assert user is not None
    if not user.active or not user.organisation.active:
        raise LoginRejected(username, "account disabled")
    principal = principal_for_user(user)
    now = utcnow()
    # Housekeeping on the way: expired sessions and attempts outside the window are dead.
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - limits.window))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_key_digest(token),
            user_id=user.id,
            address=address,
            expires_at=utcnow() + timedelta(hours=session_hours),
        )
    )
    user.last_login_at = utcnow()
    record(session, principal, EventType.LOGIN_SUCCEEDED, "user", user.id, {"address": address})
    return principal, token


def record_login_failure(
    session: Session, username: str, address: str, reason: str, *, rate_limited: bool
) -> None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if not rate_limited:
        session.add(LoginAttempt(username=username, address=address))
    record(
        session,
        SYSTEM,
        EventType.LOGIN_RATE_LIMITED if rate_limited else EventType.LOGIN_FAILED,
        "user",
        user.id if user else username,
        {"username": username, "address": address, "reason": reason},
        organisation_id=user.organisation_id if user else None,
    )


def resolve_web_session(session: Session, token: str, session_hours: int) -> Principal | None:
    """The user a session cookie stands for (reads only; :func:`extend_web_session` slides
    the expiry)."""
    web_session = session.execute(
        select(WebSession).where(WebSession.token_hash == _key_digest(token))
    ).scalar_one_or_none()
    if web_session is None or web_session.expires_at <= utcnow():
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.active or not user.organisation.active:
        return None
    return principal_for_user(user)


def extend_web_session(session: Session, token: str, session_hours: int) -> None:
    """Sliding expiry: the session lasts ``session_hours`` from now (written at most every
    five minutes)."""
    now = utcnow()
    ttl = timedelta(hours=session_hours)
    session.execute(
        update(WebSession)
        .where(
            WebSession.token_hash == _key_digest(token),
            WebSession.expires_at > now,
            WebSession.expires_at < now + ttl - timedelta(minutes=5),
        )
        .values(expires_at=now + ttl)
    )


def logout(session: Session, token: str) -> None:
    web_session = session.execute(
        select(WebSession).where(WebSession.token_hash == _key_digest(token))
    ).scalar_one_or_none()
    if web_session is None:
        return
    user = session.get_one(User, web_session.user_id)
    session.delete(web_session)
    record(session, principal_for_user(user), EventType.LOGOUT, "user", user.id)
