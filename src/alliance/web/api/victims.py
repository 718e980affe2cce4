"""API for victim identification: seizure triage, series, victims, referrals, the victim
KPI and the exchange of known-media records (ICSE CSV, VICS JSON).

Routes only parse and call :mod:`alliance.victims`; who may see what is decided there (law
enforcement only; a series' details to its agencies only; the secretariat sees the KPI).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.errors import PayloadTooLarge
from alliance.validation import CountryCode, Offset
from alliance.victims import exchange, identification, metrics, referrals, series, triage
from alliance.victims.exchange import RecordFormat
from alliance.victims.formats import SeizureFormat
from alliance.victims.models import Seizure, Verdict
from alliance.victims.schemas import (
    AgencyIn,
    DecisionIn,
    ExchangeResult,
    IdentifyIn,
    LinkIn,
    MediaRecordOut,
    MergeIn,
    ReferralIn,
    ReferralOut,
    SafeguardIn,
    SeizureOut,
    SeriesDetail,
    SeriesIn,
    SeriesOut,
    SeriesUpdate,
    TriageLine,
    TriageReport,
    VictimIn,
    VictimMetrics,
    VictimOut,
)
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1", tags=["victims"])

#: A seizure or records file in the request body, whatever its type.
RAW_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
        "required": True,
    }
}

#: Content type → seizure format; anything else is recognised from the content.
CONTENT_TYPES = {
    "application/json": SeizureFormat.vics,
    "application/x-ndjson": SeizureFormat.jsonl,
    "application/jsonl": SeizureFormat.jsonl,
    "application/json-lines": SeizureFormat.jsonl,
    "text/csv": SeizureFormat.csv,
}

EXPORT_TYPES = {
    RecordFormat.icse: ("text/csv; charset=utf-8", ".csv"),
    RecordFormat.vics: ("application/json", ".json"),
}
#: An export is spooled to disk past this size, then streamed once the request's
#: transaction (which audits the export) has been committed.
SPOOL_BYTES = 8 * 1_048_576
STREAM_CHUNK = 256 * 1024


async def _upload(request: Request) -> bytes:
    """The request body, refused past the hash-file limit (the file is held in memory)."""
    limit = app_state(request).settings.max_hash_file_bytes
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"the file is over {limit} bytes (ALLIANCE_MAX_HASH_FILE_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


Upload = Annotated[bytes, Depends(_upload)]


def _seizure_format(request: Request, given: SeizureFormat | None) -> SeizureFormat | None:
    if given is not None:
        return given
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return CONTENT_TYPES.get(content_type)


def _seizure_out(seizure: Seizure) -> SeizureOut:
    return SeizureOut.model_validate(seizure, from_attributes=True)


def _stream(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := spool.read(STREAM_CHUNK):
            yield block
    finally:
        spool.close()


def _download(chunks: Iterator[str], fmt: RecordFormat, name: str) -> StreamingResponse:
    """The export as an attachment. The rows are read while the request's session is open
    (it closes before the response is sent), into a spool that is then streamed."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by _stream
    for chunk in chunks:
        spool.write(chunk.encode())
    size = spool.tell()
    spool.seek(0)
    media_type, suffix = EXPORT_TYPES[fmt]
    return StreamingResponse(
        _stream(spool),
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{name}{suffix}"',
            "content-length": str(size),
        },
    )


# --- seizures ------------------------------------------------------------------------


@router.post("/seizures", status_code=201, openapi_extra=RAW_BODY)
def triage_seizure(
    principal: Annotated[Principal, requires(Permission.SEIZURE_TRIAGE)],
    request: Request,
    session: DbSession,
    data: Upload,
    fmt: Annotated[
        SeizureFormat | None,
        Query(
            alias="format",
            description="vics, jsonl or csv; default: from the Content-Type "
            "(application/json: vics, application/x-ndjson: jsonl, text/csv: csv), "
            "else recognised from the content",
        ),
    ] = None,
    case_reference: Annotated[
        str | None, Query(max_length=120, description="your case number; never shared")
    ] = None,
    shared_note: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="what the agencies of series this seizure touches may read in "
            "their deconfliction alert (e.g. a desk to call); nothing else of the case is "
            "shared",
        ),
    ] = None,
) -> TriageReport:
    """Triage a seizure's hash set (the file as the body): per file, known (and in which
    series, victim identified or not, Baseline), near-duplicate of a series member (possible
    new material) or new. All or nothing: a malformed file is 400 naming its lines, and
    nothing is saved. The agencies of another agency's series it comes close to get a
    deconfliction alert."""
    seizure = triage.triage_seizure(
        session,
        principal,
        data,
        fmt=_seizure_format(request, fmt),
        case_reference=case_reference,
        shared_note=shared_note,
    )
    return triage.report(session, principal, seizure)


@router.get("/seizures")
def list_seizures(
    session: DbSession, principal: Principal = requires(Permission.SEIZURE_TRIAGE)
) -> list[SeizureOut]:
    """Your agency's seizures, newest first."""
    return [_seizure_out(s) for s in triage.list_seizures(session, principal)]


