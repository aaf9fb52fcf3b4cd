"""Before/after comparison of two SME evaluations, and the distribution of levels a bureau reads."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from scoring.sme import score_answers
from scoring.sme.compare import TARGET_LEVEL, compare, level_distribution

CASES = Path(__file__).parents[1] / "cases" / "sme"


def _answers(name: str) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))["answers"]
    return answers


def test_before_and_after_the_transformation() -> None:
    before = score_answers(_answers("level1_short_of_constraint"))
    after = score_answers(_answers("level2"))
    c = compare(before, after)
    assert (c.level_before, c.level_after, c.same_index) == (1, 2, True)
    assert (c.total_before, c.total_after) == (Fraction(5125, 100), Fraction(6925, 100))
    # 能耗管理 0 → 2, 协同办公 2 → 3; 人力资源 stays at 二级
    raised = {x.id: (x.before, x.after) for x in c.raised}
    assert raised["energy"] == (0, 2) and raised["office"] == (2, 3)
    assert "hr" not in raised and c.lowered == ()
    assert c.summary_zh == (
        f"数字化水平由一级提升至二级，总分由 51.25 分变为 69.25 分（+18），{len(c.raised)} 个场景等级提高"
        f"（其中约束性场景 {sum(1 for x in c.raised if x.constraint)} 个）。"
    )
    assert dict((d[0], (d[2], d[3])) for d in c.dimensions)["management"] == (Fraction(45, 4), Fraction(18))


def test_a_lower_level_says_so() -> None:
    c = compare(score_answers(_answers("level3")), score_answers(_answers("no_level_high_score")))
    assert c.summary_zh.startswith("数字化水平由三级降至无等级，总分由 83.27 分变为 83.27 分（0）")
    assert c.lowered and "个场景等级降低" in c.summary_zh


def test_distribution_counts_pilot_enterprises_at_two_or_above() -> None:
    d = level_distribution([0, 1, 2, 2, 3, 4, 1, 2])
    assert d.counts == (1, 2, 3, 1, 1)
    assert (d.total, d.at_least(TARGET_LEVEL), d.share_at_least(TARGET_LEVEL)) == (8, 5, Fraction(5, 8))
    assert level_distribution([]).share_at_least(2) is None
    with pytest.raises(ValueError, match="integer 0–4"):
        level_distribution([5])
