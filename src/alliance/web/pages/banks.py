"""Pages for hash banks: the list; one bank with its entries (browse, search, add, remove,
verify, download) and its change history; match by hash or by file, with feedback.

Every action calls the service the API calls (alliance.banks.services), so the rules are
the API's: the same validation, the same permissions, the same verification votes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal
from alliance.banks import distribution, formats, media
from alliance.banks import services as banks
from alliance.banks.models import Bank, BankEntry
from alliance.banks.schemas import (
    Classification,
    EntriesAdded,
    EntryIn,
    FeedbackIn,
    MatchRequest,
    MatchResponse,
    SignalIn,
)
from alliance.db.listing import Listing
from alliance.errors import AllianceError, InvalidInput
from alliance.hashing import signals
from alliance.web.errors import failed_form, status_for
from alliance.web.forms import Form as PageForm
from alliance.web.forms import failed, field_errors
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import label
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state
from alliance.web.tables import csv_response, read_table
from alliance.web.timeline import actor_words
from alliance.web.uploads import UploadedForm, read_upload

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
MAX_LOOKUP_LINES = 200

#: Signal types as people write them.
SIGNAL_NAMES = {"pdq": "PDQ", "vpdq": "vPDQ", "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}
#: What a bank can be downloaded as: the API's export formats, and its signed snapshot.
SNAPSHOT = "snapshot"
#: The bank page's latest events; the history page lists them all.
RECENT_EVENTS = Listing(sort="when", descending=True, limit=10)
ADD_LABELS = {
    "signal_type": "Signal type",
    "hashes": "Hashes",
    "note": "Note",
    "iwf": "IWF category",
    "ncmec": "NCMEC category",
    "vics": "VICS category",
}
SEARCH_LABELS = {"q": "Hash", "type": "Signal type", "status": "Status"}
ENTRY_LINE = re.compile(r"^entry (\d+): (.*)$", re.DOTALL)


def _signal_options() -> list[tuple[str, str]]:
    return [(name, SIGNAL_NAMES.get(name, name)) for name in signals.REGISTRY]


#: Short names of the download formats (the registry's descriptions say more).
DOWNLOAD_NAMES = {
    "csv": "CSV (python-threatexchange / HMA dataset)",
    "txt": 'Text, one "type hash" a line (python-threatexchange)',
    "vics": "VICS JSON 2.0 (Project VIC)",
}


def _downloads() -> list[tuple[str, str, str]]:
    """(format, name, description) for every format the bank can be downloaded in."""
    found = [
        (f.name, DOWNLOAD_NAMES.get(f.name, f.name.upper()), f.description)
        for f in formats.FORMATS.values()
        if f.can_export
    ]
    snapshot = (
        SNAPSHOT,
        "Signed snapshot (JSON lines)",
        "as alliance sync receives it; check it with the platform's public key",
    )
    return [*found, snapshot]


@router.get("/banks")
def bank_list(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    rows = [banks.bank_out(session, b) for b in banks.visible_banks(session, principal)]
    return render(request, "banks.html", {"banks": rows})


ENTRY_CSV_HEADER = (
    "id",
    "signal_type",
    "signal",
    "status",
    "votes",
    "confirmed",
    "disputed",
    "flagged",
    "baseline",
    "iwf",
    "ncmec",
    "vics",
    "contributor",
    "note",
    "added_at",
    "removed_at",
    "sequence",
)


def _status(entry: BankEntry) -> str:
    if entry.removed_at is not None:
        return "removed"
    return "verified" if entry.votes >= banks.VERIFIED_AT else "awaiting verification"


def _bank_page(
    request: Request,
    session: Session,
    principal: Principal,
    bank: Bank,
    *,
    add: PageForm | None = None,
    files: PageForm | None = None,
    action: PageForm | None = None,
    status_code: int = 200,
) -> Response:
    """The bank page: about, statistics, entries (filtered, sorted, a page), forms."""
    query = request.query_params
    values = {k: query.get(k, "") for k in ("q", "type", "status")}
    table, listing = read_table(
        request, sortable=banks.ENTRY_SORTS, default="-added", filters=values
    )
    search = PageForm(values=values, labels=SEARCH_LABELS, name="search")
    try:
        with session.begin_nested():
            entries, total = banks.browse_entries(
                session,
                principal,
                bank.name,
                search=values["q"],
                signal_type=values["type"],
                status=values["status"],
                listing=listing,
            )
    except AllianceError as exc:
        search = failed(exc, values, labels=SEARCH_LABELS, name="search")
        entries, total = [], 0
        status_code = max(status_code, status_for(exc))
    if table.csv and not search.failed:
        return csv_response(
            f"{bank.name}-entries.csv",
            ENTRY_CSV_HEADER,
            (
                (
                    e.id,
                    e.signal_type,
                    e.signal_value,
                    _status(e),
                    e.votes,
                    e.confirmed,
                    e.disputed,
                    e.flagged,
                    e.baseline,
                    e.iwf_category,
                    e.ncmec_category,
                    e.vics_category,
                    e.contributor.name,
                    e.note,
                    e.added_at,
                    e.removed_at,
                    e.changed_seq,
                )
                for e in entries
            ),
        )
    rows = cast(list[BankEntry], table.rows(entries))
    table.total = total
    table.path = f"/banks/{bank.name}"  # also when a form posted elsewhere failed
    may_contribute = principal.can(Permission.ENTRY_CONTRIBUTE)
    here = table.page_link(table.page)
    return render(
        request,
        "bank.html",
        {
            "bank": banks.bank_out(session, bank),
            "subscriber_kinds": [OrgKind(k) for k in bank.subscriber_kinds],
            "statistics": banks.bank_statistics(session, bank),
            "events": banks.bank_history(session, principal, bank.name, RECENT_EVENTS),
            "actor_words": actor_words,
            "syncs": banks.sync_status(session, principal, bank),
            "entries": rows,
            "table": table,
            "search": search,
            "statuses": list(banks.ENTRY_STATUSES.items()),
            "signal_options": _signal_options(),
            "signal_names": SIGNAL_NAMES,
            "verified_at": banks.VERIFIED_AT,
            "voted": banks.voted_by(session, principal, [e.id for e in rows]),
            "may_add": may_contribute,
            "removable": {
                e.id for e in rows if may_contribute and banks.can_remove(principal, bank, e)
            },
            "may_vote": principal.can(Permission.ENTRY_VERIFY) and principal.user_id is not None,
            "downloads": _downloads(),
            "form": add or PageForm(values={"signal_type": "pdq"}),
            "files_form": files or PageForm(values={"pdq": "yes", "md5": "yes"}, prefix="files-"),
            "max_upload_mb": app_state(request).settings.max_upload_bytes / 1_048_576,
            "action": action or PageForm(),
            "back": here,
        },
        status_code=status_code,
    )


@router.get("/banks/{name}")
def bank_detail(
    request: Request,
    session: DbSession,
    name: str,
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    bank = banks.get_bank(session, principal, name)
    return _bank_page(request, session, principal, bank)


def _back(name: str, back: str) -> str:
    """Where a bank page's form returns: the same bank page (its filters and page)."""
    page = f"/banks/{name}"
    if back == page or back.startswith(page + "?"):
        return back
    return page


