"""Countries' commitments and yearly reports, per reporting cycle and policy target.

For each member country, cycle (a year) and policy target of the declaration
(``ga2012.target.1`` … ``.4``), one :class:`Commitment` holds three sections in Markdown:
*baseline* (actions already undertaken), *committed* (new concrete actions) and
*progress* (what was done). Actions link to framework items and indicators by references
in double brackets (:mod:`alliance.countries.markdown`), checked when saved.

Workflow: ``draft`` → ``submitted`` (the country's editor) → ``published`` (the
secretariat, which may instead return a submitted text to draft with a reason). Editing a
published text starts a new draft; the public keeps reading the published version until
the next one is published. Every save is a new :class:`CommitmentVersion`, never changed.

Who may do what:

- the country's own editors write, and submit (:data:`Permission.COMMITMENT_EDIT`, held by
  the country editor of a government organisation whose country is the country);
- the secretariat publishes and returns (:data:`Permission.COMMITMENT_PUBLISH`);
- the working copies (drafts, submissions, history) are read by the country's government
  and the secretariat; every other member, and anonymous visitors, read what is published.

Optimistic locking: an edit names the version it started from; when another was saved
since, it is a :class:`~alliance.errors.Conflict` and nothing is written (the page shows
the text typed beside the current one).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Permission, Role
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries.markdown import check_references
from alliance.countries.models import (
    Commitment,
    CommitmentReference,
    CommitmentStatus,
    CommitmentVersion,
    MemberCountry,
)
from alliance.countries.names import check_country_code, country_name
from alliance.countries.schemas import CommitmentIn, CommitmentOut, CommitmentVersionOut
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.frameworks import Item, registry

#: The three sections of a text, in order, with what each holds.
SECTIONS: dict[str, str] = {
    "baseline": "Actions already undertaken",
    "committed": "New concrete actions",
    "progress": "What was done",
}
#: The declaration whose policy targets the commitments answer.
TARGET_PREFIX = "ga2012.target."
TARGET_NUMBERS = (1, 2, 3, 4)
#: The reporting cycles accepted: from the alliance's launch year.
FIRST_CYCLE = 2012
LAST_CYCLE = 2100
#: Who reads the audit subject: ``NL/2026/ga2012.target.1``.
SUBJECT = "commitment"


def target_id(target: int | str) -> str:
    """A policy target's framework id from its number (1–4) or its id; anything else is
    InvalidInput naming ``target``."""
    text = str(target).strip().lower()
    number = text.removeprefix(TARGET_PREFIX)
    if number.isdigit() and int(number) in TARGET_NUMBERS:
        return f"{TARGET_PREFIX}{int(number)}"
    raise InvalidInput(
        f"no policy target {target!r}: the declaration has targets 1 to 4", field="target"
    )


def target_number(target: str) -> int:
    return int(target.removeprefix(TARGET_PREFIX))


def target_item(target: str) -> Item:
    return registry().items[target]


def check_cycle(cycle: int, *, field: str = "cycle") -> int:
    """A reporting year (commitments' cycles, capability assessments' years)."""
    if not FIRST_CYCLE <= cycle <= LAST_CYCLE:
        raise InvalidInput(
            f"a reporting cycle is a year from {FIRST_CYCLE} to {LAST_CYCLE}", field=field
        )
    return cycle


def subject_id(code: str, cycle: int, target: str) -> str:
    return f"{code}/{cycle}/{target}"


# --- who may do what ---------------------------------------------------------------------


def is_country_government(principal: Principal | None, code: str) -> bool:
    """A user or key of a government organisation of country ``code``."""
    return (
        principal is not None
        and principal.organisation_kind is OrgKind.government
        and principal.country_code == code
    )


def may_edit(principal: Principal | None, code: str) -> bool:
    """The country's own editors, and no one else (not even the secretariat)."""
    return (
        principal is not None
        and principal.can(Permission.COMMITMENT_EDIT)
        and principal.role is Role.country_editor
        and is_country_government(principal, code)
    )


def may_publish(principal: Principal | None) -> bool:
    return principal is not None and principal.can(Permission.COMMITMENT_PUBLISH)


def may_see_working(principal: Principal | None, code: str) -> bool:
    """Drafts, submissions and history: the country's government and the secretariat."""
    if principal is None or not principal.can(Permission.COMMITMENT_READ):
        return False
    return may_publish(principal) or is_country_government(principal, code)


def _authorize_edit(principal: Principal, code: str) -> None:
    authorize(principal, Permission.COMMITMENT_EDIT)
    if not may_edit(principal, code):
        raise PermissionDenied(
            f"only the editors of {country_name(code) or code}'s government write its commitments"
        )


