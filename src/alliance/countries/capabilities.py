"""National capability self-assessment against the Model National Response (MNR).

Each year a member country rates each capability of the MNR version it reports against
in one of four phases, from 1 (building) to 4 (maturity), with evidence and links. The
phases are the MNR maturity model's; the names of the two middle ones are not in the
sources found, so they are called by number.

**Private to the country.** WeProtect's maturity tool promises that individual results
are not used to rank or benchmark countries and are shared only aggregated and anonymised;
so here a country's assessment is read and written by its own government's editors only,
not even by the secretariat. Everyone else (the secretariat and every member) sees the
alliance-wide :func:`distribution`: per capability, how many countries are in each phase,
with every count below ``k`` (the setting ``ALLIANCE_DISCLOSURE_K``) hidden
(:mod:`alliance.disclosure`). No page, file or API names a country beside a phase, or
ranks countries. The audit log records that a country's assessment changed and which
capabilities, never the phases (the secretariat reads the audit log).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Role
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries.commitments import (
    check_cycle,
    is_country_government,
    member_country,
)
from alliance.countries.models import CapabilityAssessment, MemberCountry
from alliance.countries.names import country_name
from alliance.countries.schemas import (
    CapabilityAssessmentIn,
    CapabilityAssessmentOut,
    CapabilityDistributionOut,
    DistributionOut,
    PhaseCountOut,
)
from alliance.db.base import utcnow
from alliance.disclosure import Cell, Row, suppress_row
from alliance.errors import InvalidInput, PermissionDenied
from alliance.frameworks import registry
from alliance.frameworks.schemas import Framework, Item, ItemKind
from alliance.validation import validated, web_address

#: The four phases of the MNR maturity model.
PHASES: dict[int, str] = {1: "Building", 2: "Phase 2", 3: "Phase 3", 4: "Maturity"}
PHASE_HINTS: dict[int, str] = {
    1: "the capability is being built",
    2: "between building and maturity",
    3: "nearer maturity",
    4: "the capability is mature",
}
#: The framework family whose capabilities are assessed.
FAMILY = "mnr"
SUBJECT = "capability_assessment"
MAX_LINKS = 20


def phase_name(phase: int) -> str:
    return f"{phase} — {PHASES[phase]}"


def check_year(year: int) -> int:
    return check_cycle(year, field="year")


# --- who may do what ---------------------------------------------------------------------


def may_read(principal: Principal | None, code: str) -> bool:
    """The country's own government's editors, and no one else (not the secretariat)."""
    return (
        principal is not None
        and principal.can(Permission.CAPABILITY_READ)
        and is_country_government(principal, code)
    )


def may_assess(principal: Principal | None, code: str) -> bool:
    return (
        may_read(principal, code)
        and principal is not None
        and principal.can(Permission.CAPABILITY_ASSESS)
        and principal.role is Role.country_editor
    )


def own_country(principal: Principal | None) -> str | None:
    """The country whose assessment ``principal`` reads, if any."""
    if principal is None or principal.country_code is None:
        return None
    return principal.country_code if may_read(principal, principal.country_code) else None


def _authorize_read(principal: Principal, code: str) -> None:
    authorize(principal, Permission.CAPABILITY_READ)
    if not may_read(principal, code):
        raise PermissionDenied(
            f"{country_name(code) or code}'s capability self-assessment is for its own "
            "government only; the alliance-wide distribution shows how countries stand"
        )


def _authorize_assess(principal: Principal, code: str) -> None:
    authorize(principal, Permission.CAPABILITY_ASSESS)
    if not may_assess(principal, code):
        raise PermissionDenied(
            f"only the editors of {country_name(code) or code}'s government assess its capabilities"
        )


# --- the capabilities a country assesses ------------------------------------------------


def mnr_frameworks() -> list[Framework]:
    """Every MNR version, newest first."""
    found = [f for f in registry().frameworks.values() if f.family == FAMILY]
    return sorted(found, key=lambda f: f.version, reverse=True)


def framework_of(country: MemberCountry) -> Framework:
    """The MNR version ``country`` reports against (the newest when it names several)."""
    ids = set(country.framework_ids)
    for framework in mnr_frameworks():
        if framework.id in ids:
            return framework
    raise InvalidInput(
        f"{country.name} does not report against a Model National Response version: the "
        "secretariat adds one (e.g. mnr2015) to its frameworks in the register",
        field="country",
    )


def mnr_framework(framework_id: str) -> Framework:
    """An MNR version by id; anything else is InvalidInput naming ``framework`` (a filter
    of the distribution, not a record looked up)."""
    framework = registry().frameworks.get(framework_id.strip().lower())
    if framework is None or framework.family != FAMILY:
        raise InvalidInput(
            f"{framework_id.strip()[:32]} is not a Model National Response version "
            f"(those are {', '.join(f.id for f in mnr_frameworks())})",
            field="framework",
        )
    return framework


@dataclass(frozen=True)
class Domain:
    item: Item
    capabilities: list[Item]


def domains(framework: Framework) -> list[Domain]:
    """The framework's capabilities by domain, in the framework's order."""
    grouped: dict[str | None, list[Item]] = defaultdict(list)
    for item in framework.of_kind(ItemKind.capability):
        grouped[item.parent].append(item)
    return [
        Domain(domain, grouped[domain.id])
        for domain in framework.of_kind(ItemKind.domain)
        if grouped[domain.id]
    ]


def capability_item(framework: Framework, capability: str, *, field: str) -> Item:
    """A capability of ``framework`` by id or number ("12")."""
    wanted = capability.strip().lower()
    for item in framework.of_kind(ItemKind.capability):
        if wanted in (item.id, (item.number or "").lower()):
            return item
    raise InvalidInput(f"{framework.id} has no capability {capability.strip()[:40]!r}", field=field)


def _domain_title(item: Item) -> str:
    parent = registry().items.get(item.parent or "")
    return parent.title if parent is not None else ""


# --- reading a country's own assessment --------------------------------------------------


@dataclass(frozen=True)
class CapabilityRow:
    item: Item
    assessment: CapabilityAssessment | None


@dataclass(frozen=True)
class AssessmentView:
    country: MemberCountry
    year: int
    framework: Framework
    domains: list[tuple[Item, list[CapabilityRow]]]
    #: The years the country has assessed anything, newest first.
    years: list[int]

    @property
    def assessed(self) -> int:
        return sum(1 for _, rows in self.domains for row in rows if row.assessment)

    @property
    def capabilities(self) -> int:
        return sum(len(rows) for _, rows in self.domains)


def _rows(session: Session, code: str, year: int | None) -> list[CapabilityAssessment]:
    query = select(CapabilityAssessment).where(CapabilityAssessment.country_code == code)
    if year is not None:
        query = query.where(CapabilityAssessment.year == year)
    return list(
        session.execute(
            query.order_by(CapabilityAssessment.year.desc(), CapabilityAssessment.id)
        ).scalars()
    )


def years_of(session: Session, code: str) -> list[int]:
    return list(
        session.execute(
            select(CapabilityAssessment.year)
            .where(CapabilityAssessment.country_code == code)
            .distinct()
            .order_by(CapabilityAssessment.year.desc())
        ).scalars()
    )


def assessment_view(session: Session, principal: Principal, code: str, year: int) -> AssessmentView:
    """The country's assessment for ``year``: every capability of its MNR version, with
    its phase where one is recorded. Its own government's editors only."""
    country = member_country(session, code)
    _authorize_read(principal, country.code)
    check_year(year)
    framework = framework_of(country)
    found = {a.capability_id: a for a in _rows(session, country.code, year)}
    grouped = [
        (d.item, [CapabilityRow(item, found.get(item.id)) for item in d.capabilities])
        for d in domains(framework)
    ]
    return AssessmentView(country, year, framework, grouped, years_of(session, country.code))


