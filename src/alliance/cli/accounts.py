"""``alliance jurisdictions|orgs|users|keys``: onboard members and manage their access.

Commands act as the operator at the server's console (audited as ``operator:<name>``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alliance.accounts import services as accounts
from alliance.accounts.models import ApiKey, Organisation, User
from alliance.accounts.passwords import generate_password
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.schemas import ApiKeyIn, JurisdictionIn, OrganisationIn, UserIn
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.db.base import utcnow
from alliance.errors import InvalidInput
from alliance.validation import validated

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]

jurisdictions_app = typer.Typer(help="Jurisdictions (countries).", no_args_is_help=True)
orgs_app = typer.Typer(help="Member organisations.", no_args_is_help=True)
users_app = typer.Typer(help="Users of member organisations.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)


@jurisdictions_app.command("add")
def add_jurisdiction(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2, e.g. NL")],
    name: Annotated[str, typer.Argument(help="e.g. Netherlands")],
    non_member: Annotated[bool, typer.Option(help="not an alliance member")] = False,
) -> None:
    """Add a jurisdiction."""
    data = validated(JurisdictionIn, code=code, name=name, alliance_member=not non_member)
    with context.unit_of_work() as session:
        j = accounts.add_jurisdiction(session, context.operator(), data)
        console.print(f"added jurisdiction {j.code} ({j.name})")


@jurisdictions_app.command("list")
def list_jurisdictions(fmt: FormatOption = OutputFormat.table) -> None:
    """List jurisdictions."""
    with context.unit_of_work() as session:
        rows = [
            {"code": j.code, "name": j.name, "alliance_member": j.alliance_member}
            for j in accounts.list_jurisdictions(session, context.operator())
        ]
    emit(rows, fmt, title="Jurisdictions")


def _org_row(o: Organisation) -> dict[str, Any]:
    return {
        "slug": o.slug,
        "name": o.name,
        "kind": str(o.kind),
        "country": o.country_code,
        "active": o.active,
    }


@orgs_app.command("add")
def add_org(
    slug: Annotated[str, typer.Argument(help="short unique name, e.g. nl-hotline")],
    name: Annotated[str, typer.Option(help="full name")],
    kind: Annotated[OrgKind, typer.Option(help="kind of member")],
    country: Annotated[str, typer.Option(help="ISO country code of its jurisdiction")],
) -> None:
    """Onboard a member organisation."""
    data = validated(OrganisationIn, slug=slug, name=name, kind=kind, country_code=country)
    with context.unit_of_work() as session:
        org = accounts.create_organisation(session, context.operator(), data)
        console.print(f"added organisation {org.slug} ({org.kind}, {org.country_code})")


@orgs_app.command("trusted-flagger")
def trusted_flagger(
    slug: Annotated[str, typer.Argument(help="the organisation, e.g. nl-hotline")],
    awarded_by: Annotated[
        str | None,
        typer.Option(help="the Digital Services Coordinator that awarded the status"),
    ] = None,
    withdrawn: Annotated[
        bool, typer.Option("--withdrawn", help="the organisation no longer has the status")
    ] = False,
) -> None:
    """Record an organisation's trusted-flagger status (EU DSA Art. 22): its notices say so."""
    if withdrawn == (awarded_by is not None):
        raise InvalidInput("give either --awarded-by COORDINATOR or --withdrawn")
    with context.unit_of_work() as session:
        org = accounts.set_trusted_flagger(session, context.operator(), slug, awarded_by)
        status = (
            f"a trusted flagger, awarded by {org.trusted_flagger_awarded_by}"
            if org.trusted_flagger_awarded_by
            else "not a trusted flagger"
        )
        console.print(f"{org.slug} is {status}")


@orgs_app.command("list")
def list_orgs(fmt: FormatOption = OutputFormat.table) -> None:
    """List member organisations."""
    with context.unit_of_work() as session:
        rows = [_org_row(o) for o in accounts.list_organisations(session, context.operator())]
    emit(rows, fmt, title="Organisations")