@router.get("/seizures/{seizure}")
def get_seizure(
    seizure: str, session: DbSession, principal: Principal = requires(Permission.SEIZURE_TRIAGE)
) -> TriageReport:
    """A seizure's triage totals and the series it touched. Another agency's is 404."""
    return triage.report(session, principal, triage.get_seizure(session, principal, seizure))


@router.get("/seizures/{seizure}/items")
def seizure_items(
    seizure: str,
    session: DbSession,
    verdict: Verdict | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    principal: Principal = requires(Permission.SEIZURE_TRIAGE),
) -> list[TriageLine]:
    """A seizure's files in file order with what is known of each; ``verdict`` keeps the
    known, near or new ones."""
    found = triage.get_seizure(session, principal, seizure)
    return triage.lines(session, found, verdict=verdict, offset=offset, limit=limit)


# --- series --------------------------------------------------------------------------


@router.get("/series")
def list_series(
    session: DbSession,
    include_closed: bool = True,
    principal: Principal = requires(Permission.SERIES_READ),
) -> list[SeriesOut]:
    """The series your agency owns or collaborates on, recently changed first."""
    found = series.list_series(session, principal, include_closed=include_closed)
    return series.series_outs(session, found)


@router.post("/series", status_code=201, responses=answers(404, 409))
def create_series(
    data: SeriesIn, session: DbSession, principal: Principal = requires(Permission.SERIES_MANAGE)
) -> SeriesOut:
    """Start a series; your agency owns it. With ``seizure`` its new material (or the
    ``lines`` named) becomes the series' members. A code name taken is 409."""
    return series.series_out(session, series.create_series(session, principal, data))


@router.get("/series/{code}")
def get_series(
    code: str, session: DbSession, principal: Principal = requires(Permission.SERIES_READ)
) -> SeriesDetail:
    """A series with its agencies, counts and timeline; a series your agency does not work
    on is 404."""
    return series.series_detail(session, principal, code)


@router.patch("/series/{code}", responses=answers(409))
def update_series(
    code: str,
    data: SeriesUpdate,
    session: DbSession,
    principal: Principal = requires(Permission.SERIES_MANAGE),
) -> SeriesOut:
    """Change a series' status, notes or countries."""
    return series.series_out(session, series.update_series(session, principal, code, data))


@router.post("/series/{code}/agencies", responses=answers(409))
def add_agency(
    code: str,
    data: AgencyIn,
    session: DbSession,
    principal: Principal = requires(Permission.SERIES_MANAGE),
) -> SeriesOut:
    """Invite a law-enforcement agency to collaborate on your series (owner only): it then
    sees the series and gets its deconfliction alerts."""
    found = series.add_agency(session, principal, code, data).series
    return series.series_out(session, found)


@router.post("/series/{code}/link", responses=answers(409))
def link_items(
    code: str,
    data: LinkIn,
    session: DbSession,
    principal: Principal = requires(Permission.SERIES_MANAGE),
) -> dict[str, int]:
    """Make a seizure's items members of the series (default: its items in no series
    yet, except near-duplicates of another agency's series). A line that is not the
    seizure's is 400; an item already in another series is 409: merge the series instead."""
    return {"linked": series.link_items(session, principal, code, data)}


@router.post("/series/{code}/merge", responses=answers(409))
def merge_series(
    code: str,
    data: MergeIn,
    session: DbSession,
    principal: Principal = requires(Permission.SERIES_MANAGE),
) -> SeriesOut:
    """Fold this series into ``into`` (owner of this one only): members, victims, agencies
    and referrals move; this one is closed. A series already merged is 409."""
    return series.series_out(session, series.merge_series(session, principal, code, data))


@router.get("/series/{code}/media")
def series_media(
    code: str,
    session: DbSession,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    principal: Principal = requires(Permission.SERIES_READ),
) -> list[MediaRecordOut]:
    """The series' media records (hashes and flags, never media)."""
    return series.members(session, principal, code, offset=offset, limit=limit)


@router.get("/series/{code}/victims")
def series_victims(
    code: str, session: DbSession, principal: Principal = requires(Permission.VICTIM_READ)
) -> list[VictimOut]:
    """The series' victims (pseudonymous). Every victim record read is audited."""
    return [
        identification.victim_out(v) for v in identification.list_victims(session, principal, code)
    ]


@router.post("/series/{code}/victims", status_code=201, responses=answers(409))
def add_victim(
    code: str,
    data: VictimIn,
    session: DbSession,
    principal: Principal = requires(Permission.VICTIM_MANAGE),
) -> VictimOut:
    """Record a victim of the series: an internal reference and an age group, never a
    name."""
    return identification.victim_out(identification.add_victim(session, principal, code, data))


@router.get("/series/{code}/export", response_class=StreamingResponse)
def export_series(
    code: str,
    session: DbSession,
    fmt: Annotated[RecordFormat, Query(alias="format", description="icse or vics")],
    principal: Principal = requires(Permission.RECORDS_EXCHANGE),
) -> StreamingResponse:
    """The series' media records as ICSE CSV or VICS JSON, for IPED- or Griffeye-type
    tools."""
    chunks = exchange.export_records(session, principal, series=code, fmt=fmt)
    return _download(chunks, fmt, code.strip().upper())


