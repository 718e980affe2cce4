"""The alliance's progress report: each operational goal measured from what happened in the
workflows (victims identified, referrals, notices and removals, holds, hash-list use), per
member country and alliance-wide, beside the country's own narrative commitments.

- :mod:`~alliance.reports.catalogue`: the indicators (``data/indicators.json``): what each
  measures, for which operational goal, how it is attributed to a country, its clocks.
- :mod:`~alliance.reports.periods`: years and quarters.
- :mod:`~alliance.reports.survival`: Kaplan–Meier estimates of times that may not have
  ended yet (an item still online is right-censored, never dropped).
- :mod:`~alliance.reports.identification` and :mod:`~alliance.reports.removal`: the
  indicators of goal 1 (victims) and goal 7 (notice and takedown), computed with
  set-based SQL.
- :mod:`~alliance.reports.computation`: every indicator for the countries and periods asked.

This package reads the domain packages' tables; it sits above them (see
docs/architecture.md) and below the interfaces.
"""
