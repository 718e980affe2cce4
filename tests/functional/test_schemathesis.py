"""The whole OpenAPI, fuzzed: no input gets a server error, every answer matches the schema.

schemathesis generates requests for every operation from the app's own OpenAPI document,
valid ones and invalid ones, and sends each in-process to the served app on each database
back end: anonymously and with API keys of two broad roles (the secretariat's
administrator and a law-enforcement investigator, whose permissions together cover every
route). The run fails on any 5xx, any status the document does not list, a wrong content
type and a body that does not match its documented schema. Seeded and bounded: the same
few examples per operation on every run, all failures of all operations reported together.

Member mode's app (``alliance serve --member``, its bank synced from the hub) is fuzzed
for the operations only it serves (``/api/v1/member/...``, HMA's ``/m/lookup`` and
``/m/raw_lookup``) and the review queue's, with the keys a platform gives its services and
its reviewers: an industry reviewer's and its organisation administrator's.

A second pass sends each operation one valid request with a NUL added to every string it
carries: random generation rarely draws one, and on PostgreSQL each was a server error.

(schemathesis' own pytest loader reads a private attribute pytest 9 no longer has, so the
operations are walked here, one Hypothesis run each.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alliance.accounts.permissions import Role
from tests.functional.conftest import World

#: Examples per operation and generation mode (valid, invalid), each sent as every client:
#: both back ends take about a minute and a half here.
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = [Role.secretariat_admin, Role.investigator]
#: Member mode's own operations, and the review queue's as a platform calls them.
MEMBER_OPERATIONS = ("/api/v1/member/", "/m/", "/api/v1/review/")
MEMBER_ROLES = [Role.reviewer, Role.org_admin]
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # seeded: the same examples on every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


def _fuzz(operation: Any, mode: GenerationMode, clients: list[dict[str, str]]) -> None:
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        for headers in clients:
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def _with_nul(value: Any) -> tuple[Any, bool]:
    """``value`` with a NUL appended to every string in it, and whether there was one."""
    if isinstance(value, str):
        return value + "\x00", True
    if isinstance(value, list):
        items = [_with_nul(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    if isinstance(value, dict):
        fields = {k: _with_nul(v) for k, v in value.items()}
        return {k: v for k, (v, _) in fields.items()}, any(c for _, c in fields.values())
    return value, False


def _operations(app: FastAPI, only: tuple[str, ...] = ()) -> list[Any]:
    """The app's documented operations (those whose path starts with one of ``only``)."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if not only or operation.path.startswith(only):
            found.append(operation)
    return found


def _bearers(world: World, roles: list[Role]) -> list[dict[str, str]]:
    return [{"authorization": f"Bearer {world.keys[role]}"} for role in roles]


def _fuzz_every(operations: list[Any], clients: list[dict[str, str]]) -> list[str]:
    """Each operation fuzzed in both modes as every client; every failure, described."""
    failures: list[str] = []
    for operation in operations:
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, clients)
            except Unsatisfiable:
                continue  # nothing to make invalid (e.g. no parameters, or only a path)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


def test_no_server_error_and_every_answer_documented(app: FastAPI, world: World) -> None:
    operations = _operations(app)
    assert len(operations) >= 60
    failures = _fuzz_every(operations, [{}, *_bearers(world, ROLES)])
    assert not failures, "\n\n".join(failures)


def test_member_mode_no_server_error_and_every_answer_documented(
    member_app: FastAPI, world: World
) -> None:
    operations = _operations(member_app, MEMBER_OPERATIONS)
    assert {o.path for o in operations} >= {
        "/api/v1/member/match/file",
        "/m/raw_lookup",
        # A confirmed case's reports: filed, withdrawn, read, closed.
        "/api/v1/review/cases/{case}/cybertipline",
        "/api/v1/review/cases/{case}/cybertipline/withdraw",
        "/api/v1/review/cases/{case}/dsa",
        "/api/v1/review/cases/{case}/police",
        "/api/v1/review/cases/{case}/reports",
        "/api/v1/review/cases/{case}/close",
    }
    assert len(operations) >= 20
    failures = _fuzz_every(operations, [{}, *_bearers(world, MEMBER_ROLES)])
    assert not failures, "\n\n".join(failures)


def _nul_answers(operations: list[Any], headers: dict[str, str]) -> tuple[int, list[str]]:
    """Each operation once, a valid request with a NUL added to every string it carries
    (path, query, JSON body); how many were sent, and those not answered 400."""
    wrong: list[str] = []
    tried = 0
    for operation in operations:

        @settings(SETTINGS, max_examples=1)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal tried
            changed = False
            for part in ("path_parameters", "query"):
                value, touched = _with_nul(getattr(case, part) or {})
                setattr(case, part, value)
                changed |= touched
            if isinstance(case.body, (dict, list)):
                case.body, touched = _with_nul(case.body)
                changed |= touched
            if not changed:
                return
            tried += 1
            response = case.call(headers=headers)
            if response.status_code != 400:
                wrong.append(f"{case.operation.label}: {response.status_code} {response.text[:99]}")

        run()
    return tried, wrong


def test_a_nul_in_any_string_of_any_operation_is_400(app: FastAPI, world: World) -> None:
    """400, the same on both back ends."""
    tried, wrong = _nul_answers(_operations(app), _bearers(world, [Role.secretariat_admin])[0])
    assert tried >= 40
    assert not wrong, "\n".join(wrong)


def test_a_nul_in_any_string_of_a_member_operation_is_400(
    member_app: FastAPI, world: World
) -> None:
    operations = _operations(member_app, MEMBER_OPERATIONS)
    tried, wrong = _nul_answers(operations, _bearers(world, [Role.org_admin])[0])
    assert tried >= 10
    assert not wrong, "\n".join(wrong)