# --- victims -------------------------------------------------------------------------


@router.get("/victims/{victim}")
def get_victim(
    victim: str, session: DbSession, principal: Principal = requires(Permission.VICTIM_READ)
) -> VictimOut:
    """One victim record (the read is audited); a victim of a series your agency does not
    work on is 404."""
    return identification.victim_out(identification.get_victim(session, principal, victim))


@router.post("/victims/{victim}/identify", responses=answers(409))
def identify_victim(
    victim: str,
    data: IdentifyIn,
    session: DbSession,
    principal: Principal = requires(Permission.VICTIM_MANAGE),
) -> VictimOut:
    """Mark a victim identified (by your agency; ``country`` defaults to yours): every media
    record of the series becomes "victim identified". Identifying twice is 409."""
    found = identification.identify_victim(session, principal, victim, data)
    return identification.victim_out(found)


@router.post("/victims/{victim}/safeguard", responses=answers(409))
def safeguard_victim(
    victim: str,
    data: SafeguardIn,
    session: DbSession,
    principal: Principal = requires(Permission.VICTIM_MANAGE),
) -> VictimOut:
    """Mark an identified victim safeguarded."""
    found = identification.safeguard_victim(session, principal, victim, data)
    return identification.victim_out(found)


# --- referrals -----------------------------------------------------------------------


@router.post("/series/{code}/referrals", status_code=201, responses=answers(409))
def refer_series(
    code: str,
    data: ReferralIn,
    session: DbSession,
    principal: Principal = requires(Permission.REFERRAL_MANAGE),
) -> ReferralOut:
    """Refer a series to the law-enforcement agency of the country where the victim most
    likely is: it receives a package of the series' summary, hashes and your indicators."""
    return referrals.referral_out(referrals.refer_series(session, principal, code, data))


@router.get("/referrals")
def list_referrals(
    session: DbSession,
    direction: Literal["incoming", "outgoing"] | None = None,
    principal: Principal = requires(Permission.REFERRAL_MANAGE),
) -> list[ReferralOut]:
    """Referrals to and from your agency, newest first; ``direction`` keeps one side."""
    incoming = None if direction is None else direction == "incoming"
    found = referrals.list_referrals(session, principal, incoming=incoming)
    return [referrals.referral_out(r) for r in found]


@router.get("/referrals/{referral}")
def get_referral(
    referral: str, session: DbSession, principal: Principal = requires(Permission.REFERRAL_MANAGE)
) -> ReferralOut:
    """One referral your agency sent or received; any other is 404."""
    return referrals.referral_out(referrals.get_referral(session, principal, referral))


@router.post("/referrals/{referral}/decision", responses=answers(409))
def decide_referral(
    referral: str,
    data: DecisionIn,
    session: DbSession,
    principal: Principal = requires(Permission.REFERRAL_MANAGE),
) -> ReferralOut:
    """Accept (your agency joins the series) or decline, with a reason; deciding twice is
    409."""
    found = referrals.decide_referral(session, principal, referral, data)
    return referrals.referral_out(found)


# --- the KPI -------------------------------------------------------------------------


@router.get(
    "/metrics/victims",
    response_model=VictimMetrics,
    responses={200: {"content": {"text/csv": {}}}},
)
def victim_metrics(
    session: DbSession,
    country: Annotated[CountryCode | None, Query(description="identifying country")] = None,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    principal: Principal = requires(Permission.VICTIM_METRICS_READ),
) -> VictimMetrics | Response:
    """Identified victims per year, alliance-wide and per identifying country: the number
    identified that year, the cumulative total, growth against the +10 % target and the
    median time from first sighting to identification. Counts only."""
    report = metrics.victim_metrics(session, principal, country=country)
    if fmt == "csv":
        return Response(
            metrics.metrics_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="victim-metrics.csv"'},
        )
    return report


# --- exchange ------------------------------------------------------------------------


@router.get("/media/export", response_class=StreamingResponse)
def export_records(
    session: DbSession,
    fmt: Annotated[RecordFormat, Query(alias="format", description="icse or vics")],
    principal: Principal = requires(Permission.RECORDS_EXCHANGE),
) -> StreamingResponse:
    """The known-media records your agency may export (its series' members and records
    outside any series) as ICSE CSV or VICS JSON."""
    chunks = exchange.export_records(session, principal, series=None, fmt=fmt)
    return _download(chunks, fmt, "alliance-media")


@router.post("/media/import", openapi_extra=RAW_BODY, responses=answers(409))
def import_records(
    principal: Annotated[Principal, requires(Permission.RECORDS_EXCHANGE)],
    session: DbSession,
    data: Upload,
    fmt: Annotated[RecordFormat, Query(alias="format", description="icse or vics")],
) -> ExchangeResult:
    """Import known-media records (ICSE CSV or VICS JSON, the file as the body): all of
    them, or nothing and a message naming the lines at fault."""
    return exchange.import_records(session, principal, data, fmt)
