from typing import Any

from tests.browser.test_every_form import CASES, _run_case, chromium, demo_server  # noqa: F401


def test_commitment_cases(demo_server: str, chromium: Any) -> None:  # noqa: F811
    problems: list[str] = []
    for case in CASES:
        if "commitments" in case.id:
            problems += _run_case(chromium, demo_server, case)
    assert not problems, "\n".join(problems)
