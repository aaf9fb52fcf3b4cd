"""Why each subsidy line has its verdict, as plain data (codes and parameters): the pure core says why, the wording
(`diagnose/wording/subsidy_zh.py`) says it in Chinese."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from scoring.subsidy import evaluate, load_catalogue, parse_plan
from scoring.subsidy.explain import CODES, ConditionCheck, explain
from tests.diagnose.test_subsidy_wording_golden import PLANS

STATUS_OF = {
    "out_of_force": {"out_of_force"},
    "outside_region": {"not_eligible"},
    "condition_failed": {"not_eligible"},
    "no_product": {"not_eligible"},
    "zero_amount": {"not_eligible"},
    "up_to_only": {"not_computable"},
    "not_computable": {"not_computable"},
    "paid": {"paid"},
    "superseded": {"superseded"},
    "excluded": {"excluded"},
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _explanations() -> list[tuple[str, object]]:
    catalogue = load_catalogue()
    out = []
    for raw in PLANS:
        plan = parse_plan(raw, catalogue)
        result = evaluate(plan, catalogue)
        out += [(line.status, explain(line, result, plan, catalogue)) for line in result.lines]
    return out


def test_every_line_has_a_code_that_matches_its_status() -> None:
    found = _explanations()
    assert {said.code for _, said in found} <= set(CODES)  # type: ignore[attr-defined]
    for status, said in found:
        assert status in STATUS_OF[said.code], (status, said)  # type: ignore[attr-defined]
    assert len({said.code for _, said in found}) >= 8  # type: ignore[attr-defined]


def _words(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [w for f in dataclasses.fields(value) for w in _words(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [w for item in value for w in _words(item)]
    return []


def test_the_data_holds_codes_ids_and_numbers_not_chinese_sentences() -> None:
    for _, said in _explanations():
        # Chinese only where the policy data or the plan has it: a clause's exclusion rule and the reason it gives
        # for an amount that cannot be computed (quoted), a product's name.
        quoted = dataclasses.replace(said, exclusion_rule="", reason="")  # type: ignore[type-var]
        texts = [w for w in _words(quoted) if CJK.search(w)]
        assert set(texts) <= {"高速主轴"}, texts


def test_a_failed_threshold_names_the_plans_value_and_the_clauses() -> None:
    catalogue = load_catalogue()
    plan = parse_plan(PLANS[1], catalogue)
    result = evaluate(plan, catalogue)
    failed = [
        said.condition
        for line in result.lines
        if (said := explain(line, result, plan, catalogue)).code == "condition_failed"
        and said.condition is not None
    ]
    thresholds = [c for c in failed if c.kind == "field" and c.op in (">", ">=")]
    assert thresholds
    for check in thresholds:
        assert isinstance(check, ConditionCheck) and not check.ok
        assert isinstance(check.value, (Decimal, int)) and isinstance(check.required, (Decimal, int))


def test_an_explanation_is_frozen_plain_data() -> None:
    _, said = _explanations()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        said.code = "paid"  # type: ignore[attr-defined,misc]
