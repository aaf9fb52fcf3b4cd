"""A clause naming the SME digital level (中小企业数字化水平) as a condition (issue #26 point 5).

No policy of the catalogue (scoring/policies, from ../shared/seeds) names a digital level today, so the
condition is tested on a made-up clause: {"field": "enterprise.sme_level", "op": ">=", "value": 2}."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.wording.subsidy_zh import condition_zh
from scoring.planning import plan_for_investments
from scoring.subsidy import PlanError, evaluate, parse_plan
from scoring.subsidy.catalogue import build_catalogue, reference_documents, shipped_documents

DOCUMENT: dict[str, Any] = {
    "policy": "test-sme-level",
    "source_file": "test_sme_level.txt",
    "number": "测试〔2026〕1号",
    "title": "数字化水平达标奖励（测试用）",
    "jurisdiction": {"region": "320412", "level": "district"},
    "valid_from": "2026-01-01",
    "clauses": [
        {
            "id": "test-sme-2",
            "clause": "1",
            "target": "retrofit_equipment_investment",
            "quote": "数字化水平达到二级及以上的企业，给予10万元奖励",
            "conditions": [{"field": "enterprise.sme_level", "op": ">=", "value": "2"}],
            "amount": {"kind": "fixed", "cny": "100000"},
        }
    ],
}


def catalogue():  # type: ignore[no-untyped-def]
    return build_catalogue([*shipped_documents(), DOCUMENT], *reference_documents())


def no_policy_names_a_digital_level() -> bool:
    return not any("sme_level" in str(doc["clauses"]) for doc in shipped_documents())


def test_no_shipped_policy_names_a_digital_level_yet() -> None:
    # When one does, its clause must read enterprise.sme_level and this file grows a golden case from it.
    assert no_policy_names_a_digital_level()


@pytest.mark.parametrize(
    ("level", "paid", "says"),
    [
        (0, False, "中小企业数字化水平未评定或无等级，未达到二级及以上"),
        (1, False, "中小企业数字化水平为一级，未达到二级及以上"),
        (2, True, "中小企业数字化水平为二级，达到二级及以上"),
        (4, True, "中小企业数字化水平为四级，达到二级及以上"),
    ],
)
def test_the_clause_pays_from_the_named_level_up(level: int, paid: bool, says: str) -> None:
    cat = catalogue()
    raw = {"date": "2026-06-01", "enterprise": {"region": "320412", "industry": "C", "sme_level": level}}
    plan = parse_plan(raw, cat)
    line = next(line for line in evaluate(plan, cat).lines if line.clause_id == "test-sme-2")
    assert (line.amount_fen == 10_000_000) is paid
    assert condition_zh(cat.clause("test-sme-2").conditions[0], plan, cat) == says


@pytest.mark.parametrize("level", [5, -1, 1.5, "二级"])
def test_a_level_outside_0_to_4_is_refused(level: object) -> None:
    raw = {"date": "2026-06-01", "enterprise": {"region": "320412", "sme_level": level}}
    with pytest.raises(PlanError, match="sme_level"):
        parse_plan(raw, catalogue())


def test_the_roadmap_plan_sends_the_level_only_when_rated() -> None:
    from scoring.maturity import Investments

    unrated = plan_for_investments(Investments(), region="320412", date="2026-06-01")
    rated = plan_for_investments(Investments(), region="320412", date="2026-06-01", sme_level=2)
    assert "sme_level" not in unrated["enterprise"] and rated["enterprise"]["sme_level"] == 2
