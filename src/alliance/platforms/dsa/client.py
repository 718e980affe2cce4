"""Submitting statements of reasons to the DSA Transparency Database, resumably.

The database's API (``POST /api/v1/statements`` with ``{"statements": [...]}``, 1-100 at
a time, and ``POST /api/v1/statement`` for one; ``Authorization: Bearer <token>``)
answers:

- **201** — stored; each statement comes back with its ``uuid``;
- **422 with** ``errors.existing_puids`` (a batch) or ``existing`` (one) — a puid the
  database already holds. Nothing of that batch was stored: those statements are marked
  ``duplicate`` (already submitted: by an earlier run, or by a try whose answer was lost)
  and are never sent again; the rest of the batch is sent again without them;
- **422 with** ``errors.statement_<i>`` (a batch) or ``errors.<field>`` (one) — the
  database's validation refused those statements. That is final: they are marked
  ``refused`` with the fields and messages, and the rest is sent again without them;
- **timeout, connection error, 5xx, 429** — retried a bounded number of times with
  backoff (429: after its ``Retry-After``), the same statements with the same puids, so a
  try whose answer was lost cannot store a statement twice: the database refuses the
  second puid and the statement counts as ``duplicate``. When the tries run out the
  statements stay ``pending`` and :class:`TransparencyDatabaseUnavailable` is raised;
- 401, 403 and other answers stop the run with the error of :mod:`alliance.errors`.

Where a run stands is :class:`Progress`, a JSON value the caller keeps (a file, a column)
after every step (``on_step``); a run given it again sends only what is still pending.
Nothing here writes to a database or an audit log: the caller does, with each step.

::

    AllianceError
    └── TransparencyDatabaseUnavailable   no usable answer after the tries (exit 1)
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any

import httpx

from alliance import errors
from alliance.platforms.dsa.schemas import BATCH_MAX, Statement

PROGRESS_TYPE = "alliance.dsa_submission"
PROGRESS_VERSION = 1
BATCH_PATH = "/api/v1/statements"
SINGLE_PATH = "/api/v1/statement"
MESSAGE_CHARS = 300
MAX_RETRY_AFTER_SECONDS = 60.0
_STATEMENT_KEY = re.compile(r"statement_(\d+)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class TransparencyDatabaseUnavailable(errors.AllianceError):
    """The database timed out, could not be reached or answered 5xx/429 on every try."""

    code = "dsa_unavailable"


class State(StrEnum):
    pending = "pending"  # not yet known to be in the database
    accepted = "accepted"  # stored by this submission (201)
    duplicate = "duplicate"  # the database already held its puid (422): not resent
    refused = "refused"  # the database's validation refused it (422): final


@dataclass
class Entry:
    state: State = State.pending
    uuid: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    tries: int = 0  # requests that carried it


@dataclass
class Progress:
    """Where a submission stands, per puid; :meth:`to_json` / :meth:`from_json` for the
    caller to keep it. ``stopped`` says why the last run ended early (empty when it
    did not)."""

    id: str = field(default_factory=lambda: "dsa-" + secrets.token_hex(6))
    entries: dict[str, Entry] = field(default_factory=dict)
    stopped: str = ""

    def add(self, puids: Iterable[str]) -> None:
        for puid in puids:
            self.entries.setdefault(puid, Entry())

    def state(self, puid: str) -> State | None:
        entry = self.entries.get(puid)
        return entry.state if entry is not None else None

    def puids(self, state: State) -> list[str]:
        return [puid for puid, entry in self.entries.items() if entry.state is state]

    def counts(self) -> dict[str, int]:
        return {state.value: len(self.puids(state)) for state in State}

    @property
    def done(self) -> bool:
        return not self.puids(State.pending)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": PROGRESS_TYPE,
            "version": PROGRESS_VERSION,
            "id": self.id,
            "stopped": self.stopped,
            "statements": {
                puid: {
                    "state": entry.state.value,
                    "uuid": entry.uuid,
                    "errors": entry.errors,
                    "tries": entry.tries,
                }
                for puid, entry in self.entries.items()
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> Progress:
        """A progress kept by :meth:`to_json`; InvalidInput for anything else."""
        if (
            not isinstance(data, Mapping)
            or data.get("type") != PROGRESS_TYPE
            or not isinstance(data.get("statements"), Mapping)
        ):
            raise errors.InvalidInput(f"not a progress record ({PROGRESS_TYPE})")
        if data.get("version") != PROGRESS_VERSION:
            raise errors.InvalidInput(
                f"progress version {data.get('version')!r} is not {PROGRESS_VERSION}"
            )
        progress = cls(id=str(data.get("id") or cls().id), stopped=str(data.get("stopped", "")))
        try:
            for puid, entry in data["statements"].items():
                progress.entries[str(puid)] = Entry(
                    state=State(entry["state"]),
                    uuid=entry.get("uuid"),
                    errors={str(k): [str(m) for m in v] for k, v in entry["errors"].items()},
                    tries=int(entry.get("tries", 0)),
                )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise errors.InvalidInput(f"progress record is damaged: {exc}") from None
        return progress


@dataclass(frozen=True)
class Step:
    """What one request settled (for the caller's audit log)."""

    accepted: tuple[str, ...] = ()
    duplicate: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


StepHook = Callable[[Progress, Step], None]

_ANSWER_ERRORS: dict[int, type[errors.AllianceError]] = {
    400: errors.InvalidInput,
    401: errors.NotAuthenticated,
    403: errors.PermissionDenied,
    404: errors.ConfigurationError,  # the URL is not the database's API
    405: errors.ConfigurationError,
    413: errors.PayloadTooLarge,
}


class TransparencyDatabase:
    """A client of one Transparency Database API (the Commission's, its sandbox, or the
    demo's stand-in): ``base_url`` is the site, e.g. ``https://….europa.eu``.

    ``tries`` bounds the requests per batch when the database times out or answers 5xx
    or 429; between them it waits ``backoff`` seconds, doubled each time.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        tries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise errors.ConfigurationError(
                f"the Transparency Database URL must be http(s), not {base_url[:60]!r}"
            )
        if not token.strip():
            raise errors.ConfigurationError("the Transparency Database token is empty")
        if tries < 1:
            raise ValueError("tries must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.tries = tries
        self.backoff = backoff
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "Accept": "application/json",
            },
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TransparencyDatabase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Batches ----------------------------------------------------------------------------

    def submit(
        self,
        statements: Sequence[Statement],
        progress: Progress | None = None,
        *,
        batch_size: int = BATCH_MAX,
        on_step: StepHook | None = None,
    ) -> Progress:
        """Send every statement still pending in ``progress`` (a new one when None), in
        batches of ``batch_size``; ``on_step`` after every answer that settled some.

        Returns the progress, done or not (refused statements are in it); raises
        :class:`TransparencyDatabaseUnavailable` (the progress, given to ``on_step`` last,
        still lists the unsent as pending) or the error of a 401, 403 or other answer.
        """
        if not 1 <= batch_size <= BATCH_MAX:
            raise errors.InvalidInput(f"a batch holds 1 to {BATCH_MAX} statements")
        puids = [s.puid for s in statements]
        if len(set(puids)) != len(puids):
            # The database would answer the repeat as a duplicate of a statement it does
            # not hold: refused here, before anything is sent.
            raise errors.InvalidInput("each statement needs a puid of its own", field="puid")
        progress = progress if progress is not None else Progress()
        progress.add(s.puid for s in statements)
        progress.stopped = ""
        todo = [s for s in statements if progress.state(s.puid) is State.pending]
        for begin in range(0, len(todo), batch_size):
            self._send_batch(todo[begin : begin + batch_size], progress, on_step)
        return progress

    def _send_batch(
        self, batch: list[Statement], progress: Progress, on_step: StepHook | None
    ) -> None:
        while batch:
            body = {"statements": [s.to_api() for s in batch]}
            what = f"POST {BATCH_PATH} ({len(batch)} statements)"
            puids = [s.puid for s in batch]
            response = self._post(BATCH_PATH, body, what, puids, progress, on_step)
            if response.status_code == 201:
                uuids = _uuids_by_puid(response)
                for statement in batch:
                    _settle(
                        progress, statement.puid, State.accepted, uuid=uuids.get(statement.puid)
                    )
                _report(progress, on_step, Step(accepted=tuple(s.puid for s in batch)))
                return
            if response.status_code != 422:
                raise self._stop(progress, on_step, response, what)
            problems = _errors_of(response)
            existing = {str(p) for p in problems.get("existing_puids") or []}
            duplicates = [s.puid for s in batch if s.puid in existing]
            refused: dict[str, dict[str, list[str]]] = {}
            for key, fields in problems.items():
                match = _STATEMENT_KEY.fullmatch(key)
                if match and int(match.group(1)) < len(batch):
                    refused[batch[int(match.group(1))].puid] = _field_messages(fields)
            if not duplicates and not refused:
                # Nothing names a statement: the batch itself was refused.
                raise self._stop(progress, on_step, response, what)
            for puid in duplicates:
                _settle(progress, puid, State.duplicate)
            for puid, messages in refused.items():
                _settle(progress, puid, State.refused, errors=messages)
            _report(progress, on_step, Step(duplicate=tuple(duplicates), refused=tuple(refused)))
            # The database stored none of this batch: the rest goes again without them.
            batch = [s for s in batch if progress.state(s.puid) is State.pending]

    # One statement ----------------------------------------------------------------------

    def submit_one(
        self,
        statement: Statement,
        progress: Progress | None = None,
        *,
        on_step: StepHook | None = None,
    ) -> Progress:
        """``POST /api/v1/statement``: the same outcomes as :meth:`submit`, for one."""
        progress = progress if progress is not None else Progress()
        progress.add([statement.puid])
        progress.stopped = ""
        if progress.state(statement.puid) is not State.pending:
            return progress
        what = f"POST {SINGLE_PATH} (puid {statement.puid})"
        response = self._post(
            SINGLE_PATH, statement.to_api(), what, [statement.puid], progress, on_step
        )
        if response.status_code == 201:
            uuid = _json(response).get("uuid")
            _settle(progress, statement.puid, State.accepted, uuid=str(uuid) if uuid else None)
            _report(progress, on_step, Step(accepted=(statement.puid,)))
        elif response.status_code == 422 and "existing" in _json(response):
            _settle(progress, statement.puid, State.duplicate)
            _report(progress, on_step, Step(duplicate=(statement.puid,)))
        elif response.status_code == 422 and _errors_of(response):
            messages = _field_messages(_errors_of(response))
            _settle(progress, statement.puid, State.refused, errors=messages)
            _report(progress, on_step, Step(refused=(statement.puid,)))
        else:
            raise self._stop(progress, on_step, response, what)
        return progress

    # The wire ---------------------------------------------------------------------------

    def _post(
        self,
        path: str,
        body: dict[str, Any],
        what: str,
        puids: list[str],
        progress: Progress,
        on_step: StepHook | None,
    ) -> httpx.Response:
        """The first answer that is not a timeout, a 5xx or a 429, the same body each try."""
        why = ""
        for attempt in range(1, self.tries + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            for puid in puids:
                progress.entries[puid].tries += 1
            try:
                response = self._client.post(path, json=body)
            except httpx.TimeoutException:
                why = "timed out"
            except httpx.TransportError as exc:
                why = f"could not be reached ({type(exc).__name__})"
            else:
                status = response.status_code
                if status < 500 and status != 429:
                    return response
                why = f"answered {status}"
                if status == 429:
                    wait = max(wait, _retry_after(response))
            if attempt < self.tries:
                self._sleep(wait)
        progress.stopped = (
            f"the Transparency Database {why} on {what}, {self.tries} tries; "
            f"{len(progress.puids(State.pending))} statements pending: run again to resume"
        )
        _report(progress, on_step, Step())
        raise TransparencyDatabaseUnavailable(progress.stopped)

    def _stop(
        self,
        progress: Progress,
        on_step: StepHook | None,
        response: httpx.Response,
        what: str,
    ) -> errors.AllianceError:
        """The error for an answer that ends the run; the progress says where it stopped."""
        status = response.status_code
        text = f"the Transparency Database answered {status} to {what}: {_message(response)}"
        progress.stopped = text
        _report(progress, on_step, Step())
        if status == 422:
            return errors.InvalidInput(text)
        return _ANSWER_ERRORS.get(status, TransparencyDatabaseUnavailable)(text)


def _settle(
    progress: Progress,
    puid: str,
    state: State,
    *,
    uuid: str | None = None,
    errors: dict[str, list[str]] | None = None,
) -> None:
    entry = progress.entries[puid]
    entry.state = state
    entry.uuid = uuid
    entry.errors = errors or {}


def _report(progress: Progress, on_step: StepHook | None, step: Step) -> None:
    if on_step is not None:
        on_step(progress, step)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _errors_of(response: httpx.Response) -> dict[str, Any]:
    found = _json(response).get("errors")
    return found if isinstance(found, dict) else {}


def _uuids_by_puid(response: httpx.Response) -> dict[str, str]:
    stored = _json(response).get("statements")
    if not isinstance(stored, list):
        return {}
    return {
        str(s["puid"]): str(s["uuid"])
        for s in stored
        if isinstance(s, dict) and "puid" in s and "uuid" in s
    }


def _field_messages(fields: Any) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}`` from the database, cut short and made printable."""
    if not isinstance(fields, dict):
        return {"statement": [_clean(str(fields))]}
    return {
        _clean(str(name)): [_clean(str(m)) for m in (v if isinstance(v, list) else [v])]
        for name, v in fields.items()
    }


def _message(response: httpx.Response) -> str:
    body = _json(response)
    message = body.get("message") or body.get("errors") or response.text
    return _clean(str(message))


def _clean(text: str) -> str:
    """An answer's text on one line, short: it must not write to the operator's terminal."""
    return _CONTROL.sub(" ", text)[:MESSAGE_CHARS].strip()


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
