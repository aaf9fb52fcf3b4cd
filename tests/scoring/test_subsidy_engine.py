"""The subsidy engine: thresholds, caps, 就高不重复, exclusions, validity windows and exact money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scoring.subsidy import PlanError, evaluate, load_catalogue, parse_plan, what_if

CATALOGUE = load_catalogue()


def make_plan(date: str = "2024-06-01", region: str = "320412", **sections: Any) -> dict[str, Any]:
    """A manufacturing enterprise's plan dict; keyword sections replace the defaults."""
    raw: dict[str, Any] = {"date": date, "enterprise": {"region": region, "industry": "C"}}
    raw.update(sections)
    return raw


def line(raw: dict[str, Any], clause_id: str) -> tuple[str, int]:
    """(status, amount_fen) of one clause for a plan dict."""
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE).line(clause_id)
    return result.status, result.amount_fen


@pytest.mark.parametrize(
    ("sections", "clause_id", "status", "amount_fen"),
    [
        # 001 clause 1: 投资超500万元 is strict.
        ({"investments": {"equipment_cny": 5000000}}, "wj24-1-retrofit", "not_eligible", 0),
        ({"investments": {"equipment_cny": 5000001}}, "wj24-1-retrofit", "paid", 25000005),
        # 001 clause 1: 节能量达50吨标煤以上 is inclusive.
        ({"investments": {"energy_saved_tce": "49.99"}}, "wj24-1-energy", "not_eligible", 0),
        ({"investments": {"energy_saved_tce": 50}}, "wj24-1-energy", "paid", 2000000),
        # 000 clause 7: 超800万元(含) is inclusive; 5家及以上 is inclusive.
        (
            {
                "recognitions": [],
                "enterprise": {"region": "320412", "holds": ["smart_manufacturing_solution_provider"]},
                "provider": {"local_contract_cny": 7999999, "local_enterprises": 5, "invoiced_cny": 1000000},
            },
            "cz62-7-provider",
            "not_eligible",
            0,
        ),
        (
            {
                "enterprise": {"region": "320412", "holds": ["smart_manufacturing_solution_provider"]},
                "provider": {"local_contract_cny": 8000000, "local_enterprises": 5, "invoiced_cny": 1000000},
            },
            "cz62-7-provider",
            "paid",
            15000000,
        ),
        (
            {
                "enterprise": {"region": "320412", "holds": ["smart_manufacturing_solution_provider"]},
                "provider": {"local_contract_cny": 8000000, "local_enterprises": 4, "invoiced_cny": 1000000},
            },
            "cz62-7-provider",
            "not_eligible",
            0,
        ),
    ],
)
def test_threshold_edges(sections: dict[str, Any], clause_id: str, status: str, amount_fen: int) -> None:
    assert line(make_plan(**sections), clause_id) == (status, amount_fen)


@pytest.mark.parametrize(
    ("region", "equipment_cny", "status"),
    [("320585", 2999999, "not_eligible"), ("320585", 3000000, "paid"), ("320585", 3000001, "paid")],
)
def test_taicang_inclusive_threshold(region: str, equipment_cny: int, status: str) -> None:
    raw = make_plan(date="2022-05-01", region=region, investments={"equipment_cny": equipment_cny})
    assert line(raw, "tc3-1-retrofit")[0] == status


def test_changzhou_major_project_needs_more_than_100m() -> None:
    base = {"enterprise": {"region": "320412", "industry": "C", "holds": ["cz_major_project"]}}
    at = make_plan(date="2021-06-01", investments={"equipment_cny": 100000000}, **base)
    above = make_plan(date="2021-06-01", investments={"equipment_cny": 100000001}, **base)
    assert line(at, "cz62-1-major-other") == ("not_eligible", 0)
    assert line(above, "cz62-1-major-other") == ("paid", 600000000)  # 6,000,000.06 capped at 6M


