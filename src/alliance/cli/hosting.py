"""``alliance providers`` (the hosting-provider directory) and ``alliance hosting lookup``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.errors import InvalidInput
from alliance.hosting import services as providers
from alliance.hosting.geo import GeoDatabase
from alliance.hosting.models import HostingProvider
from alliance.hosting.resolution import resolve_hosting
from alliance.hosting.resolver import resolver_from_settings
from alliance.hosting.schemas import ProviderIn, ProviderOut
from alliance.hosting.urls import normalise_url
from alliance.validation import validated

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]

providers_app = typer.Typer(
    help="Hosting providers: who runs an address space and where notices go.",
    no_args_is_help=True,
)
hosting_app = typer.Typer(help="Where a URL is hosted.", no_args_is_help=True)


def _row(provider: HostingProvider) -> dict[str, Any]:
    out = ProviderOut.model_validate(provider).model_dump(mode="json")
    out["asns"] = " ".join(f"AS{asn}" for asn in provider.asns)
    return {k: v for k, v in out.items() if k not in ("id", "note", "created_at", "updated_at")}


@providers_app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="short unique name, e.g. example-hosting")],
    name: Annotated[str, typer.Option(help="the provider's name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code of its seat")],
    asn: Annotated[list[int] | None, typer.Option(help="an AS number it hosts (repeat)")] = None,
    abuse_email: Annotated[str | None, typer.Option(help="where notices are e-mailed")] = None,
    webhook: Annotated[str | None, typer.Option(help="where notices are POSTed")] = None,
    batch: Annotated[bool, typer.Option(help="send several due notices as one")] = False,
    note: Annotated[str, typer.Option()] = "",
    inactive: Annotated[bool, typer.Option(help="add it switched off")] = False,
    member: Annotated[
        str | None,
        typer.Option(help="the industry member organisation this provider is (its slug)"),
    ] = None,
) -> None:
    """Add a provider to the directory."""
    data = validated(
        ProviderIn,
        slug=slug,
        name=name,
        country_code=country,
        asns=asn or [],
        abuse_email=abuse_email,
        abuse_webhook_url=webhook,
        batch_notices=batch,
        note=note,
        active=not inactive,
        member=member,
    )
    with context.unit_of_work() as session:
        provider = providers.create_provider(session, context.operator(), data)
        console.print(
            f"added provider {provider.slug} ({provider.country_code}, "
            f"{len(provider.asns)} AS numbers)",
            highlight=False,
        )


@providers_app.command("list")
def list_providers(fmt: FormatOption = OutputFormat.table) -> None:
    """List the directory."""
    with context.unit_of_work() as session:
        rows = [_row(p) for p in providers.list_providers(session, context.operator())]
    emit(rows, fmt, title="Hosting providers")


@providers_app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(help="JSON list of providers", exists=True, dir_okay=False, readable=True),
    ],
) -> None:
    """Add or update providers from a JSON list: all of them, or (on any error) none.

    Each entry has the fields of ``providers add`` (slug, name, country_code, asns,
    abuse_email, abuse_webhook_url, batch_notices, note, active, member); an existing slug
    is updated.
    """
    entries = _read_entries(file)
    added = updated = 0
    with context.unit_of_work() as session:
        operator = context.operator()
        existing = {p.slug for p in providers.list_providers(session, operator)}
        for entry in entries:
            if entry.slug in existing:
                providers.update_provider(session, operator, entry.slug, entry)
                updated += 1
            else:
                providers.create_provider(session, operator, entry)
                added += 1
    console.print(f"{file.name}: {added} added, {updated} updated", highlight=False)


def _read_entries(file: Path) -> list[ProviderIn]:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{file.name} is not JSON: {exc}") from None
    try:
        entries = TypeAdapter(list[ProviderIn]).validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'file'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(f"{file.name}: {problems}") from None
    slugs = [e.slug for e in entries]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise InvalidInput(f"{file.name}: slug listed twice: {', '.join(duplicates)}")
    return entries


@hosting_app.command("lookup")
def lookup(
    url: Annotated[str, typer.Argument(help="a URL or host name")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Where URL is hosted: address, country, ASN and provider (DNS, then the geo file)."""
    target = normalise_url(url)
    settings = context.settings()
    resolver = resolver_from_settings(settings)
    geo = GeoDatabase.from_settings(settings)
    try:
        with context.unit_of_work() as session:
            result = resolve_hosting(session, target.host, resolver, geo)
            provider = (
                session.get(HostingProvider, result.provider_id)
                if result.provider_id is not None
                else None
            )
            row: dict[str, Any] = {
                "url": target.url,
                "host": target.host,
                "addresses": result.addresses,
                "ip_address": result.ip_address,
                "country_code": result.country_code,
                "asn": result.asn,
                "as_org": result.as_org,
                "provider": provider.slug if provider is not None else None,
                "provider_contact": _contact(provider),
                "error": result.error,
            }
    finally:
        if geo is not None:
            geo.close()
    if fmt is OutputFormat.table:
        shown = {**row, "addresses": " ".join(result.addresses)}
        emit([{"field": k, "value": v} for k, v in shown.items()], fmt, title="Hosting")
    else:
        emit([row], fmt)


def _contact(provider: HostingProvider | None) -> str | None:
    if provider is None:
        return None
    return provider.abuse_email or provider.abuse_webhook_url
