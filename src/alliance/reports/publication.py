"""Publishing a progress report: a frozen snapshot the public reads, signed so anyone can
check it was not altered.

Publishing builds the report as the public sees it (small counts hidden for every
country, the country's published texts only), adds when and by whom it was published,
and signs it with the platform's Ed25519 key, in the format family of the bank documents
(JSON lines, the last one the signature)::

    {"format": "alliance.progress-report", "format_version": 1, ..., "published": {...}}
    {"signature": "<base64 Ed25519>", "key_id": "..."}

The signature is over ``b"alliance.progress-report.v1\\n" + SHA-256(the report's line)``.
Every publication is kept; the newest for a country (or the alliance) and year is the one
shown. :func:`verify` checks a file against the platform's key and, when the database
still holds the publication, names what was changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.banks.signing import sign_lines, verified_lines
from alliance.countries.names import check_country_code
from alliance.db.base import utcnow
from alliance.errors import InvalidInput, NotFound
from alliance.reports.building import ProgressReport, build_progress_report, sections
from alliance.reports.computation import members_figures
from alliance.reports.models import PublishedReport
from alliance.reports.open_data import FORMAT, FORMAT_VERSION, report_document
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.reports.suppression import for_reader, is_additive
from alliance.signing import SignatureInvalid, Signer

DOMAIN = b"alliance.progress-report.v1\n"
ALLIANCE = "alliance"
MAX_DIFFERENCES = 12


def subject_of(country: str | None) -> str:
    return ALLIANCE if country is None else check_country_code(country, field="country")


def publish(
    session: Session,
    principal: Principal,
    signer: Signer,
    *,
    country: str | None,
    year: int,
    k: int,
    as_of: datetime | None = None,
) -> PublishedReport:
    """Publish ``country``'s (None: the alliance's) report for ``year`` as the public sees
    it; the secretariat's."""
    authorize(principal, Permission.REPORT_PUBLISH)
    report = build_progress_report(
        session, principal, country=country, year=year, k=k, as_of=as_of, public=True
    )
    now = utcnow()
    document = report_document(report)
    document["published"] = {"at": now.isoformat(), "by": principal.audit_label}
    body = orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n"
    row = PublishedReport(
        subject=subject_of(report.country),
        year=year,
        published_at=now,
        published_by=principal.audit_label,
        digest=hashlib.sha256(body).hexdigest(),
        key_id=signer.key_id,
        document=sign_lines(body, DOMAIN, signer),
    )
    session.add(row)
    session.flush()
    record(
        session,
        principal,
        EventType.PROGRESS_REPORT_PUBLISHED,
        "progress_report",
        f"{row.subject}/{year}",
        {"country": report.country, "year": year, "digest": row.digest, "key_id": row.key_id},
    )
    return row