@pytest.mark.parametrize(
    ("sections", "clause_id", "amount_fen", "scope_word"),
    [
        # per enterprise: 001 clause 1, 5% of 20M = 1M capped at 500k.
        ({"investments": {"equipment_cny": 20000000}}, "wj24-1-retrofit", 50000000, "per enterprise"),
        # per project: 000 clause 1, 6% of 200M = 12M capped at 6M.
        (
            {
                "date": "2021-06-01",
                "enterprise": {"region": "320412", "industry": "C", "holds": ["cz_major_project"]},
                "investments": {"equipment_cny": 200000000},
            },
            "cz62-1-major-other",
            600000000,
            "per project",
        ),
        # per product: 000 clause 4, 30% of 20M = 6M capped at 5M; B (苏锡常) and C (省级) 30% of 1M = 300k each.
        (
            {
                "products": [
                    {
                        "name": "A",
                        "unit_price_cny": 20000000,
                        "recognitions": ["first_unit_equipment_provincial"],
                    },
                    {"name": "B", "unit_price_cny": 1000000, "recognitions": ["first_unit_equipment_sxc"]},
                    {
                        "name": "C",
                        "unit_price_cny": 1000000,
                        "recognitions": ["first_unit_equipment_provincial"],
                    },
                ]
            },
            "cz62-4-first-unit",
            560000000,
            "per product",
        ),
        # per product and per enterprise: 000 clause 6 insurance, 80% capped 100k each, 500k in all.
        (
            {
                "date": "2023-03-01",
                "products": [
                    {
                        "name": f"P{i}",
                        "insurance_premium_cny": 200000,
                        "recognitions": ["cz_innovation_product"],
                    }
                    for i in range(6)
                ],
            },
            "cz62-6-first-order-insurance",
            50000000,
            "per enterprise",
        ),
        # per enterprise per year: 003 clause 1, 8% of 40M = 3.2M capped at 3M.
        (
            {
                "date": "2022-01-10",
                "region": "320585",
                "recognitions": ["tc_smart_demo_project"],
                "investments": {"equipment_cny": 40000000},
            },
            "tc3-1-demo-project",
            300000000,
            "per enterprise per year",
        ),
    ],
)
def test_caps_of_each_scope(
    sections: dict[str, Any], clause_id: str, amount_fen: int, scope_word: str
) -> None:
    rest = {k: v for k, v in sections.items() if k not in ("date", "region")}
    raw = make_plan(date=sections.get("date", "2024-06-01"), region=sections.get("region", "320412"), **rest)
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE).line(clause_id)
    assert (result.status, result.amount_fen) == ("paid", amount_fen)
    assert f"{scope_word} applied" in result.explanation


def test_jiugao_buchongfu_between_wujin_and_changzhou() -> None:
    # A strategic-emerging major project in Wujin: city 12% beats the district's 5% capped at 500k.
    raw = make_plan(
        enterprise={
            "region": "320412",
            "industry": "C",
            "strategic_emerging": True,
            "holds": ["cz_major_project"],
        },
        investments={"equipment_cny": 150000000},
    )
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    assert result.line("cz62-1-major-strategic").amount_fen == 1000000000
    district = result.line("wj24-1-retrofit")
    assert district.status == "superseded" and district.amount_fen == 0
    assert "就高不重复" in district.explanation and "cz62-1-major-strategic" in district.explanation
    # With the city clause out of reach, the district clause pays instead.
    small = make_plan(investments={"equipment_cny": 8000000})
    assert line(small, "wj24-1-retrofit") == ("paid", 40000000)


def test_wujin_energy_and_retrofit_are_one_award() -> None:
    raw = make_plan(investments={"equipment_cny": 6000000, "energy_saved_tce": 100})
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    assert result.line("wj24-1-retrofit").status == "paid"
    assert result.line("wj24-1-energy").status == "excluded"
    assert result.total_fen == 30000000


@pytest.mark.parametrize(
    ("equipment_cny", "it_cny", "winner", "loser", "total_fen"),
    [
        (10000000, 1000000, "tc3-1-retrofit", "tc3-1-digital-upgrade", 60000000),
        (3000000, 5000000, "tc3-1-digital-upgrade", "tc3-1-retrofit", 60000000),
    ],
)
def test_taicang_same_year_exclusion(
    equipment_cny: int, it_cny: int, winner: str, loser: str, total_fen: int
) -> None:
    raw = make_plan(
        date="2022-06-01",
        region="320585",
        recognitions=["tc_digital_upgrade_project"],
        investments={"equipment_cny": equipment_cny, "it_cny": it_cny},
    )
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    assert result.line(winner).status == "paid"
    assert result.line(loser).status == "excluded"
    assert "同一家企业当年度不可同时申报" in result.line(loser).explanation
    assert result.total_fen == total_fen


@pytest.mark.parametrize(
    ("date", "clause_id", "status"),
    [
        ("2023-12-31", "tc3-1-retrofit", "paid"),
        ("2024-01-01", "tc3-1-retrofit", "out_of_force"),
        ("2020-12-31", "tc3-1-retrofit", "out_of_force"),
    ],
)
def test_taicang_validity_window(date: str, clause_id: str, status: str) -> None:
    raw = make_plan(date=date, region="320585", investments={"equipment_cny": 5000000})
    assert line(raw, clause_id)[0] == status


