"""Golden subsidy plans under tests/cases/subsidy/: each plan's total and chosen lines as expected."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.subsidy import evaluate, load_catalogue, parse_plan

CASES = sorted((Path(__file__).resolve().parents[1] / "cases" / "subsidy").glob("*.json"))


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_golden_plan(case_path: Path) -> None:
    case: dict[str, Any] = json.loads(case_path.read_text(encoding="utf-8"), parse_float=Decimal)
    catalogue = load_catalogue()
    result = evaluate(parse_plan(case["plan"], catalogue), catalogue).to_dict()
    expected = case["expected"]
    assert result["total_cny"] == expected["total_cny"]
    if "upper_bound_cny" in expected:
        assert result["upper_bound_cny"] == expected["upper_bound_cny"]
    lines = {line["clause_id"]: line for line in result["lines"]}
    for clause_id, want in expected["lines"].items():
        got = lines[clause_id]
        assert {k: got[k] for k in want} == want, (clause_id, got["explanation"])
    assert sum(line["amount_fen"] for line in result["lines"]) == result["total_fen"]


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 5


SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_golden_cases_cite_the_seed_verbatim(case_path: Path) -> None:
    """Each case worked by hand cites 'FILE where: quote'; the quote must be in that seed text."""
    if not SEEDS.is_dir():
        pytest.skip("the shared seeds are not next to the repository")
    for cite in json.loads(case_path.read_text(encoding="utf-8")).get("cites", []):
        source, _, quote = cite.partition(": ")
        text = (SEEDS / source.split()[0]).read_text(encoding="utf-8")
        assert quote and quote in text, cite