def assessment_out(row: CapabilityAssessment) -> CapabilityAssessmentOut:
    item = registry().items[row.capability_id]
    return CapabilityAssessmentOut(
        country=row.country_code,
        year=row.year,
        capability=row.capability_id,
        number=item.number,
        title=item.title,
        domain=_domain_title(item),
        phase=row.phase,
        phase_name=PHASES[row.phase],
        evidence=row.evidence,
        links=list(row.links),
        assessed_by=row.assessed_by,
        updated_at=row.updated_at,
    )


def list_assessments(
    session: Session, principal: Principal, code: str, year: int | None = None
) -> list[CapabilityAssessmentOut]:
    """The country's assessments (of ``year``, or every year, newest first)."""
    country = member_country(session, code)
    _authorize_read(principal, country.code)
    if year is not None:
        check_year(year)
    rows = _rows(session, country.code, year)
    order = {item_id: n for n, item_id in enumerate(registry().items)}
    rows.sort(key=lambda r: (-r.year, order.get(r.capability_id, 0)))
    return [assessment_out(r) for r in rows]


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    item: Item
    phase: int | None
    evidence: str
    links: list[str]


def _check(framework: Framework, entries: Sequence[CapabilityAssessmentIn]) -> list[Checked]:
    checked: dict[str, Checked] = {}
    for entry in entries:
        item = capability_item(framework, entry.capability, field="capability")
        field = f"phase.{item.id}"
        label = f"capability {item.number or item.id} ({item.title})"
        if entry.phase is not None and entry.phase not in PHASES:
            raise InvalidInput(f"{label}: a phase is 1, 2, 3 or 4", field=field)
        links = [
            web_address(link, field=f"links.{item.id}") for link in entry.links if link.strip()
        ]
        if len(links) > MAX_LINKS:
            raise InvalidInput(f"{label}: at most {MAX_LINKS} links", field=f"links.{item.id}")
        evidence = entry.evidence.replace("\r\n", "\n").strip()
        if entry.phase is None and (evidence or links):
            raise InvalidInput(
                f"{label}: choose a phase for the evidence given, or clear the evidence",
                field=field,
            )
        if item.id in checked:
            raise InvalidInput(f"{label} is given twice", field=field)
        checked[item.id] = Checked(item, entry.phase, evidence, list(dict.fromkeys(links)))
    return list(checked.values())


