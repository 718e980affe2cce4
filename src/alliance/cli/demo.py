"""``alliance demo``: build the benign demo world and print its logins."""

from __future__ import annotations

import json
import shutil
from typing import Annotated

import typer
from rich.table import Table

from alliance.cli import context
from alliance.cli.output import console
from alliance.db import migrate
from alliance.demo import countries as countries_demo
from alliance.demo import member as member_demo
from alliance.demo import takedown, world
from alliance.demo import victims as victims_demo
from alliance.errors import ConfigurationError
from alliance.settings import Mode, Settings


def demo(
    seed: Annotated[
        int, typer.Option(help="same seed, same world and passwords")
    ] = world.DEFAULT_SEED,
    reset: Annotated[bool, typer.Option(help="delete EVERYTHING in the database first")] = False,
) -> None:
    """Build the demo world (synthetic members and users) and print the demo logins."""
    settings = context.settings()
    engine = context.engine()
    if reset:
        if settings.mode is Mode.production:
            raise ConfigurationError("--reset is refused in production mode")
        migrate.drop_everything(engine)
        shutil.rmtree(member_demo.folder_of(settings.data_dir), ignore_errors=True)
    migrate.upgrade(engine)
    with context.unit_of_work() as session:
        built = world.build(
            session,
            context.operator(),
            seed,
            uploads_dir=settings.data_dir / "demo-uploads",
            data_dir=settings.data_dir,
        )
    if built.built_now:
        # The takedown world's present goes through the real worker, notices and all.
        with takedown.demo_services(settings, free_ports=True) as (live, sites):
            takedown.build_present(context.sessions(), context.operator(), live, sites, seed)
    # The demo platform in member mode: its key at the hub, then its own database beside
    # the hub's (`alliance serve` starts its server).
    with context.unit_of_work() as session:
        member_demo.add_hub_key(session, context.operator(), seed)
    member = member_demo.build(context.operator(), settings, seed)
    console.print(("Built" if built.built_now else "Found") + f" the demo world (seed {seed}).")
    table = Table(title="Demo logins (synthetic data only)")
    table.add_column("username", no_wrap=True)
    table.add_column("password", no_wrap=True)
    table.add_column("role", overflow="fold")
    table.add_column("organisation", overflow="fold")
    for login in built.logins:
        table.add_row(login.username, login.password, str(login.role), login.organisation)
    console.print(table)
    console.print(
        "\nThe demo industry member (nl-photoshare) can sync the demo banks and scan its "
        "folder of pictures:\n"
        f"  alliance sync --server http://{settings.host}:{settings.port} --key {built.sync_key}\n"
        f"  alliance scan {built.uploads}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "\nLists for blocking: the same key syncs the URL list (the demo's confirmed pages "
        "still up) and the placeholder keyword list with the banks; then\n"
        "  alliance blocklist export --format rpz --proxy filter.isp.example.test\n"
        f"As nl-analyst, Blocking > Appeals holds a site owner's appeal; the public form is "
        f"http://{settings.host}:{settings.port}/appeal.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "\nA platform's review queue, ready-made on the hub: as nl-reviewer, Review > Review "
        "queue holds nl-photoshare's cases (matches of its uploads, previews blurred and "
        "greyscale until you reveal one, which is audited): confirm, mark a false positive "
        "or escalate.\n"
        "Reports to the police of the uploader's country: as nl-investigator, Industry "
        "reports > Inbox holds platforms' confirmed cases routed to the NL police: accept "
        "one and record its outcome; nl-reviewer sees it under Sent reports.",
        highlight=False,
        soft_wrap=True,
    )
    _print_member(settings, member)
    if built.seizure is not None:
        seizure = built.seizure
        console.print(
            f"\nVictim identification: log in as {victims_demo.TRY_AS}, Seizures → upload "
            f"{seizure.jsonl} (or {seizure.vics.name}; the pictures are in {seizure.folder}):\n"
            f"  {seizure.known} files are known, {seizure.near} are near duplicates of the GB "
            f'police\'s series "{victims_demo.SHOWCASE_NAME}" (gb-investigator gets a '
            f"deconfliction alert), {seizure.new} are new.\n"
            "  Start a series from the seizure, add a victim and mark it identified: Victim "
            "KPI shows this year's count against +10 %. A referral from the US police waits "
            "under Referrals.",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"\nMember countries: a demo register of the {len(countries_demo.FOUNDING)} founding "
        "countries of 5 December 2012 (alliance countries list), reporting against the "
        "frameworks of alliance frameworks list.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "\nProgress report: five years of synthetic history stand behind every indicator. As "
        "secretariat, open Countries > Progress report for last year (the alliance's, then "
        "the Netherlands' beside its own words), publish it, and read it logged out at "
        f"http://{settings.host}:{settings.port}/reports/published; nl-editor sees NL's "
        "small figures in full.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "\nNotice and takedown: report one of these live demo pages at "
        f"http://{settings.host}:{settings.port}/report, then follow it as nl-analyst, "
        "nl-investigator and gb-analyst:\n"
        + "\n".join(f"  {url}" for url in takedown.try_urls(seed))
        + "\nNotices arrive in the demo's local mailbox: "
        + str(settings.data_dir / takedown.MAILBOX_FOLDER),
        highlight=False,
        soft_wrap=True,
    )


def _print_member(settings: Settings, member: member_demo.DemoMember) -> None:
    """The demo platform in member mode: where it runs, its logins, an upload to try."""
    site = f"http://127.0.0.1:{settings.demo_member_port}"
    storage = f"http://127.0.0.1:{settings.demo_member_storage_port}/{member_demo.UPLOADS}/"
    body = json.dumps({"url": storage + member_demo.TRY_UPLOAD, "reference": "post-1001"})
    table = Table(title=f"nl-photoshare's own server, in member mode: {site}")
    table.add_column("username", no_wrap=True)
    table.add_column("password", no_wrap=True)
    table.add_column("role", overflow="fold")
    for login in member.logins:
        table.add_row(login.username, login.password, str(login.role))
    console.print(
        "\nThe demo platform nl-photoshare also runs as a platform runs Alliance, in member "
        f"mode: `alliance serve` starts its server at {site} beside the hub, with its own "
        f"database in {member.folder}, syncing the demo banks from the hub.",
        highlight=False,
        soft_wrap=True,
    )
    console.print(table)
    console.print(
        f"Its storage ({storage}) holds a banked demo picture with a white border, mirrored. "
        "Match it as nl-photoshare's upload service does:\n"
        f"  curl -H 'Authorization: Bearer {member.upload_key}' "
        f"-H 'content-type: application/json' -d '{body}' {site}/api/v1/member/match/url\n"
        "It matches the demo baseline bank through the border and the flip; the remove rule "
        "calls the platform's removal hook (which records it in "
        f"{member.folder / member_demo.REMOVED}), and the case waits, blurred, in Review > "
        f"Review queue at {site} for {member_demo.REVIEWER}. Confirm it, then report it to "
        'the NL police: docs/platforms.md, "The demo member".',
        highlight=False,
        soft_wrap=True,
    )
