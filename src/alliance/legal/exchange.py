"""The legal matrix as CSV and JSON: export every review the caller may see, import a
file all or nothing.

Both formats carry the same fields. JSON: ``{"format": "alliance.legal_matrix",
"version": 1, "reviews": [...]}``, each review as :class:`ReviewIn` takes it. CSV: one
review a row; one column per criterion (its status: met, partly, not_met) and its
``<criterion>.statute``, one per score, the coverage columns, ``notes``, ``sources`` (a
JSON list of ``{"citation", "url", "dated"}``), ``published`` and ``demo``.

An import checks every row before writing any: the first bad row stops it with
InvalidInput naming its line (the CSV's line, header being line 1; the JSON's review
number, from 1), and nothing is written. One audit event records the import.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries.models import MemberCountry
from alliance.countries.names import check_country_code, display_name
from alliance.errors import AllianceError, InvalidInput
from alliance.legal.matrix import (
    Scheme,
    check_may_record,
    check_review,
    record_review,
    reviews_by_country,
    scheme,
)
from alliance.legal.models import LegalReview
from alliance.legal.schemas import ImportResult, ReviewIn

FORMAT = "alliance.legal_matrix"
VERSION = 1
FIXED_HEAD = ["country", "reviewed_on", "reviewed_by"]
FIXED_TAIL = [
    "non_photographic",
    "ai_generated",
    "provider_reporting",
    "notes",
    "sources",
    "published",
    "demo",
]


def columns(plan: Scheme) -> list[str]:
    crit = [c for i in plan.criteria for c in (i.id, f"{i.id}.statute")]
    return [*FIXED_HEAD, *crit, *(i.id for i in plan.scored), *FIXED_TAIL]


def review_record(review: LegalReview) -> dict[str, Any]:
    """A review as ReviewIn takes it (JSON-ready)."""
    return {
        "country": review.country_code,
        "reviewed_on": review.reviewed_on.isoformat(),
        "reviewed_by": review.reviewed_by,
        "criteria": {
            c.item_id: {"status": c.status.value, "statute": c.statute} for c in review.criteria
        },
        "scores": {s.item_id: s.score for s in review.scores},
        "non_photographic": review.non_photographic.value,
        "ai_generated": review.ai_generated.value,
        "provider_reporting": review.provider_reporting.value,
        "notes": review.notes,
        "sources": [
            {
                "citation": s.citation,
                "url": s.url,
                "dated": s.dated.isoformat() if s.dated else None,
            }
            for s in review.sources
        ],
        "published": review.published,
        "demo": review.demo,
    }


def _flat(rec: dict[str, Any], plan: Scheme) -> dict[str, Any]:
    row: dict[str, Any] = {k: rec[k] for k in FIXED_HEAD}
    for item in plan.criteria:
        answer = rec["criteria"].get(item.id, {})
        row[item.id] = answer.get("status", "")
        row[f"{item.id}.statute"] = answer.get("statute", "")
    for item in plan.scored:
        row[item.id] = rec["scores"].get(item.id, "")
    for key in FIXED_TAIL:
        value = rec[key]
        if key == "sources":
            value = json.dumps(value, ensure_ascii=False) if value else ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        row[key] = value
    return row


def export_matrix(session: Session, principal: Principal | None, fmt: str) -> str:
    """Every review the caller may see (full history), as ``csv`` or ``json``;
    ``principal`` None is the public's export (published reviews), which is not audited."""
    if fmt not in ("csv", "json"):
        raise InvalidInput(f"unknown format {fmt!r}: csv or json", field="format")
    if principal is not None:
        authorize(principal, Permission.LEGAL_READ)
    reviews = [r for rs in reviews_by_country(session, principal).values() for r in rs]
    records = [review_record(r) for r in reviews]
    if principal is not None:
        record(
            session,
            principal,
            EventType.LEGAL_MATRIX_EXPORTED,
            "legal_matrix",
            fmt,
            {"format": fmt, "reviews": len(records)},
        )
    if fmt == "json":
        return json.dumps(
            {"format": FORMAT, "version": VERSION, "reviews": records}, ensure_ascii=False, indent=1
        )
    plan = scheme()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(plan), lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow(_flat(rec, plan))
    return out.getvalue()