def save_assessment(
    session: Session,
    principal: Principal,
    code: str,
    year: int,
    entries: Sequence[CapabilityAssessmentIn],
) -> list[str]:
    """Record the phases, evidence and links of some or all capabilities for ``year``, all
    or nothing (a bad entry names its capability and nothing is written). A phase of None
    clears a capability. Returns the ids of the capabilities that changed."""
    country = member_country(session, code)
    _authorize_assess(principal, country.code)
    check_year(year)
    framework = framework_of(country)
    checked = _check(framework, entries)
    existing = {a.capability_id: a for a in _rows(session, country.code, year)}
    changed: list[str] = []
    now = utcnow()
    for entry in checked:
        row = existing.get(entry.item.id)
        if entry.phase is None:
            if row is not None:
                session.delete(row)
                changed.append(entry.item.id)
            continue
        if row is None:
            session.add(
                CapabilityAssessment(
                    country_code=country.code,
                    year=year,
                    capability_id=entry.item.id,
                    phase=entry.phase,
                    evidence=entry.evidence,
                    links=entry.links,
                    assessed_by=principal.audit_label,
                    created_at=now,
                    updated_at=now,
                )
            )
            changed.append(entry.item.id)
        elif (row.phase, row.evidence, list(row.links)) != (
            entry.phase,
            entry.evidence,
            entry.links,
        ):
            row.phase, row.evidence, row.links = entry.phase, entry.evidence, entry.links
            row.assessed_by, row.updated_at = principal.audit_label, now
            changed.append(entry.item.id)
    if changed:
        session.flush()
        # Which capabilities changed, never their phases: the secretariat reads the log.
        record(
            session,
            principal,
            EventType.CAPABILITY_ASSESSED,
            SUBJECT,
            f"{country.code}/{year}",
            {"framework": framework.id, "capabilities": changed},
        )
    return changed


def start_from(
    session: Session, principal: Principal, code: str, year: int, from_year: int
) -> list[str]:
    """Copy ``from_year``'s assessment into ``year`` for the capabilities ``year`` has not
    assessed yet (a starting point to revise, not a new assessment)."""
    country = member_country(session, code)
    _authorize_assess(principal, country.code)
    check_year(year)
    check_year(from_year)
    if from_year == year:
        raise InvalidInput("choose another year to start from", field="from_year")
    source = _rows(session, country.code, from_year)
    if not source:
        raise InvalidInput(
            f"{country.name} has no assessment for {from_year} to start from", field="from_year"
        )
    framework = framework_of(country)
    have = {a.capability_id for a in _rows(session, country.code, year)}
    capabilities = {item.id for item in framework.of_kind(ItemKind.capability)}
    copied = [
        CapabilityAssessmentIn(
            capability=a.capability_id, phase=a.phase, evidence=a.evidence, links=list(a.links)
        )
        for a in source
        if a.capability_id not in have and a.capability_id in capabilities
    ]
    if not copied:
        raise InvalidInput(
            f"every capability {from_year} assessed is already assessed in {year}",
            field="from_year",
        )
    return save_assessment(session, principal, country.code, year, copied)


