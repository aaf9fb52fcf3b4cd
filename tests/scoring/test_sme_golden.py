"""Golden SME digital-level cases under tests/cases/sme/, worked by hand (each file's `worked_by_hand`): the
dimension scores, total, level and the Chinese reason and next-level sentences, as expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scoring.sme import load_index, score_answers

CASES = sorted((Path(__file__).resolve().parents[1] / "cases" / "sme").glob("*.json"))


def _case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: p.stem)
def test_golden_case(case_path: Path) -> None:
    case = _case(case_path)
    assert case["index_version"] == load_index().version
    result = score_answers(case["answers"]).to_dict()
    expected = case["expected"]
    assert {d["id"]: d["points"] for d in result["dimensions"]} == expected["dimensions"]
    assert result["total"] == expected["total"]
    assert (result["level"], result["level_zh"]) == (expected["level"], expected["level_zh"])
    assert result["reason_zh"] == expected["reason_zh"]
    assert result["next_zh"] == expected["next_zh"]
    # the level rule is unconfirmed in the data sheet, so every result carries the notice
    assert result["notice_zh"] == "以正式文件为准"
    assert not result["confirmed"]
    assert "level_rule" in {u["kind"] for u in result["unconfirmed"]}


def test_cases_cover_every_level_and_a_high_score_without_level() -> None:
    cases = [_case(p) for p in CASES]
    assert {c["expected"]["level"] for c in cases} == {0, 1, 2, 3, 4}
    high_no_level = [c for c in cases if c["expected"]["level"] == 0 and float(c["expected"]["total"]) >= 80]
    assert high_no_level, "a case with a 四级 score but too few ★ scenarios"
    for c in high_no_level:
        stars = {s.id for s in load_index().scenarios if s.constraint}
        at_one = [s for s, g in c["answers"]["scenarios"].items() if g >= 1 and s in stars]
        assert len(at_one) < load_index().level_rule.levels[0].min_constraint