def _user_row(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "name": u.display_name,
        "organisation": u.organisation.slug,
        "role": str(u.role),
        "active": u.active,
        "last_login": u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else None,
    }


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument()],
    org: Annotated[str, typer.Option("--org", help="organisation slug")],
    role: Annotated[Role, typer.Option(help="role within the organisation")],
    name: Annotated[str | None, typer.Option(help="full name (default: the username)")] = None,
    password_prompt: Annotated[
        bool, typer.Option("--password-prompt", help="type a password instead of generating one")
    ] = False,
) -> None:
    """Add a user. A password is generated and printed once unless you type one."""
    password = None
    if password_prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = validated(
        UserIn,
        username=username,
        display_name=name or username,
        role=role,
        organisation=org,
        password=password,
    )
    with context.unit_of_work() as session:
        user, generated = accounts.create_user(session, context.operator(), data)
        console.print(f"added user {user.username} ({user.role}) to {org}")
    if generated:
        console.print(f"password (shown once): [bold]{generated}[/]", highlight=False)


@users_app.command("list")
def list_users(
    org: Annotated[str | None, typer.Option("--org", help="only this organisation")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List users."""
    with context.unit_of_work() as session:
        rows = [_user_row(u) for u in accounts.list_users(session, context.operator(), org)]
    emit(rows, fmt, title="Users")


@users_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument()],
    password_prompt: Annotated[
        bool, typer.Option("--password-prompt", help="type the new password instead")
    ] = False,
) -> None:
    """Give a user a new password (generated and printed once); their sessions end."""
    password = (
        typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        if password_prompt
        else generate_password()
    )
    with context.unit_of_work() as session:
        accounts.set_password(session, context.operator(), username, password)
    console.print(f"new password for {username}")
    if not password_prompt:
        console.print(f"password (shown once): [bold]{password}[/]", highlight=False)


@users_app.command("disable")
def disable_user(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user; their web sessions end at once."""
    with context.unit_of_work() as session:
        accounts.set_user_active(session, context.operator(), username, False)
    console.print(f"disabled {username}")


@users_app.command("enable")
def enable_user(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled user."""
    with context.unit_of_work() as session:
        accounts.set_user_active(session, context.operator(), username, True)
    console.print(f"enabled {username}")


def _key_row(k: ApiKey) -> dict[str, Any]:
    status = "revoked" if k.revoked_at else ("expired" if k.expires_at <= utcnow() else "active")
    return {
        "prefix": k.prefix,
        "name": k.name,
        "organisation": k.organisation.slug,
        "role": str(k.role),
        "expires": k.expires_at.date().isoformat(),
        "status": status,
        "last_used": k.last_used_at.isoformat(timespec="minutes") if k.last_used_at else None,
    }


@keys_app.command("create")
def create_key(
    org: Annotated[str, typer.Option("--org", help="organisation slug")],
    name: Annotated[str, typer.Option(help="what the key is for, e.g. upload scanner")],
    role: Annotated[Role, typer.Option(help="the rights the key carries")],
    days: Annotated[int, typer.Option(min=1, help="lifetime in days")] = 90,
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    data = validated(ApiKeyIn, name=name, role=role, days=days, organisation=org)
    with context.unit_of_work() as session:
        key, token = accounts.create_api_key(
            session, context.operator(), data, max_days=context.settings().api_key_max_days
        )
        console.print(
            f"created key {key.prefix} ({key.role}) for {org}, "
            f"expires {key.expires_at.date().isoformat()}"
        )
    console.print(f"key (shown once): [bold]{token}[/]", highlight=False, soft_wrap=True)


@keys_app.command("list")
def list_keys(fmt: FormatOption = OutputFormat.table) -> None:
    """List API keys (never the keys themselves)."""
    with context.unit_of_work() as session:
        rows = [_key_row(k) for k in accounts.list_api_keys(session, context.operator())]
    emit(rows, fmt, title="API keys")


@keys_app.command("revoke")
def revoke_key(
    prefix: Annotated[str, typer.Argument(help="the key's prefix, e.g. alk_1a2b3c4d")],
) -> None:
    """Revoke an API key; it stops working at once."""
    with context.unit_of_work() as session:
        accounts.revoke_api_key(session, context.operator(), prefix)
    console.print(f"revoked {prefix}")