def _entries_of(text: str, default_type: str) -> tuple[list[tuple[int, str, str]], str | None]:
    """The lines of the Hashes box: ``hex`` (of the chosen type) or ``type:hex``, each with
    its line number. Only splitting here: the service checks every value."""
    found: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        kind, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,15}", kind.strip()):
            found.append((number, kind.strip().lower(), value.strip()))
        else:
            found.append((number, default_type, line))
    if not found:
        return [], "paste at least one hash"
    return found, None


@router.post("/banks/{name}/entries")
def add_entries(
    request: Request,
    session: DbSession,
    name: str,
    signal_type: Annotated[str, Form()] = "pdq",
    hashes: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    baseline: Annotated[str, Form()] = "",
    iwf: Annotated[str, Form()] = "",
    ncmec: Annotated[str, Form()] = "",
    vics: Annotated[str, Form()] = "",
    principal: Principal = page_requires(Permission.ENTRY_CONTRIBUTE),
    _csrf: None = csrf,
) -> Response:
    bank = banks.get_bank(session, principal, name)
    values = {
        "signal_type": signal_type,
        "hashes": hashes,
        "note": note,
        "baseline": baseline,
        "iwf": iwf,
        "ncmec": ncmec,
        "vics": vics,
    }
    lines, problem = _entries_of(hashes, signal_type)
    try:
        if problem:
            raise InvalidInput(problem, field="hashes")
        classification = _classification(values)
        items = []
        for number, kind, value in lines:
            try:
                items.append(
                    EntryIn(
                        signal_type=kind,
                        signal=value,
                        classification=classification,
                        note=note.strip() or None,
                    )
                )
            except ValidationError as exc:
                by_field, _ = field_errors(exc, fields={"signal": "hashes"})
                if "note" in by_field:
                    raise
                message = by_field.get("hashes") or next(iter(by_field.values()), "not valid")
                raise InvalidInput(f"line {number}: {message}", field="hashes") from None
        with session.begin_nested():
            result = banks.add_entries(session, principal, name, items)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, InvalidInput) and exc.field is None:
            found = ENTRY_LINE.match(exc.message)
            if found and int(found.group(1)) <= len(lines):
                line = lines[int(found.group(1)) - 1][0]
                exc = InvalidInput(f"line {line}: {found.group(2)}", field="hashes")
            else:
                exc = InvalidInput(exc.message, field="hashes")
        form, status = failed_form(exc, values, labels=ADD_LABELS, name="add")
        return _bank_page(request, session, principal, bank, add=form, status_code=status)
    return redirect(request, f"/banks/{name}", notice=f"Bank {name}: {_added(result)}.")


