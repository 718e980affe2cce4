"""A progress report as open data: JSON (the report's structure, the indicator
definitions it used and every value) and CSV (one row per value).

The JSON document (``alliance.progress-report`` version 1) is complete on its own: with
the definitions, the as-of time and the code version, a reader can tell what each figure
means and when it was true. Values hidden from the reader carry no value and no n, only
why (``suppressed``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from alliance.reports.building import ProgressReport
from alliance.reports.catalogue import get_indicator
from alliance.reports.schemas import Value

FORMAT = "alliance.progress-report"
FORMAT_VERSION = 1
CSV_COLUMNS = (
    "indicator",
    "name",
    "goal",
    "unit",
    "origin",
    "country",
    "period",
    "value",
    "n",
    "status",
    "coverage",
    "meets_target",
    "suppressed",
    "notes",
)


def value_record(value: Value) -> dict[str, Any]:
    return {
        "indicator": value.indicator,
        "country": value.country,
        "period": value.period,
        "value": value.value,
        "n": value.n,
        "status": value.status.value,
        "coverage": value.coverage,
        "meets_target": value.meets_target,
        "suppressed": value.suppressed or None,
        "notes": list(value.notes),
    }


def report_document(report: ProgressReport) -> dict[str, Any]:
    """The report as one JSON-ready document."""
    used = list(dict.fromkeys(v.indicator for v in report.values))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "title": report.title,
        "country": report.country,
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "code_version": report.code_version,
        "suppression_k": report.k,
        "reader_country": report.reader_country,
        "indicators": [get_indicator(i).model_dump(mode="json", exclude_none=True) for i in used],
        "narrative": [
            {
                "target": section.target.id,
                "status": section.narrative_status or None,
                "baseline": section.narrative["baseline"] if section.narrative else None,
                "committed": section.narrative["committed"] if section.narrative else None,
                "progress": section.narrative["progress"] if section.narrative else None,
            }
            for section in report.targets
        ]
        if report.country
        else [],
        "values": [value_record(v) for v in report.values],
    }


def report_json(report: ProgressReport) -> str:
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"


def report_csv(report: ProgressReport) -> str:
    """One row per value; a hidden value's value and n are empty and ``suppressed`` says
    why."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for value in report.values:
        indicator = get_indicator(value.indicator)
        record = value_record(value)
        writer.writerow(
            {
                **record,
                "name": indicator.name,
                "goal": indicator.goal,
                "unit": indicator.unit.value,
                "origin": indicator.origin.value,
                "country": value.country or "alliance",
                "value": "" if value.value is None else value.value,
                "n": "" if value.n is None else value.n,
                "coverage": "" if value.coverage is None else round(value.coverage, 4),
                "meets_target": ""
                if value.meets_target is None
                else str(value.meets_target).lower(),
                "suppressed": value.suppressed,
                "notes": "; ".join(value.notes),
            }
        )
    return out.getvalue()