# --- export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "country",
    "year",
    "capability",
    "number",
    "title",
    "domain",
    "phase",
    "phase_name",
    "evidence",
    "links",
    "assessed_by",
    "updated_at",
)


def export_assessment(
    session: Session, principal: Principal, code: str, year: int | None, fmt: str
) -> str:
    """The country's own assessment (one year, or all) as ``csv`` or ``json``; audited."""
    if fmt not in ("csv", "json"):
        raise InvalidInput("choose csv or json", field="format")
    rows = list_assessments(session, principal, code, year)
    record(
        session,
        principal,
        EventType.CAPABILITY_EXPORTED,
        SUBJECT,
        f"{code.strip().upper()}/{year if year is not None else 'all'}",
        {"format": fmt, "rows": len(rows)},
    )
    if fmt == "json":
        return json.dumps([r.model_dump(mode="json") for r in rows], indent=2, ensure_ascii=False)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        data: dict[str, Any] = r.model_dump(mode="json")
        data["links"] = " ".join(r.links)
        writer.writerow({column: data[column] for column in EXPORT_COLUMNS})
    return out.getvalue()


# --- import ------------------------------------------------------------------------------

#: The columns an import reads; the export's other columns (number, title, ...) are ignored.
IMPORT_COLUMNS = ("capability", "phase", "evidence", "links")


def import_assessment(
    session: Session, principal: Principal, code: str, year: int, text: str, fmt: str
) -> list[str]:
    """Record a file of rows (capability, phase, evidence, links, as
    :func:`export_assessment` writes them) for ``year`` through :func:`save_assessment`:
    all or nothing, the first bad row named by its line (where its record starts). An empty
    phase clears a capability; links are a JSON list, or separated by spaces. A row naming
    another country is refused; its year is the command's (a file exported for 2025 starts
    2026)."""
    if fmt not in ("csv", "json"):
        raise InvalidInput("choose csv or json", field="format")
    country = member_country(session, code)
    _authorize_assess(principal, country.code)
    check_year(year)
    framework = framework_of(country)
    rows = _csv_rows(text) if fmt == "csv" else _json_rows(text)
    if not rows:
        raise InvalidInput("the file has no rows", field="file")
    entries: list[CapabilityAssessmentIn] = []
    lines: dict[str, int] = {}
    for line, raw in rows:
        try:
            entry = _import_entry(raw, country.code)
            (checked,) = _check(framework, [entry])
        except InvalidInput as exc:
            raise InvalidInput(f"line {line}: {exc.message}", field="file") from None
        item = checked.item
        if item.id in lines:
            raise InvalidInput(
                f"line {line}: capability {item.number or item.id} is given twice (first on "
                f"line {lines[item.id]})",
                field="file",
            )
        lines[item.id] = line
        entries.append(entry)
    return save_assessment(session, principal, country.code, year, entries)


def _import_entry(raw: object, code: str) -> CapabilityAssessmentIn:
    if not isinstance(raw, dict):
        raise InvalidInput("a row is an object with capability, phase, evidence and links")
    other = raw.get("country")
    if isinstance(other, str) and other.strip() and other.strip().upper() != code:
        raise InvalidInput(f"the row is {other.strip()[:10]!r}'s, not {code}'s")
    phase = raw.get("phase")
    links = raw.get("links")
    if isinstance(links, str):
        links = links.split()
    return validated(
        CapabilityAssessmentIn,
        capability=raw.get("capability"),
        phase=None if isinstance(phase, str) and not phase.strip() else phase,
        evidence=raw.get("evidence") or "",
        links=links or [],
    )