def _classification(values: dict[str, str]) -> Classification:
    """The classification the add forms apply to every entry they add."""
    return Classification.model_validate(
        {
            "baseline": bool(values["baseline"]),
            "iwf": values["iwf"] or None,
            "ncmec": values["ncmec"] or None,
            "vics": values["vics"] or None,
        }
    )


def _added(result: EntriesAdded) -> str:
    updated = len(result.entries) - result.added
    words = [f"{result.added} {'entry' if result.added == 1 else 'entries'} added"]
    if updated:
        words.append(f"{updated} updated")
    if result.unchanged:
        words.append(f"{result.unchanged} already in the bank unchanged")
    return ", ".join(words)


FILE_LABELS = {**ADD_LABELS, "files": "Files", "signal_types": "Hashes to add"}


@router.post("/banks/{name}/entries/files")
def add_files(
    # The guard comes first: nobody uploads anything before being authorised.
    principal: Annotated[Principal, page_requires(Permission.ENTRY_CONTRIBUTE)],
    request: Request,
    session: DbSession,
    name: str,
    _csrf: Annotated[None, csrf],
    upload: Annotated[UploadedForm, Depends(read_upload)],
) -> Response:
    """Add files the member holds: hashed in memory (a picture's PDQ with its variants,
    the digests ticked), never stored; the entries go through the same rules as typed
    hashes."""
    bank = banks.get_bank(session, principal, name)
    fields = upload.fields
    values = {k: fields.get(k, "") for k in ("note", "baseline", "iwf", "ncmec", "vics")}
    values |= {k: fields.get(k, "") for k in ("pdq", *media.DIGESTS)}
    files = [(n, d) for n, d in upload.all_files.get("files", []) if n or d]
    chosen = [k for k in ("pdq", *media.DIGESTS) if values[k]]
    values |= {"files": ", ".join(n for n, _ in files), "signal_types": ", ".join(chosen)}
    try:
        entries = media.entries_of_media(
            files,
            chosen,
            classification=_classification(values),
            note=values["note"].strip() or None,
        )
        with session.begin_nested():
            result = banks.add_entries(session, principal, name, entries)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, InvalidInput) and exc.field is None:
            exc = InvalidInput(exc.message, field="files")
        form, status = failed_form(exc, values, labels=FILE_LABELS, name="files", prefix="files-")
        return _bank_page(request, session, principal, bank, files=form, status_code=status)
    count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    return redirect(
        request, f"/banks/{name}", notice=f"Bank {name}: {_added(result)} from {count}."
    )


@router.post("/banks/{name}/entries/{entry_id}/remove")
def remove_entry(
    request: Request,
    session: DbSession,
    name: str,
    entry_id: int,
    back: Annotated[str, Form()] = "",
    principal: Principal = page_requires(Permission.ENTRY_CONTRIBUTE),
    _csrf: None = csrf,
) -> Response:
    bank = banks.get_bank(session, principal, name)
    try:
        with session.begin_nested():
            removed = banks.remove_entries(session, principal, name, [entry_id])
    except AllianceError as exc:
        form, status = failed_form(exc, {}, name="action")
        return _bank_page(request, session, principal, bank, action=form, status_code=status)
    notice = (
        f"Entry {entry_id} removed from {name}: subscribers drop it on their next sync."
        if removed
        else f"Entry {entry_id} had already been removed."
    )
    return redirect(request, _back(name, back), notice=notice)