# --- reading -----------------------------------------------------------------------------


def member_country(session: Session, code: str) -> MemberCountry:
    code = check_country_code(code, field="country")
    country = session.get(MemberCountry, code)
    if country is None:
        raise NotFound(f"{country_name(code) or code} is not a member country")
    return country


def _find(session: Session, code: str, cycle: int, target: str) -> Commitment | None:
    return session.execute(
        select(Commitment).where(
            Commitment.country_code == code,
            Commitment.cycle == cycle,
            Commitment.target_id == target,
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class TargetView:
    """One policy target of a country's cycle as a reader sees it."""

    target: str
    number: int
    item: Item
    commitment: Commitment | None
    #: The version this reader is shown: the current one for the country and the
    #: secretariat, the published one for everyone else (None: nothing to show).
    shown: CommitmentVersion | None
    working: bool


def cycle_view(
    session: Session, principal: Principal | None, code: str, cycle: int
) -> list[TargetView]:
    """The four targets of ``code``'s ``cycle``. ``principal`` None is an anonymous
    visitor (the public page), who reads published versions only."""
    if principal is not None:
        authorize(principal, Permission.COMMITMENT_READ)
    country = member_country(session, code)
    check_cycle(cycle)
    working = may_see_working(principal, country.code)
    found = {
        c.target_id: c
        for c in session.execute(
            select(Commitment).where(
                Commitment.country_code == country.code, Commitment.cycle == cycle
            )
        ).scalars()
    }
    views = []
    for number in TARGET_NUMBERS:
        target = f"{TARGET_PREFIX}{number}"
        commitment = found.get(target)
        shown = None
        if commitment is not None:
            shown = commitment.current if working else commitment.published
        views.append(TargetView(target, number, target_item(target), commitment, shown, working))
    return views


def get_commitment(
    session: Session, principal: Principal | None, code: str, cycle: int, target: int | str
) -> Commitment:
    """One country's text for a cycle and target, if this reader may see it: the country
    and the secretariat always, others only once a version is published."""
    if principal is not None:
        authorize(principal, Permission.COMMITMENT_READ)
    country = member_country(session, code)
    tid = target_id(target)
    check_cycle(cycle)
    commitment = _find(session, country.code, cycle, tid)
    if commitment is None or (
        not may_see_working(principal, country.code) and commitment.published_version is None
    ):
        raise NotFound(
            f"{country.name} has no {'' if principal else 'published '}commitments for "
            f"target {target_number(tid)} in {cycle}"
        )
    return commitment


def visible_version(principal: Principal | None, commitment: Commitment) -> CommitmentVersion:
    """The version ``principal`` reads of a commitment it may see."""
    if may_see_working(principal, commitment.country_code):
        return commitment.current
    published = commitment.published
    assert published is not None  # get_commitment refuses the rest
    return published


def history(
    session: Session, principal: Principal, code: str, cycle: int, target: int | str
) -> Commitment:
    """A commitment with every version: the country's government and the secretariat."""
    commitment = get_commitment(session, principal, code, cycle, target)
    if not may_see_working(principal, commitment.country_code):
        raise PermissionDenied(
            "the versions of a country's commitments are for its government and the "
            "secretariat; the published text is on its commitments page"
        )
    return commitment


def list_commitments(
    session: Session,
    principal: Principal | None,
    *,
    country: str | None = None,
    cycle: int | None = None,
    status: CommitmentStatus | None = None,
) -> list[Commitment]:
    """Commitments this reader may see, by country, cycle and target: the country's own
    and (for the secretariat) every one in any state; otherwise the published ones."""
    if principal is not None:
        authorize(principal, Permission.COMMITMENT_READ)
    query = select(Commitment)
    if country is not None:
        query = query.where(Commitment.country_code == member_country(session, country).code)
    if cycle is not None:
        query = query.where(Commitment.cycle == check_cycle(cycle))
    if status is not None:
        query = query.where(Commitment.status == status)
    found = session.execute(
        query.order_by(Commitment.country_code, Commitment.cycle.desc(), Commitment.target_id)
    ).scalars()
    return [
        c
        for c in found
        if may_see_working(principal, c.country_code) or c.published_version is not None
    ]


def list_submitted(session: Session, principal: Principal) -> list[Commitment]:
    """What waits for the secretariat to publish, oldest submission first."""
    authorize(principal, Permission.COMMITMENT_PUBLISH)
    return list(
        session.execute(
            select(Commitment)
            .where(Commitment.status == CommitmentStatus.submitted)
            .order_by(Commitment.submitted_at, Commitment.id)
        ).scalars()
    )


def cycles_of(session: Session, principal: Principal | None, code: str) -> list[int]:
    """The cycles of ``code`` with something this reader may see, newest first."""
    return sorted(
        {c.cycle for c in list_commitments(session, principal, country=code)}, reverse=True
    )


# --- writing -----------------------------------------------------------------------------


def save(
    session: Session,
    principal: Principal,
    code: str,
    cycle: int,
    target: int | str,
    data: CommitmentIn,
) -> Commitment:
    """Save a new version of the country's text for the cycle and target.

    ``data.version`` is the version the edit started from (0 for the first). A version
    saved since is a Conflict and nothing is written. A text identical to the current
    one writes nothing. A submitted text is the secretariat's to publish or return: it
    cannot be edited meanwhile. Editing a published text starts a new draft."""
    authorize(principal, Permission.COMMITMENT_EDIT)
    country = member_country(session, code)
    _authorize_edit(principal, country.code)
    tid = target_id(target)
    check_cycle(cycle)
    texts = {section: getattr(data, section).replace("\r\n", "\n") for section in SECTIONS}
    references = {section: check_references(text, field=section) for section, text in texts.items()}
    commitment = _find(session, country.code, cycle, tid)
    current = commitment.version if commitment is not None else 0
    if data.version != current:
        latest = commitment.current if commitment is not None else None
        raise Conflict(
            f"this text changed since you opened it: you edited version {data.version}, "
            f"the current one is version {current}"
            + (
                f", saved by {_who(latest.author)} at {latest.created_at:%Y-%m-%d %H:%M} UTC"
                if latest
                else ""
            )
            + ". Nothing was saved: compare your text with the current one, then save again.",
            field="version",
        )
    if commitment is not None and commitment.status is CommitmentStatus.submitted:
        raise Conflict(
            "this text is submitted: the secretariat publishes it or returns it to draft "
            "before it can be edited again"
        )
    if commitment is not None and all(getattr(commitment.current, s) == texts[s] for s in SECTIONS):
        return commitment
    now = utcnow()
    if commitment is None:
        commitment = Commitment(
            country_code=country.code,
            cycle=cycle,
            target_id=tid,
            status=CommitmentStatus.draft,
            version=0,
            created_at=now,
        )
        session.add(commitment)
    number = current + 1
    version = CommitmentVersion(
        number=number, author=principal.audit_label, created_at=now, **texts
    )
    version.references = [
        CommitmentReference(section=section, action=r.action, kind=r.kind, ref=r.ref)
        for section, found in references.items()
        for r in _unique(found)
    ]
    commitment.versions.append(version)
    commitment.version = number
    commitment.status = CommitmentStatus.draft
    commitment.updated_at = now
    session.flush()
    record(
        session,
        principal,
        EventType.COMMITMENT_SAVED,
        SUBJECT,
        subject_id(country.code, cycle, tid),
        {
            "version": number,
            "sections_changed": [
                s
                for s in SECTIONS
                if number == 1 or getattr(commitment.version_numbered(number - 1), s) != texts[s]
            ],
            "references": len(version.references),
        },
    )
    return commitment


def submit(
    session: Session,
    principal: Principal,
    code: str,
    cycle: int,
    target: int | str,
    *,
    version: int | None = None,
) -> Commitment:
    """The country's editor hands its draft to the secretariat."""
    authorize(principal, Permission.COMMITMENT_EDIT)
    _authorize_edit(principal, member_country(session, code).code)
    commitment = _existing(session, code, cycle, target)
    _check_version(commitment, version)
    if commitment.status is not CommitmentStatus.draft:
        raise Conflict(
            f"this text is {commitment.status.value}, not a draft: only a draft is submitted"
        )
    commitment.status = CommitmentStatus.submitted
    commitment.submitted_at = commitment.updated_at = utcnow()
    commitment.returned_reason = ""
    session.flush()
    _audit(session, principal, EventType.COMMITMENT_SUBMITTED, commitment)
    return commitment


def publish(
    session: Session,
    principal: Principal,
    code: str,
    cycle: int,
    target: int | str,
    *,
    version: int | None = None,
) -> Commitment:
    """The secretariat publishes a submitted text (``version``: the one it read)."""
    authorize(principal, Permission.COMMITMENT_PUBLISH)
    commitment = _existing(session, code, cycle, target)
    _check_version(commitment, version)
    if commitment.status is not CommitmentStatus.submitted:
        raise Conflict(
            f"this text is {commitment.status.value}: only a submitted text is published"
        )
    commitment.status = CommitmentStatus.published
    commitment.published_version = commitment.version
    commitment.published_at = commitment.updated_at = utcnow()
    session.flush()
    _audit(session, principal, EventType.COMMITMENT_PUBLISHED, commitment)
    return commitment


def return_to_draft(
    session: Session,
    principal: Principal,
    code: str,
    cycle: int,
    target: int | str,
    reason: str,
    *,
    version: int | None = None,
) -> Commitment:
    """The secretariat returns a submitted text to the country, saying why."""
    authorize(principal, Permission.COMMITMENT_PUBLISH)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the text goes back to the country", field="reason")
    commitment = _existing(session, code, cycle, target)
    _check_version(commitment, version)
    if commitment.status is not CommitmentStatus.submitted:
        raise Conflict(f"this text is {commitment.status.value}: only a submitted text is returned")
    commitment.status = CommitmentStatus.draft
    commitment.returned_reason = reason
    commitment.updated_at = utcnow()
    session.flush()
    _audit(session, principal, EventType.COMMITMENT_RETURNED, commitment, reason=reason)
    return commitment


def _existing(session: Session, code: str, cycle: int, target: int | str) -> Commitment:
    country = member_country(session, code)
    tid = target_id(target)
    check_cycle(cycle)
    commitment = _find(session, country.code, cycle, tid)
    if commitment is None:
        raise NotFound(
            f"{country.name} has no commitments for target {target_number(tid)} in {cycle}"
        )
    return commitment


def _check_version(commitment: Commitment, version: int | None) -> None:
    if version is not None and version != commitment.version:
        raise Conflict(
            f"the text changed since you read it: you read version {version}, the current "
            f"one is version {commitment.version}",
            field="version",
        )


def _audit(
    session: Session,
    principal: Principal,
    event: EventType,
    commitment: Commitment,
    **details: Any,
) -> None:
    record(
        session,
        principal,
        event,
        SUBJECT,
        subject_id(commitment.country_code, commitment.cycle, commitment.target_id),
        {"version": commitment.version, "status": commitment.status.value, **details},
    )


def _unique(references: Sequence[Any]) -> list[Any]:
    seen: set[tuple[int, str, str]] = set()
    out = []
    for r in references:
        key = (r.action, r.kind, r.ref)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _who(audit_label: str) -> str:
    kind, _, name = audit_label.partition(":")
    return name or kind


# --- comparing versions ------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "context" | "added" | "removed" | "hunk"
    text: str


@dataclass(frozen=True)
class SectionDiff:
    section: str
    title: str
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return bool(self.lines)


def diff_texts(old: str, new: str, *, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff of two texts, line by line, each line tagged for display."""
    out = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("removed", line[1:]))
        else:
            out.append(DiffLine("context", line[1:]))
    return out


def diff_versions(old: CommitmentVersion | None, new: CommitmentVersion) -> list[SectionDiff]:
    """What changed from ``old`` (None: nothing) to ``new``, section by section."""
    old_name = f"version {old.number}" if old else "nothing"
    return [
        SectionDiff(
            section,
            title,
            diff_texts(
                getattr(old, section) if old else "",
                getattr(new, section),
                old_name=old_name,
                new_name=f"version {new.number}",
            ),
        )
        for section, title in SECTIONS.items()
    ]


def diff_against(texts: dict[str, str], current: CommitmentVersion) -> list[SectionDiff]:
    """From the current version to a text typed (a stale edit): what the typist changed."""
    return [
        SectionDiff(
            section,
            title,
            diff_texts(
                getattr(current, section),
                texts.get(section, ""),
                old_name=f"version {current.number}",
                new_name="your text",
            ),
        )
        for section, title in SECTIONS.items()
    ]


def commitment_out(principal: Principal | None, commitment: Commitment) -> CommitmentOut:
    """What ``principal`` may know of a commitment it may see: everything for the country
    and the secretariat; the published text and its dates for the rest."""
    working = may_see_working(principal, commitment.country_code)
    shown = visible_version(principal, commitment)
    item = target_item(commitment.target_id)
    return CommitmentOut(
        country=commitment.country_code,
        country_name=country_name(commitment.country_code) or commitment.country_code,
        cycle=commitment.cycle,
        target=commitment.target_id,
        target_number=target_number(commitment.target_id),
        target_title=item.title,
        status=commitment.status.value if working else CommitmentStatus.published.value,
        version=commitment.version if working else shown.number,
        published_version=commitment.published_version,
        returned_reason=commitment.returned_reason if working else None,
        updated_at=commitment.updated_at if working else None,
        submitted_at=commitment.submitted_at if working else None,
        published_at=commitment.published_at,
        text=CommitmentVersionOut.model_validate(shown),
    )
