"""The whole OpenAPI, fuzzed: no input gets a server error, every answer matches the schema.

schemathesis generates requests for every operation from the app's own OpenAPI document,
valid ones and invalid ones, and sends each in-process to the served app on each database
back end: anonymously and with API keys of two broad roles (the secretariat's
administrator and a law-enforcement investigator, whose permissions together cover every
route). The run fails on any 5xx, any status the document does not list, a wrong content
type and a body that does not match its documented schema. Seeded and bounded: the same
few examples per operation on every run, all failures of all operations reported together.

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
    def run(case: schemathesis.Case) -> None:
        for headers in clients:
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_no_server_error_and_every_answer_documented(app: FastAPI, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    clients = [{}] + [{"authorization": f"Bearer {world.keys[role]}"} for role in ROLES]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, clients)
            except Unsatisfiable:
                continue  # nothing to make invalid (e.g. no parameters, or only a path)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert operations >= 60
    assert not failures, "\n\n".join(failures)
