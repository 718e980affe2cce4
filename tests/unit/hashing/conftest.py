from __future__ import annotations

import csv
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "pdq-reference"


def expected_rows() -> list[dict[str, str]]:
    with open(REFERENCE / "expected.csv", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


@pytest.fixture
def reference() -> Path:
    return REFERENCE
