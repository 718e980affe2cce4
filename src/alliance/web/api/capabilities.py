"""API for capability self-assessments: a country's own (its government's editors only)
and the alliance-wide distribution every member reads (small counts hidden, no country
named). Routes only parse and call :mod:`alliance.countries.capabilities`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries import capabilities
from alliance.countries.commitments import FIRST_CYCLE, LAST_CYCLE
from alliance.countries.schemas import (
    CapabilityAssessmentIn,
    CapabilityAssessmentOut,
    DistributionOut,
)
from alliance.web.api.countries import Country
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1", tags=["capabilities"])

Year = Annotated[int, Path(ge=FIRST_CYCLE, le=LAST_CYCLE, description="the assessment's year")]


class AssessmentSave(BaseModel):
    """Capabilities to record for the year, all or nothing; a null phase clears one."""

    capabilities: list[CapabilityAssessmentIn] = Field(min_length=1, max_length=100)


class AssessmentSaved(BaseModel):
    changed: list[str] = Field(description="the capabilities whose assessment changed")
    assessments: list[CapabilityAssessmentOut]


@router.get("/countries/{country}/capabilities")
def list_capability_assessments(
    country: Country,
    session: DbSession,
    year: Annotated[int | None, Query(ge=FIRST_CYCLE, le=LAST_CYCLE)] = None,
    principal: Principal = requires(Permission.CAPABILITY_READ),
) -> list[CapabilityAssessmentOut]:
    """The country's own assessment (a year, or every year newest first): its
    government's editors only."""
    return capabilities.list_assessments(session, principal, country, year)


@router.put("/countries/{country}/capabilities/{year}")
def save_capability_assessments(
    country: Country,
    year: Year,
    body: AssessmentSave,
    session: DbSession,
    principal: Principal = requires(Permission.CAPABILITY_ASSESS),
) -> AssessmentSaved:
    """Record phases (1-4), evidence and links for some or all capabilities of the year;
    a bad entry refuses the whole request, naming its capability."""
    changed = capabilities.save_assessment(session, principal, country, year, body.capabilities)
    return AssessmentSaved(
        changed=changed,
        assessments=capabilities.list_assessments(session, principal, country, year),
    )


@router.get("/capabilities/distribution")
def capability_distribution(
    request: Request,
    session: DbSession,
    year: Annotated[int, Query(ge=FIRST_CYCLE, le=LAST_CYCLE)],
    framework: Annotated[str, Query(max_length=32)] = "mnr2015",
    principal: Principal = requires(Permission.CAPABILITY_DISTRIBUTION),
) -> DistributionOut:
    """Per capability, how many countries are in each phase: counts of fewer than k
    countries (the setting ALLIANCE_DISCLOSURE_K) are null with the reason."""
    k = app_state(request).settings.disclosure_k
    found = capabilities.distribution(session, principal, framework, year, k)
    return capabilities.distribution_out(found)
