"""API for countries' commitments and yearly reports, per cycle and policy target.

Routes only parse and call :mod:`alliance.countries.commitments`, which decides who
reads what (the country's government and the secretariat the working copies, others the
published text), who writes (the country's own editors) and who publishes (the
secretariat).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries import commitments
from alliance.countries.commitments import FIRST_CYCLE, LAST_CYCLE
from alliance.countries.models import CommitmentStatus
from alliance.countries.schemas import (
    CommitmentIn,
    CommitmentOut,
    CommitmentReturn,
    CommitmentStep,
    CommitmentVersionOut,
)
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires

router = APIRouter(prefix="/api/v1", tags=["countries"])

Country = Annotated[
    str, Path(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code, e.g. NL")
]
Cycle = Annotated[int, Path(ge=FIRST_CYCLE, le=LAST_CYCLE, description="the reporting year")]
Target = Annotated[int, Path(ge=1, le=4, description="the policy target (1-4) of ga2012")]


@router.get("/countries/{country}/commitments")
def list_country_commitments(
    country: Country,
    session: DbSession,
    cycle: Annotated[int | None, Query(ge=FIRST_CYCLE, le=LAST_CYCLE)] = None,
    status: CommitmentStatus | None = None,
    principal: Principal = requires(Permission.COMMITMENT_READ),
) -> list[CommitmentOut]:
    """A country's commitments, by cycle (newest first) and target: every state for its
    government and the secretariat, the published text for other members."""
    found = commitments.list_commitments(
        session, principal, country=country, cycle=cycle, status=status
    )
    return [commitments.commitment_out(principal, c) for c in found]


@router.get("/countries/{country}/commitments/{cycle}/{target}")
def get_commitment(
    country: Country,
    cycle: Cycle,
    target: Target,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_READ),
) -> CommitmentOut:
    """One country's text for a cycle and policy target."""
    found = commitments.get_commitment(session, principal, country, cycle, target)
    return commitments.commitment_out(principal, found)


@router.get("/countries/{country}/commitments/{cycle}/{target}/versions")
def list_commitment_versions(
    country: Country,
    cycle: Cycle,
    target: Target,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_READ),
) -> list[CommitmentVersionOut]:
    """Every version, oldest first: the country's government and the secretariat."""
    found = commitments.history(session, principal, country, cycle, target)
    return [CommitmentVersionOut.model_validate(v) for v in found.versions]


@router.put("/countries/{country}/commitments/{cycle}/{target}", responses=answers(409))
def save_commitment(
    country: Country,
    cycle: Cycle,
    target: Target,
    body: CommitmentIn,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_EDIT),
) -> CommitmentOut:
    """Save a new version (the country's own editors). ``version`` is the version the
    edit started from (0 for the first): if another was saved since, 409 and nothing is
    written. A submitted text cannot be edited (409) until published or returned."""
    found = commitments.save(session, principal, country, cycle, target, body)
    return commitments.commitment_out(principal, found)


@router.post("/countries/{country}/commitments/{cycle}/{target}/submit", responses=answers(409))
def submit_commitment(
    country: Country,
    cycle: Cycle,
    target: Target,
    body: CommitmentStep,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_EDIT),
) -> CommitmentOut:
    """Hand the draft to the secretariat (the country's own editors)."""
    found = commitments.submit(session, principal, country, cycle, target, version=body.version)
    return commitments.commitment_out(principal, found)


@router.post("/countries/{country}/commitments/{cycle}/{target}/publish", responses=answers(409))
def publish_commitment(
    country: Country,
    cycle: Cycle,
    target: Target,
    body: CommitmentStep,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_PUBLISH),
) -> CommitmentOut:
    """Publish a submitted text (the secretariat): anyone may then read it."""
    found = commitments.publish(session, principal, country, cycle, target, version=body.version)
    return commitments.commitment_out(principal, found)


@router.post("/countries/{country}/commitments/{cycle}/{target}/return", responses=answers(409))
def return_commitment(
    country: Country,
    cycle: Cycle,
    target: Target,
    body: CommitmentReturn,
    session: DbSession,
    principal: Principal = requires(Permission.COMMITMENT_PUBLISH),
) -> CommitmentOut:
    """Return a submitted text to its country as a draft, with the reason (the secretariat)."""
    found = commitments.return_to_draft(
        session, principal, country, cycle, target, body.reason, version=body.version
    )
    return commitments.commitment_out(principal, found)


@router.get("/commitments/submitted")
def list_submitted_commitments(
    session: DbSession, principal: Principal = requires(Permission.COMMITMENT_PUBLISH)
) -> list[CommitmentOut]:
    """What waits for the secretariat to publish, oldest submission first."""
    return [
        commitments.commitment_out(principal, c)
        for c in commitments.list_submitted(session, principal)
    ]
