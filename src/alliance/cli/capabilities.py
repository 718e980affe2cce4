"""``alliance capabilities show|set|export|distribution``: the capability self-assessment
against the Model National Response.

A country's own assessment is private to its government (not even the secretariat reads
it), so ``show``, ``set`` and ``export`` name the government organisation the operator acts
for (``--for nl-government``), whose country editor's rights are checked as for its users.
``distribution`` is the secretariat's view: counts per capability and phase, every count
below ``ALLIANCE_DISCLOSURE_K`` hidden, no country named.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, err_console
from alliance.countries import capabilities
from alliance.countries.schemas import CapabilityAssessmentIn
from alliance.disclosure import Cell, fewer_than
from alliance.errors import InvalidInput
from alliance.validation import validated

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
CountryArg = Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")]
YearArg = Annotated[int, typer.Argument(help="the assessment's year, e.g. 2026")]
ForOption = Annotated[
    str, typer.Option("--for", help="the country's government organisation (slug)")
]

WHY_GOVERNMENT = "a country's capability self-assessment is its own government's"

app = typer.Typer(
    help="Capability self-assessment against the Model National Response: a country's own "
    "(for its government) and the alliance-wide distribution.",
    no_args_is_help=True,
)


class FileFormat(StrEnum):
    csv = "csv"
    json = "json"


def _this_year() -> int:
    return datetime.now(UTC).year


@app.command("show")
def show(
    country: CountryArg,
    for_org: ForOption,
    year: Annotated[int | None, typer.Option(help="the year (default: this year)")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A country's own assessment: every capability of its MNR version, with its phase."""
    with context.unit_of_work() as session:
        principal = context.government_editor(session, for_org, why=WHY_GOVERNMENT)
        view = capabilities.assessment_view(
            session, principal, country, _this_year() if year is None else year
        )
    table = fmt is OutputFormat.table
    rows: list[dict[str, Any]] = []
    for domain, capability_rows in view.domains:
        for row in capability_rows:
            found = row.assessment
            links = list(found.links) if found else []
            rows.append(
                {
                    "country": view.country.code,
                    "year": view.year,
                    "capability": row.item.id,
                    "number": row.item.number,
                    "title": row.item.title,
                    "domain": domain.title,
                    "phase": found.phase if found else None,
                    "phase_name": capabilities.PHASES[found.phase] if found else None,
                    "evidence": found.evidence if found else "",
                    "links": " ".join(links) if table or fmt is OutputFormat.csv else links,
                }
            )
    if not table:
        emit(rows, fmt)
        return
    years = ", ".join(map(str, view.years)) or "none yet"
    emit(
        [
            {
                "number": r["number"],
                "capability": r["title"],
                "domain": r["domain"],
                "phase": capabilities.phase_name(r["phase"]) if r["phase"] else "not assessed",
                "evidence": r["evidence"],
                "links": r["links"],
            }
            for r in rows
        ],
        fmt,
        title=f"{view.country.name} {view.year}: {view.assessed} of {view.capabilities} "
        f"capabilities of {view.framework.id} assessed (years assessed: {years})",
    )


def _read(file: Path) -> tuple[str, str]:
    """The file's format (from its suffix) and its text."""
    file_format = file.suffix.lstrip(".").lower()
    if file_format not in ("csv", "json"):
        raise InvalidInput(f"{file.name}: a .csv or .json file", field="file")
    try:
        return file_format, file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{file.name} is not UTF-8 text", field="file") from None


