"""The planner's roadmaps stay what they were before its state evaluation became incremental."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.scoring.roadmap_cases import GOLDEN, cases, run

EXPECTED: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_every_case_has_a_recorded_roadmap() -> None:
    assert sorted(EXPECTED) == sorted(case for case, _ in cases())


@pytest.mark.parametrize(("case", "inputs"), list(cases()), ids=[case for case, _ in cases()])
def test_roadmap_is_the_recorded_one(case: str, inputs: dict[str, Any]) -> None:
    assert run(inputs) == EXPECTED[case]
