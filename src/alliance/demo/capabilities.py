"""Synthetic capability self-assessments for the demo register: **demo data, not any
country's assessment**.

Most founding countries rate the 21 capabilities of the 2015 Model National Response for
2025, and fewer again for 2026 (a year still in progress), each from a seeded country
"maturity" plus noise and a little progress between the years, so that the alliance-wide
distribution holds both shown and hidden (fewer than k) counts. The Netherlands has 2025
only: its editor (``nl-editor``) starts 2026 from it. Written as each country's own
government would write them (a demo editor of that government), through the same service.
"""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.countries import capabilities
from alliance.countries.names import country_name
from alliance.countries.schemas import CapabilityAssessmentIn
from alliance.frameworks import registry
from alliance.frameworks.schemas import ItemKind

FRAMEWORK = "mnr2015"
YEARS = (2025, 2026)
#: Countries that have not assessed yet (the rest of the register has).
NOT_YET = frozenset({"BR", "GH", "VN", "KH", "TH", "NG", "AL", "HR"})
#: Countries that have not assessed the current year yet (the Netherlands starts in the
#: demo's walk-through).
NOT_THIS_YEAR = frozenset({"NL", "PL", "RO", "BG", "CY", "MT", "LU", "SI", "AU", "CA"})
NOTE = "Demo data: synthetic, not {name}'s assessment."


def _editor(code: str) -> Principal:
    """A stand-in editor of ``code``'s government, for the demo's own writing."""
    return Principal.country_editor(code, kind="demo", name=f"{code.lower()}-editor")


def build(session: Session, codes: list[str], *, seed: int = 16) -> int:
    """Record the demo self-assessments of ``codes``; returns how many capability
    assessments were recorded."""
    items = registry().framework(FRAMEWORK).of_kind(ItemKind.capability)
    count = 0
    for code in codes:
        if code in NOT_YET:
            continue
        rng = random.Random(f"{seed}:capabilities:{code}")  # noqa: S311 - demo data, by seed
        maturity = rng.uniform(1.2, 3.8)
        note = NOTE.format(name=country_name(code) or code)
        phases = {item.id: min(4, max(1, round(maturity + rng.gauss(0, 0.7)))) for item in items}
        for year in YEARS:
            if year == YEARS[-1]:
                if code in NOT_THIS_YEAR:
                    continue
                # A year on, some capabilities move up a phase.
                phases = {k: min(4, p + (rng.random() < 0.25)) for k, p in phases.items()}
            entries = [
                CapabilityAssessmentIn(
                    capability=item.id,
                    phase=phases[item.id],
                    evidence=f"{note} Capability {item.number}: see the national action plan.",
                    links=[f"https://{code.lower()}-government.example.test/mnr/{item.number}"],
                )
                for item in items
            ]
            count += len(capabilities.save_assessment(session, _editor(code), code, year, entries))
    return count
