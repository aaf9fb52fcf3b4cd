"""Why a subsidy line pays nothing, in the words a page prints beside ¥0: 失效于, 不在适用地区, 未达门槛."""

from __future__ import annotations

from typing import Any

from diagnose.wording.subsidy_why_zh import line_reason_zh, reasons_zh, zero_reason_zh
from scoring.subsidy import evaluate, load_catalogue, parse_plan

CATALOGUE = load_catalogue()


def _reason(raw: dict[str, Any], clause_id: str) -> str:
    plan = parse_plan(raw, CATALOGUE)
    result = evaluate(plan, CATALOGUE)
    return line_reason_zh(result.line(clause_id), result, plan, CATALOGUE)


def _plan(date: str, region: str = "320412", **sections: Any) -> dict[str, Any]:
    return {"date": date, "enterprise": {"region": region, "industry": "C"}, **sections}


def test_an_expired_clause_says_when_it_lapsed() -> None:
    raw = _plan("2026-06-01", investments={"equipment_cny": 6_000_000})
    assert _reason(raw, "wj24-1-retrofit") == "失效于 2024-12-31"


def test_a_clause_not_yet_in_force_says_from_when() -> None:
    raw = _plan("2020-06-01", region="320585", investments={"equipment_cny": 6_000_000})
    tc = next(c for c in CATALOGUE.clauses if c.policy == "tc-2021-3")
    assert _reason(raw, tc.id) == "未生效（2021-01-01 起施行）"


def test_another_region_says_which_region_the_clause_is_for() -> None:
    raw = _plan("2022-06-01", investments={"equipment_cny": 6_000_000})
    tc = next(c for c in CATALOGUE.clauses if c.policy == "tc-2021-3")
    assert _reason(raw, tc.id) == "不在适用地区（太仓市）"


def test_a_threshold_not_reached_names_it() -> None:
    raw = _plan("2024-06-01", investments={"equipment_cny": 5_000_000})
    reason = _reason(raw, "wj24-1-retrofit")
    assert reason.startswith("未达门槛：") and "未超过 ¥5,000,000.00" in reason, reason


def test_a_zero_total_is_explained_by_the_regions_policies() -> None:
    plan = parse_plan(
        _plan("2026-06-01", region="320585", investments={"equipment_cny": 6_000_000}), CATALOGUE
    )
    result = evaluate(plan, CATALOGUE)
    assert result.total_fen == 0
    why = zero_reason_zh(result, plan, CATALOGUE)
    assert "太政发〔2021〕3号 失效于 2023-12-31" in why, why
    assert all(r.reason for r in reasons_zh(result, plan, CATALOGUE))
    # A plan that is paid has no zero reason.
    paid_plan = parse_plan(_plan("2024-06-01", investments={"equipment_cny": 6_000_000}), CATALOGUE)
    assert zero_reason_zh(evaluate(paid_plan, CATALOGUE), paid_plan, CATALOGUE) == ""
