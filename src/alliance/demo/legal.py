"""Synthetic legal reviews for the demo register: **demo data, not a legal assessment**.

Every founding country gets two published reviews (2019 and 2024), drawn from a seeded
generator so that the matrix, its gap report and the change since the previous review
mean something; the Netherlands also has a newer, unpublished review waiting for the
secretariat to publish it. Statutes are placeholders, never real citations. Each
review carries ``demo=True``, which every page showing it turns into the label.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.countries.names import country_name
from alliance.legal import matrix
from alliance.legal.schemas import ReviewIn

CYCLES = (date(2019, 6, 1), date(2024, 6, 1))
DRAFT = ("NL", date(2026, 11, 2))
NOTE = "Demo data, not a legal assessment: synthetic values for trying the interface."


def _review(rng: random.Random, code: str, on: date, strength: float, published: bool) -> ReviewIn:
    plan = matrix.scheme()
    criteria: dict[str, Any] = {}
    for item in plan.criteria:
        roll = rng.random()
        status = "met" if roll < strength else ("partly" if roll < strength + 0.15 else "not_met")
        criteria[item.id] = {
            "status": status,
            "statute": f"Demo statute {code}-{item.number} (placeholder)"
            if status != "not_met"
            else "",
        }
    scores: dict[str, int] = {}
    for item in plan.scored:
        assert item.scale is not None
        top = item.scale.max
        scores[item.id] = min(
            top, max(item.scale.min, round(top * strength + rng.uniform(-1, 0.6)))
        )
    coverage = ("covered", "not_covered", "unclear")
    return ReviewIn.model_validate(
        {
            "country": code,
            "reviewed_on": on,
            "reviewed_by": "Alliance secretariat (demo)",
            "criteria": criteria,
            "scores": scores,
            "non_photographic": coverage[0]
            if rng.random() < strength
            else rng.choice(coverage[1:]),
            "ai_generated": coverage[0]
            if rng.random() < strength - 0.3
            else rng.choice(coverage[1:]),
            "provider_reporting": "covered"
            if criteria[plan.criteria[-1].id]["status"] == "met"
            else "not_covered",
            "notes": NOTE,
            "sources": [
                {
                    "citation": f"Demo source for {country_name(code, common=True) or code}",
                    "url": f"https://legal.example.test/{code.lower()}/{on.year}",
                    "dated": on,
                }
            ],
            "published": published,
            "demo": True,
        }
    )


def build(session: Session, actor: Principal, codes: list[str], *, seed: int = 16) -> int:
    """Record the demo reviews of ``codes``; returns how many were recorded."""
    count = 0
    for code in codes:
        rng = random.Random(f"{seed}:{code}")  # noqa: S311 - demo data, repeatable by seed
        strength = rng.uniform(0.35, 0.95)
        for n, on in enumerate(CYCLES):
            # The later cycle is a little stronger: law tends to improve between reviews.
            matrix.record_review(
                session, actor, _review(rng, code, on, min(0.98, strength + 0.1 * n), True)
            )
            count += 1
        if code == DRAFT[0]:
            matrix.record_review(session, actor, _review(rng, code, DRAFT[1], 0.97, False))
            count += 1
    return count
