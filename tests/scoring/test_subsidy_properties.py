"""Property tests of the subsidy fixes (#15): one award per product, per tier set, per station; bases and ceilings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.subsidy import evaluate, load_catalogue, parse_plan

CATALOGUE = load_catalogue()
LISTINGS = ("first_unit_equipment_provincial", "first_unit_equipment_sxc")
TIERS = {
    "software_revenue_first_100m": 500000,
    "software_revenue_first_50m": 300000,
    "software_revenue_first_20m": 200000,
}
money = st.integers(min_value=0, max_value=10**10)


def _run(raw: dict[str, Any]) -> Any:
    return evaluate(parse_plan(raw, CATALOGUE), CATALOGUE)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(money, st.sets(st.sampled_from(LISTINGS), min_size=1)), min_size=1, max_size=4))
def test_first_unit_pays_each_product_once_within_its_cap(products: list[tuple[int, set[str]]]) -> None:
    raw = {
        "date": "2023-06-01",
        "enterprise": {"region": "320402"},
        "products": [
            {"name": f"P{i}", "unit_price_cny": price, "recognitions": sorted(listings)}
            for i, (price, listings) in enumerate(products)
        ],
    }
    line = _run(raw).line("cz62-4-first-unit")
    expected = sum(min(Decimal(price) * Decimal("0.30"), Decimal(5000000)) for price, _ in products)
    assert line.amount_fen == int(expected * 100)


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(sorted(TIERS)), min_size=1), st.integers(10**8, 10**9))
def test_software_tiers_are_one_award(tiers: set[str], revenue: int) -> None:
    raw = {
        "date": "2023-11-01",
        "enterprise": {"region": "320411", "industry": "I", "revenue_cny": revenue},
        "recognitions": sorted(tiers),
    }
    result = _run(raw)
    paid = sum(
        result.line(t.replace("software_revenue_first_", "cz62-8-software-")).amount_fen for t in TIERS
    )
    assert paid == max(TIERS[t] for t in tiers) * 100


@settings(max_examples=60, deadline=None)
@given(st.integers(8_000_000, 10**9), money)
def test_provider_base_never_exceeds_the_local_contracts(contracts: int, invoiced: int) -> None:
    raw = {
        "date": "2023-12-01",
        "enterprise": {"region": "320411", "holds": ["smart_manufacturing_solution_provider"]},
        "provider": {"local_contract_cny": contracts, "local_enterprises": 5, "invoiced_cny": invoiced},
    }
    result = _run(raw)
    line = result.line("cz62-7-provider")
    if invoiced == 0:
        assert line.amount_fen == 0
        return
    assert line.amount_fen == int(
        min(Decimal(min(invoiced, contracts)) * Decimal("0.15"), Decimal(3000000)) * 100
    )
    # 004's 服务商 最高200万 competes with clause 7 (就高不重复): the upper bound is the larger, not the sum.
    assert result.upper_bound_fen == max(line.amount_fen, 200_000_000)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500))
def test_5g_stations_are_counted_once(built: int, extra: int) -> None:
    extra = min(extra, built)
    raw = {
        "date": "2022-12-01",
        "enterprise": {"region": "320585"},
        "investments": {"base_stations_5g": built, "base_stations_5g_over_plan": extra},
    }
    result = _run(raw)
    paid = result.line("tc3-14-5g-stations").amount_fen + result.line("tc3-14-5g-stations-extra").amount_fen
    assert paid == (8000 * (built - extra) + 10000 * extra) * 100


@settings(max_examples=40, deadline=None)
@given(money, money, st.booleans())
def test_robots_are_equipment_in_000_clause_1(equipment: int, robots: int, strategic: bool) -> None:
    raw = {
        "date": "2023-06-01",
        "enterprise": {"region": "320402", "strategic_emerging": strategic, "holds": ["cz_major_project"]},
        "investments": {"equipment_cny": equipment, "robots_cny": robots},
    }
    swapped = {**raw, "investments": {"equipment_cny": equipment + robots, "robots_cny": 0}}
    clause = "cz62-1-major-strategic" if strategic else "cz62-1-major-other"
    assert _run(raw).line(clause).amount_fen == _run(swapped).line(clause).amount_fen


@settings(max_examples=40, deadline=None)
@given(st.integers(2021, 2026), st.integers(0, 2), money, money)
def test_award_year_decides_wujin_and_totals_keep_sure_and_ceilings_apart(
    year: int, lag: int, equipment: int, it: int
) -> None:
    raw = {
        "date": f"{year + lag}-03-15",
        "award_year": year,
        "enterprise": {"region": "320412", "industry": "C"},
        "investments": {"equipment_cny": equipment, "it_cny": it},
        "recognitions": ["smart_workshop_provincial_demo"],
    }
    result = _run(raw)
    line = result.line("wj24-1-retrofit")
    assert line.decided_by == "award_year"
    assert (line.status != "out_of_force") == (year == 2024)
    assert result.total_fen == sum(item.amount_fen for item in result.lines if item.basis == "sure")
    assert all(item.amount_fen == 0 for item in result.lines if item.basis == "ceiling")
    assert result.ceilings_fen >= 0 and result.upper_bound_fen == result.total_fen + result.ceilings_fen
    assert result.catalogue_version == CATALOGUE.version