@pytest.mark.parametrize(
    ("date", "status"),
    [("2023-12-31", "out_of_force"), ("2024-12-31", "paid"), ("2025-01-01", "out_of_force")],
)
def test_wujin_is_for_2024_only(date: str, status: str) -> None:
    assert line(make_plan(date=date, investments={"equipment_cny": 8000000}), "wj24-1-retrofit")[0] == status


@pytest.mark.parametrize(
    ("date", "old_status", "new_status"),
    [("2021-11-30", "paid", "out_of_force"), ("2022-03-01", "out_of_force", "not_computable")],
)
def test_2022_reply_replaces_the_workshop_amount(date: str, old_status: str, new_status: str) -> None:
    raw = make_plan(date=date, recognitions=["smart_workshop_provincial_demo"])
    assert line(raw, "cz62-3-smart-workshop")[0] == old_status
    assert line(raw, "cz58-smart-workshop-provincial")[0] == new_status


def test_taicang_is_not_under_changzhou() -> None:
    raw = make_plan(date="2021-06-01", region="320585", recognitions=["smart_factory_provincial_demo"])
    status, _ = line(raw, "cz62-3-smart-factory")
    assert status == "not_eligible"
    wujin = make_plan(date="2021-06-01", recognitions=["smart_factory_provincial_demo"])
    assert line(wujin, "cz62-3-smart-factory") == ("paid", 50000000)


def test_up_to_clauses_are_listed_never_counted() -> None:
    raw = make_plan(recognitions=["cloud_star_5", "security_star_3"])
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    assert result.line("wj24-6-cloud-5star").status == "not_computable"
    assert result.total_fen == 0
    assert result.upper_bound_fen == 10000000 + 10000000


def test_decimal_amounts_are_exact() -> None:
    raw = make_plan(investments={"equipment_cny": Decimal("1234567.89"), "it_cny": Decimal("4000000")})
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    # 5% × 5,234,567.89 = 261,728.3945 -> 261,728.39 (half-up to the fen).
    assert result.line("wj24-1-retrofit").amount_fen == 26172839
    assert result.to_dict()["total_cny"] == "261728.39"


def test_float_input_keeps_its_written_decimal() -> None:
    raw = make_plan(investments={"equipment_cny": 5234567.89})
    assert line(raw, "wj24-1-retrofit") == ("paid", 26172839)


def test_best_combination_prefers_the_higher_total_over_the_first() -> None:
    # Taicang: robots alone 6% of 1M vs. digital 12% of 600k: the engine must pick 72k, not 60k.
    raw = make_plan(
        date="2022-06-01",
        region="320585",
        recognitions=["tc_digital_upgrade_project"],
        investments={"robots_cny": 1000000, "it_cny": 600000},
    )
    result = evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)
    assert result.total_fen == 7200000
    assert result.line("tc3-1-robots").status == "excluded"


def test_what_if_gives_the_marginal_subsidy() -> None:
    plan = parse_plan(make_plan(investments={"equipment_cny": 8000000}), CATALOGUE)
    result = what_if(plan, CATALOGUE, {"investments.equipment_cny": Decimal(1000000)})
    assert result.delta_fen == 5000000 and result.marginal_per_unit == Decimal("0.05")
    capped = what_if(plan, CATALOGUE, {"investments.equipment_cny": Decimal(5000000)})
    assert capped.delta_fen == 10000000 and capped.marginal_per_unit == Decimal("0.02")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (make_plan(investments={"equipment_cny": -1}), "investments.equipment_cny"),
        (make_plan(investments={"equipment_cny": "lots"}), "investments.equipment_cny"),
        (make_plan(investments={"equipment_cny": True}), "investments.equipment_cny"),
        (make_plan(investments={"gold_cny": 1}), "investments.gold_cny"),
        (make_plan(recognitions=["nobel_prize"]), "recognitions[0]"),
        (make_plan(region="999999"), "enterprise.region"),
        (make_plan(date="2024-13-01"), "date"),
        ({**make_plan(), "colour": "red"}, "colour"),
        (make_plan(provider={"local_enterprises": 2.5}), "provider.local_enterprises"),
        (
            make_plan(enterprise={"region": "320412", "strategic_emerging": "yes"}),
            "enterprise.strategic_emerging",
        ),
    ],
)
def test_bad_plans_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(raw, CATALOGUE)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