def _from_row(row: dict[str, str], plan: Scheme) -> dict[str, Any]:
    """A CSV row as ReviewIn takes it."""
    known = set(columns(plan))
    unknown = [k for k in row if k not in known]
    if unknown:
        raise InvalidInput(f"unknown column {unknown[0]!r}")
    rec: dict[str, Any] = {k: row.get(k, "") for k in FIXED_HEAD}
    rec["criteria"] = {
        i.id: {"status": row.get(i.id, ""), "statute": row.get(f"{i.id}.statute", "")}
        for i in plan.criteria
        if row.get(i.id, "")
    }
    scores: dict[str, Any] = {}
    for item in plan.scored:
        raw = (row.get(item.id) or "").strip()
        if raw:
            try:
                scores[item.id] = int(raw)
            except ValueError:
                raise InvalidInput(f"{item.id}: {raw!r} is not a whole number") from None
    rec["scores"] = scores
    for key in FIXED_TAIL:
        raw = (row.get(key) or "").strip()
        if key == "sources":
            try:
                rec[key] = json.loads(raw) if raw else []
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"sources: not a JSON list: {exc.msg}") from None
        elif key in ("published", "demo"):
            if raw.lower() not in ("", "true", "false", "yes", "no", "1", "0"):
                raise InvalidInput(f"{key}: {raw!r} is not true or false")
            rec[key] = raw.lower() in ("true", "yes", "1")
        elif key == "notes":
            rec[key] = row.get(key) or ""
        elif raw:
            rec[key] = raw
    return rec


def _records(text: str, fmt: str, plan: Scheme) -> list[tuple[str, Any]]:
    """(where, raw record) pairs: "line N" of a CSV, "review N" of a JSON file."""
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {exc.lineno}: not JSON: {exc.msg}", field="file") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InvalidInput(f"not an {FORMAT} file", field="file")
        if doc.get("version") != VERSION:
            raise InvalidInput(f"unsupported version {doc.get('version')!r}", field="file")
        reviews = doc.get("reviews")
        if not isinstance(reviews, list):
            raise InvalidInput("'reviews' must be a list", field="file")
        return [(f"review {n}", r) for n, r in enumerate(reviews, start=1)]
    if fmt != "csv":
        raise InvalidInput(f"unknown format {fmt!r}: csv or json", field="format")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in FIXED_HEAD if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"line 1: missing column {missing[0]!r}", field="file")
    out: list[tuple[str, Any]] = []
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            raise InvalidInput(f"{where}: more cells than columns", field="file")
        try:
            out.append((where, _from_row(row, plan)))
        except AllianceError as exc:
            raise InvalidInput(f"{where}: {exc}", field="file") from None
    return out


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def import_matrix(session: Session, principal: Principal, text: str, fmt: str) -> ImportResult:
    """Check every review of the file, then record them all; the first bad one stops the
    import with its line named and nothing written."""
    authorize(principal, Permission.LEGAL_REVIEW)
    plan = scheme()
    checked: list[ReviewIn] = []
    for where, raw in _records(text, fmt, plan):
        try:
            if not isinstance(raw, dict):
                raise InvalidInput("not an object")
            data = ReviewIn.model_validate(raw)
            code = check_country_code(data.country, field="country")
            check_may_record(principal, code)
            if data.published:
                authorize(principal, Permission.LEGAL_PUBLISH)
            if session.get(MemberCountry, code) is None:
                raise InvalidInput(f"{display_name(code)} is not a member country")
            check_review(data, plan)
        except ValidationError as exc:
            raise InvalidInput(f"{where}: {_problem(exc)}", field="file") from None
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}", field="file") from None
        except AllianceError as exc:
            exc.message = f"{where}: {exc.message}"
            exc.args = (exc.message,)
            raise
        checked.append(data)
    countries = sorted({check_country_code(d.country) for d in checked})
    for data in checked:
        record_review(session, principal, data, audit=False)
    record(
        session,
        principal,
        EventType.LEGAL_MATRIX_IMPORTED,
        "legal_matrix",
        fmt,
        {"format": fmt, "reviews": len(checked), "countries": countries},
    )
    return ImportResult(rows=len(checked), countries=countries)