@router.post("/banks/{name}/entries/{entry_id}/vote")
def vote(
    request: Request,
    session: DbSession,
    name: str,
    entry_id: int,
    back: Annotated[str, Form()] = "",
    principal: Principal = page_requires(Permission.ENTRY_VERIFY),
    _csrf: None = csrf,
) -> Response:
    bank = banks.get_bank(session, principal, name)
    try:
        with session.begin_nested():
            entry = banks.vote(session, principal, name, entry_id)
    except AllianceError as exc:
        form, status = failed_form(exc, {}, name="action")
        return _bank_page(request, session, principal, bank, action=form, status_code=status)
    if entry.votes >= banks.VERIFIED_AT:
        state = "it is now verified"
    else:
        state = f"{entry.votes} of {banks.VERIFIED_AT} analysts have verified it"
    return redirect(
        request, _back(name, back), notice=f"Your verification of entry {entry_id} counts: {state}."
    )


@router.get("/banks/{name}/download")
def download(
    request: Request,
    session: DbSession,
    name: str,
    format: str = "csv",
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    """The bank's live entries in an export format, or its signed snapshot."""
    if format == SNAPSHOT:
        body = distribution.snapshot(session, principal, name, app_state(request).signer)
        return Response(
            body,
            media_type="application/x-ndjson",
            headers={
                "content-disposition": f'attachment; filename="{name}.snapshot.jsonl"',
                "x-alliance-key-id": app_state(request).signer.key_id,
            },
        )
    spec = formats.get(format)
    body = banks.export_entries(session, principal, name, spec.name)
    return Response(
        body,
        media_type=spec.media_type,
        headers={"content-disposition": f'attachment; filename="{name}{spec.suffix}"'},
    )


@router.get("/banks/{name}/history")
def history(
    request: Request,
    session: DbSession,
    name: str,
    principal: Principal = page_requires(Permission.BANK_READ),
) -> Response:
    """Every event of the bank, newest first, a page at a time."""
    bank = banks.get_bank(session, principal, name)
    table, listing = read_table(request, sortable=["when"], default="-when")
    events = banks.bank_history(session, principal, name, listing)
    if table.csv:
        return csv_response(
            f"{name}-history.csv",
            ("When (UTC)", "What", "Organisation", "Entry", "Entries"),
            (
                (
                    e.occurred_at,
                    label(e.event_type),
                    e.organisation or actor_words(e.actor),
                    e.entry_id,
                    e.entries,
                )
                for e in events
            ),
        )
    return render(
        request,
        "bank_history.html",
        {
            "bank": banks.bank_out(session, bank),
            "events": table.rows(events),
            "table": table,
            "actor_words": actor_words,
        },
    )


# --- match ---------------------------------------------------------------------------


def _match_page(
    request: Request,
    principal: Principal,
    *,
    form: PageForm | None = None,
    upload: PageForm | None = None,
    response: MatchResponse | None = None,
    source: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "signal_options": _signal_options(),
        "signal_names": SIGNAL_NAMES,
        "form": form or PageForm(values={"signal_type": "pdq"}),
        "upload": upload or PageForm(),
        "max_upload_mb": app_state(request).settings.max_upload_bytes / 1_048_576,
        "may_feedback": principal.can(Permission.MATCH_FEEDBACK),
        "source": source,
    }
    if response is not None:
        context["results"] = response.results
    return render(request, "match.html", context, status_code=status_code)


@router.get("/match")
def match_form(
    request: Request, principal: Principal = page_requires(Permission.MATCH_QUERY)
) -> Response:
    return _match_page(request, principal)


@router.post("/match")
def match_lookup(
    request: Request,
    session: DbSession,
    signal_type: Annotated[str, Form()] = "pdq",
    hashes: Annotated[str, Form(max_length=200_000)] = "",
    principal: Principal = page_requires(Permission.MATCH_QUERY),
    _csrf: None = csrf,
) -> Response:
    values = {"signal_type": signal_type, "hashes": hashes}
    lines = [line.strip() for line in hashes.splitlines() if line.strip()]
    try:
        if not lines:
            raise InvalidInput("paste at least one hash", field="hashes")
        if len(lines) > MAX_LOOKUP_LINES:
            raise InvalidInput(
                f"at most {MAX_LOOKUP_LINES} hashes at a time; use the API", field="hashes"
            )
        if signal_type not in signals.REGISTRY:
            raise InvalidInput("choose one of the signal types offered", field="signal_type")
        with session.begin_nested():
            response = banks.match(
                session,
                principal,
                MatchRequest(
                    signals=[SignalIn(signal_type=signal_type, signal=line) for line in lines]
                ),
            )
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, InvalidInput) and exc.field is None:
            exc = InvalidInput(exc.message, field="hashes")
        form, status = failed_form(
            exc, values, labels={"hashes": "Hashes", "signal_type": "Signal type"}
        )
        return _match_page(request, principal, form=form, status_code=status)
    return _match_page(
        request, principal, form=PageForm(values=values), response=response, source="hashes"
    )