def latest(session: Session, country: str | None, year: int) -> PublishedReport:
    """The newest publication of ``country``'s (None: the alliance's) report for ``year``."""
    subject = subject_of(country)
    found = session.execute(
        select(PublishedReport)
        .where(PublishedReport.subject == subject, PublishedReport.year == year)
        .order_by(PublishedReport.published_at.desc(), PublishedReport.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        who = "the alliance" if subject == ALLIANCE else subject
        raise NotFound(f"no published report of {who} for {year}")
    return found


@dataclass(frozen=True)
class Publication:
    """One published report as a list shows it."""

    subject: str  # a country's code or "alliance"
    year: int
    published_at: datetime  # its newest publication
    versions: int  # how many times it was published


def publications(session: Session, subject: str | None = None) -> list[Publication]:
    """Every published report (of ``subject`` alone if given): the alliance's first, then
    by country, newest year first. The documents themselves are not read."""
    query = select(
        PublishedReport.subject,
        PublishedReport.year,
        func.max(PublishedReport.published_at),
        func.count(),
    ).group_by(PublishedReport.subject, PublishedReport.year)
    if subject is not None:
        query = query.where(PublishedReport.subject == subject)
    out = [Publication(str(s), int(y), at, int(n)) for s, y, at, n in session.execute(query)]
    out.sort(key=lambda r: (r.subject != ALLIANCE, r.subject, -r.year))
    return out


def latest_of(session: Session, subject: str, year: int) -> PublishedReport:
    """:func:`latest` by subject as addresses name it: a country's code or "alliance"."""
    return latest(session, None if subject == ALLIANCE else subject, year)


def document_of(row: PublishedReport) -> dict[str, Any]:
    """The report's JSON of a stored publication (it was verified when it was made)."""
    document: dict[str, Any] = orjson.loads(row.document.split(b"\n", 1)[0])
    return document


def report_of(document: dict[str, Any]) -> ProgressReport:
    """A published document as a report the page and the PDF lay out."""
    values = [
        Value(
            indicator=v["indicator"],
            country=v["country"],
            period=v["period"],
            value=v["value"],
            n=v["n"],
            status=Status(v["status"]),
            coverage=v["coverage"],
            meets_target=v["meets_target"],
            notes=tuple(v["notes"]),
            suppressed=v["suppressed"] or "",
        )
        for v in document["values"]
    ]
    narratives = {
        n["target"]: (
            {s: n[s] or "" for s in ("baseline", "committed", "progress")} if n["status"] else None,
            n["status"] or "",
        )
        for n in document["narrative"]
    }
    code = document["country"]
    return ProgressReport(
        country=code,
        title=document["title"],
        year=document["year"],
        as_of=datetime.fromisoformat(document["as_of"]),
        k=document["suppression_k"],
        reader_country=None,
        code_version=document["code_version"],
        targets=sections(values, code, Period(document["year"]), narratives),
        values=values,
    )


@dataclass(frozen=True)
class Verified:
    """A signed report file that verified: its report, and the key that signed it."""

    document: dict[str, Any]
    key_id: str


def verify(data: bytes, public_key: Ed25519PublicKey, session: Session | None = None) -> Verified:
    """``data`` (a published report file) once its signature verifies with ``public_key``;
    otherwise SignatureInvalid, naming what differs from the publication the database
    holds when ``session`` is given and it holds it."""
    try:
        (line,) = verified_lines(data, DOMAIN, public_key)
    except SignatureInvalid as exc:
        differences = _differences(data, session) if session is not None else []
        if differences:
            raise SignatureInvalid(
                "the report was altered after it was published: " + "; ".join(differences)
            ) from None
        raise exc from None
    except ValueError:
        raise InvalidInput("not a published progress report: one report line is expected") from None
    document = orjson.loads(line)
    if document.get("format") != FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"not an {FORMAT} version {FORMAT_VERSION} document")
    trailer = orjson.loads(data.rstrip(b"\n").rsplit(b"\n", 1)[1])
    return Verified(document, str(trailer.get("key_id", "")))


def _differences(data: bytes, session: Session) -> list[str]:
    """What the altered file says differently from the publication it claims to be."""
    try:
        claimed = orjson.loads(data.split(b"\n", 1)[0])
        at = datetime.fromisoformat(claimed["published"]["at"])
    except (ValueError, KeyError, TypeError, IndexError):
        return []
    # The publication it claims to be: by the moment it was published, which an editor of
    # the file may have left alone while changing its country or year.
    original = session.execute(
        select(PublishedReport).where(PublishedReport.published_at == at).limit(1)
    ).scalar_one_or_none()
    if original is None:
        return ["no such publication is on record"]
    stored = document_of(original)
    out = [
        f"{key}: {stored.get(key)!r} became {claimed.get(key)!r}"
        for key in sorted(set(stored) | set(claimed))
        if key not in ("values", "indicators", "narrative") and stored.get(key) != claimed.get(key)
    ]

    def keyed(document: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {(v["indicator"], v["country"], v["period"]): v for v in document.get("values", [])}

    before, after = keyed(stored), keyed(claimed)
    for key in sorted(set(before) | set(after), key=str):
        if before.get(key) != after.get(key):
            old, new = before.get(key), after.get(key)
            where = f"{key[0]} {key[1] or 'alliance'} {key[2]}"
            out.append(
                f"{where}: {None if old is None else old.get('value')!r} became "
                f"{None if new is None else new.get('value')!r}"
            )
    for part in ("indicators", "narrative"):
        if stored.get(part) != claimed.get(part):
            out.append(f"the {part} differ")
    if len(out) > MAX_DIFFERENCES:
        out = [*out[:MAX_DIFFERENCES], f"and {len(out) - MAX_DIFFERENCES} more"]
    return out or ["the signature line itself"]


@dataclass(frozen=True)
class Change:
    """A figure of the published report that reads differently today."""

    indicator: str
    country: str | None
    period: str
    published: Value
    today: Value


def changes_since(
    session: Session, document: dict[str, Any], *, k: int, max_age: float = 0.0
) -> list[Change]:
    """The published report's figures that today's live figures (as the public would see
    them) no longer match: late removals, records corrected since. Today's figures may be
    ones computed at most ``max_age`` seconds ago (:mod:`alliance.reports.cache`)."""
    published = report_of(document)
    periods = list(dict.fromkeys(Period.parse_key(v.period) for v in published.values))
    # Every member country, as when it was published: small counts hidden the same way.
    live = members_figures(session, periods, max_age=max_age).values
    code = published.country
    if code is not None:  # as in build_progress_report: only what can bear on its figures
        live = [v for v in live if v.country in (None, code) or is_additive(v)]
    live = for_reader(live, k=k)
    now = {(v.indicator, v.country, v.period): v for v in live}
    out = []
    for old in published.values:
        new = now.get((old.indicator, old.country, old.period))
        if new is not None and (new.value, new.status, new.suppressed) != (
            old.value,
            old.status,
            old.suppressed,
        ):
            out.append(Change(old.indicator, old.country, old.period, old, new))
    return out
