"""Every record of the maturity data files is complete, cited and consistent."""

from collections import Counter

import pytest

from scoring.maturity import load_actions, load_evidence_rules, load_model
from scoring.maturity.model import read_json

MODEL = load_model()
REQUIREMENT_IDS = {r.id for r in MODEL.requirements}


def test_model_structure_is_4_elements_12_domains_20_subdomains() -> None:
    assert len(MODEL.elements) == 4
    assert len(MODEL.domains) == 12
    assert len(MODEL.subdomains) == 20
    assert [lv.level for lv in MODEL.levels] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("req", MODEL.requirements, ids=lambda r: r.id)
def test_requirement_record_is_complete(req) -> None:
    assert req.source.strip()
    assert req.statement_zh.strip() and req.statement_en.strip()
    assert req.evidence_zh.strip() and req.evidence_en.strip()
    assert req.subdomain in {s.id for s in MODEL.subdomains}
    assert req.level in range(1, 6)
    assert req.industry in {"discrete", "process", "both"}
    assert 1 <= req.effort <= 5


@pytest.mark.parametrize("industry", ["discrete", "process"])
def test_every_applicable_cell_has_2_to_5_requirements(industry: str) -> None:
    cells = Counter((r.subdomain, r.level) for r in MODEL.requirements if r.applies_to(industry))
    assert cells and all(2 <= n <= 5 for n in cells.values())


def test_cmmm_pattern_of_applicable_levels() -> None:
    levels = {
        s.id: sorted({r.level for r in MODEL.requirements if r.subdomain == s.id}) for s in MODEL.subdomains
    }
    assert levels["data"] == levels["integration"] == [1, 2, 3, 4, 5]
    assert levels["product_service"] == [3, 4, 5]
    assert levels["energy_management"][0] == 2


@pytest.mark.parametrize("action", load_actions(), ids=lambda a: a.id)
def test_action_record_is_complete(action) -> None:
    assert action.satisfies and set(action.satisfies) <= REQUIREMENT_IDS
    assert action.category in {"equipment", "it", "robots", "energy", "management"}
    assert action.source.strip() and action.name_zh and action.name_en
    assert set(action.cost_range_cny) == {"small", "medium", "large"}
    for low, high in action.cost_range_cny.values():
        assert isinstance(low, int) and isinstance(high, int) and 0 < low <= high
    assert action.duration_weeks > 0


def test_every_requirement_is_covered_by_some_action() -> None:
    covered = {rid for a in load_actions() for rid in a.satisfies}
    assert covered == REQUIREMENT_IDS


@pytest.mark.parametrize("rule", load_evidence_rules(), ids=lambda r: r.id)
def test_evidence_rule_names_an_existing_requirement_and_a_source(rule) -> None:
    assert rule.requirement in REQUIREMENT_IDS
    assert rule.source.strip()
    assert rule.kind in {"at_least", "present", "flag"}


def test_scoring_table_is_versioned_and_cited() -> None:
    table = read_json("scoring_table.json")
    assert table["version"] and table["weights"]["source"] and table["thresholds"]["source"]
    assert MODEL.weights.scheme == "equal"