@router.post("/match/file")
def match_file(
    # The guard comes first: nobody uploads anything before being authorised.
    principal: Annotated[Principal, page_requires(Permission.MATCH_QUERY)],
    request: Request,
    session: DbSession,
    _csrf: Annotated[None, csrf],
    upload: Annotated[UploadedForm, Depends(read_upload)],
) -> Response:
    """Match an uploaded file: hashed in memory as the API's ``/api/v1/match/file`` does,
    never stored; the page lists the signals computed and their matches."""
    filename, data = upload.files.get("file", ("", b""))
    try:
        if not filename and not data:
            raise InvalidInput("choose a file to match", field="file")
        with session.begin_nested():
            response = banks.match(
                session,
                principal,
                MatchRequest(signals=media.signals_of_media(data, name=filename or "the file")),
            )
    except AllianceError as exc:
        if exc.field is None:
            exc = InvalidInput(exc.message, field="file") if isinstance(exc, InvalidInput) else exc
        form, status = failed_form(exc, {"file": filename}, labels={"file": "File"}, name="upload")
        return _match_page(request, principal, upload=form, status_code=status)
    return _match_page(request, principal, response=response, source=filename or "the file")


@router.post("/matches/{match_id}/feedback")
def match_feedback(
    request: Request,
    session: DbSession,
    match_id: int,
    verdict: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    principal: Principal = page_requires(Permission.MATCH_FEEDBACK),
    _csrf: None = csrf,
) -> Response:
    """Confirm or dispute a match shown on the match page (the API's match feedback).

    From the page (htmx) the answer replaces the buttons of that match; without script
    the browser goes to the entry's bank with a confirmation."""
    fragment = request.headers.get("hx-request") == "true"
    try:
        data = FeedbackIn.model_validate({"verdict": verdict, "note": note.strip() or None})
        with session.begin_nested():
            result = banks.feedback(session, principal, match_id, data)
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(
            exc, {"verdict": verdict, "note": note}, labels={"verdict": "Verdict"}
        )
        if fragment:
            return render(
                request,
                "_match_feedback.html",
                {"error": _in_words(form), "match_id": match_id},
                status_code=status,
            )
        return render(
            request,
            "error.html",
            {"status": status, "message": _in_words(form)},
            status_code=status,
        )
    word = "confirmed" if result.verdict == "confirmed" else "disputed"
    counts = (
        f"entry {result.entry_id} now has {result.confirmed} "
        f"confirmation{'s' if result.confirmed != 1 else ''} and {result.disputed} "
        f"dispute{'s' if result.disputed != 1 else ''}"
        + (", and is flagged for review" if result.flagged else "")
    )
    text = f"Match {match_id} {word}: {counts}."
    if fragment:
        return render(
            request, "_match_feedback.html", {"done": text, "result": result, "match_id": match_id}
        )
    bank_name, signal = banks.matched_entry(session, match_id)
    return redirect(request, f"/banks/{bank_name}?{urlencode({'q': signal})}", notice=text)


def _in_words(form: PageForm) -> str:
    parts = [f"{form.labels.get(k, k.capitalize())}: {v}" for k, v in form.errors.items()]
    return "; ".join(parts) or form.message or "not valid"