def _csv_rows(text: str) -> list[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = [c for c in IMPORT_COLUMNS[:2] if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidInput(f"line 1: missing column {missing[0]!r}", field="file")
        rows: list[tuple[int, object]] = []
        start = reader.line_num + 1
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: not CSV: {exc}", field="file") from None
    return rows


def _json_rows(text: str) -> list[tuple[int, object]]:
    """The rows of a JSON list, each with the line its object starts on."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {exc.lineno}: not JSON: {exc.msg}", field="file") from None
    # Valid JSON: walk the list once more to learn where each row starts.
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        raise InvalidInput("line 1: a JSON file is a list of rows, [{...}, ...]", field="file")
    decoder = json.JSONDecoder()
    rows: list[tuple[int, object]] = []
    line, counted = 1, 0
    pos = _skip_space(text, pos + 1)
    while not text.startswith("]", pos):
        value, end = decoder.raw_decode(text, pos)
        line, counted = line + text.count("\n", counted, pos), pos
        rows.append((line, value))
        pos = _skip_space(text, end)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
    return rows


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


# --- the alliance-wide distribution ------------------------------------------------------


@dataclass(frozen=True)
class DistributionRow:
    item: Item
    domain: str
    row: Row[int]
    #: The reader's own country's phase (only for its own government), else None.
    own_phase: int | None


@dataclass(frozen=True)
class Distribution:
    framework: Framework
    year: int
    k: int
    countries: Cell
    rows: list[DistributionRow]
    #: Years with any assessment of the framework, newest first.
    years: list[int]


def distribution(
    session: Session, principal: Principal, framework_id: str, year: int | None, k: int
) -> Distribution:
    """Per capability of ``framework_id``, how many countries put it in each phase in
    ``year`` (None: the latest year assessed, else this year): counted in the database,
    every count of fewer than ``k`` hidden, no country named. The reader's own country's
    phases are added only for its own government."""
    authorize(principal, Permission.CAPABILITY_DISTRIBUTION)
    framework = mnr_framework(framework_id)
    prefix = f"{framework.id}."
    in_framework = CapabilityAssessment.capability_id.startswith(prefix, autoescape=True)
    years = list(
        session.execute(
            select(CapabilityAssessment.year)
            .where(in_framework)
            .distinct()
            .order_by(CapabilityAssessment.year.desc())
        ).scalars()
    )
    if year is None:
        year = years[0] if years else utcnow().year
    check_year(year)
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for capability_id, phase, n in session.execute(
        select(
            CapabilityAssessment.capability_id,
            CapabilityAssessment.phase,
            func.count(),
        )
        .where(CapabilityAssessment.year == year, in_framework)
        .group_by(CapabilityAssessment.capability_id, CapabilityAssessment.phase)
    ):
        counts[capability_id][int(phase)] = int(n)
    countries = session.execute(
        select(func.count(func.distinct(CapabilityAssessment.country_code))).where(
            CapabilityAssessment.year == year, in_framework
        )
    ).scalar_one()
    own: dict[str, int] = {}
    code = own_country(principal)
    if code is not None:
        own = {
            a.capability_id: a.phase
            for a in _rows(session, code, year)
            if a.capability_id.startswith(prefix)
        }
    shown_countries = suppress_row({"countries": int(countries)}, k).total
    rows = [
        DistributionRow(
            item=item,
            domain=d.item.title,
            row=suppress_row(counts.get(item.id, {}), k, keys=list(PHASES)),
            own_phase=own.get(item.id),
        )
        for d in domains(framework)
        for item in d.capabilities
    ]
    return Distribution(framework, year, k, shown_countries, rows, years)


def _cell_out(cell: Cell) -> PhaseCountOut:
    return PhaseCountOut(count=cell.value, hidden=cell.reason)


def distribution_out(found: Distribution) -> DistributionOut:
    return DistributionOut(
        framework=found.framework.id,
        year=found.year,
        k=found.k,
        countries=_cell_out(found.countries),
        capabilities=[
            CapabilityDistributionOut(
                capability=r.item.id,
                number=r.item.number,
                title=r.item.title,
                domain=r.domain,
                assessed=_cell_out(r.row.total),
                phases={str(p): _cell_out(c) for p, c in r.row.cells.items()},
            )
            for r in found.rows
        ],
    )