@app.command("set")
def set_command(
    country: CountryArg,
    year: YearArg,
    for_org: ForOption,
    capability: Annotated[
        str | None, typer.Option(help="one capability, by number (12) or id (mnr2015.cap.12)")
    ] = None,
    phase: Annotated[int | None, typer.Option(help="its phase, 1 (building) to 4")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="clear the capability instead")] = False,
    evidence: Annotated[str, typer.Option(help="what shows the phase")] = "",
    link: Annotated[
        list[str] | None, typer.Option("--link", help="an http(s) address (repeat)")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="a .csv or .json file of rows (capability, phase, evidence, links), as "
            "export writes them; an empty phase clears a capability",
        ),
    ] = None,
) -> None:
    """Record one capability's phase, or a file of rows (all or nothing), for a government.

    A bad row of a file is named by its line, and nothing is written.
    """
    if (capability is None) == (file is None):
        raise InvalidInput("give either --capability or --file", field="capability")
    entry: CapabilityAssessmentIn | None = None
    if file is not None:
        if phase is not None or clear or evidence or link:
            raise InvalidInput(
                "--phase, --clear, --evidence and --link go with --capability; a file's rows "
                "carry their own",
                field="file",
            )
        file_format, text = _read(file)
    elif (phase is None) == (not clear):
        raise InvalidInput("give --phase 1 to 4, or --clear", field="phase")
    else:
        entry = validated(
            CapabilityAssessmentIn,
            capability=capability,
            phase=phase,
            evidence=evidence,
            links=link or [],
        )
    with context.unit_of_work() as session:
        principal = context.government_editor(session, for_org, why=WHY_GOVERNMENT)
        if entry is not None:
            changed = capabilities.save_assessment(session, principal, country, year, [entry])
        else:
            changed = capabilities.import_assessment(
                session, principal, country, year, text, file_format
            )
    code = country.strip().upper()
    if not changed:
        console.print(f"{code} {year}: nothing changed", highlight=False)
        return
    numbers = " ".join(c.rsplit(".", 1)[-1] for c in changed)
    noun = "capability" if len(changed) == 1 else "capabilities"
    console.print(f"{code} {year}: {len(changed)} {noun} changed ({numbers})", highlight=False)


@app.command("export")
def export(
    country: CountryArg,
    for_org: ForOption,
    fmt: Annotated[FileFormat, typer.Option("--format", help="csv or json")],
    year: Annotated[int | None, typer.Option(help="one year (default: every year)")] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="write here instead of stdout")
    ] = None,
) -> None:
    """Export a country's own assessment (a year, or every year) for its government."""
    with context.unit_of_work() as session:
        principal = context.government_editor(session, for_org, why=WHY_GOVERNMENT)
        text = capabilities.export_assessment(session, principal, country, year, fmt.value)
    if not text.endswith("\n"):
        text += "\n"
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out.write_text(text, encoding="utf-8", newline="")
    err_console.print(f"wrote {len(text)} characters to {out}", highlight=False)


def _shown(cell: Cell, k: int) -> int | str:
    """A count as it may be shown: "<k" when it is below k, "hidden" when it is hidden
    only so that another can't be worked out (it need not be small)."""
    if cell.value is not None:
        return cell.value
    return f"<{k}" if cell.reason == fewer_than(k) else "hidden"


@app.command("distribution")
def distribution(
    year: Annotated[int, typer.Option(help="the year, e.g. 2026")],
    framework: Annotated[
        str, typer.Option(help="the MNR version, e.g. mnr2015 or mnr2022")
    ] = "mnr2015",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Per capability, how many countries put it in each phase; no country is named.

    Counts below ALLIANCE_DISCLOSURE_K (k) show as "<k".
    """
    k = context.settings().disclosure_k
    with context.unit_of_work() as session:
        found = capabilities.distribution(session, context.operator(), framework, year, k)
    rows: list[dict[str, Any]] = [
        {
            "number": r.item.number,
            "capability": r.item.title if fmt is OutputFormat.table else r.item.id,
            "domain": r.domain,
            "assessed": _shown(r.row.total, k),
            **{f"phase_{p}": _shown(cell, k) for p, cell in r.row.cells.items()},
        }
        for r in found.rows
    ]
    if fmt is not OutputFormat.table:
        emit(rows, fmt)
        return
    emit(
        rows,
        fmt,
        title=f"{found.framework.title}, {found.year}: countries that assessed any "
        f"capability: {_shown(found.countries, k)}",
    )
    console.print(
        f'Phases 1 (building) to 4 (maturity). "<{k}": fewer than {k} countries; "hidden": '
        "hidden so that a smaller count can't be worked out.",
        highlight=False,
    )
