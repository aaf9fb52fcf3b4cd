"""The Chinese subsidy wording, pinned: every line's verdict and short reason for plans that reach every status and
every kind of condition and amount (`cases/subsidy_wording_zh.json`, written by the wording as it was in
`scoring/subsidy/explain_zh.py` before the wording left the pure core, and checked identical over 2,160 plans)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from diagnose.wording.subsidy_why_zh import line_reason_zh, zero_reason_zh
from diagnose.wording.subsidy_zh import explain_zh
from scoring.subsidy import evaluate, load_catalogue, parse_plan

GOLDEN = Path(__file__).parent / "cases" / "subsidy_wording_zh.json"
TARGETS = sorted(load_catalogue().targets)
PLANS: list[dict[str, Any]] = [
    {
        "date": "2024-06-01",
        "enterprise": {"region": "320412", "industry": "C", "strategic_emerging": True, "sme_level": 2},
        "investments": {"equipment_cny": 8_000_000, "it_cny": 1_200_000, "robots_cny": 600_000},
        "recognitions": ["smart_workshop_city", "cmmm_certification", "smart_factory_provincial_demo"],
    },
    {
        "date": "2022-06-01",
        "enterprise": {"region": "320585", "industry": "C", "strategic_emerging": True},
        "investments": {
            "equipment_cny": 300_000,
            "energy_saved_tce": 1200,
            "loan_cny": 5_000_000,
            "base_stations_5g": 12,
            "base_stations_5g_over_plan": 3,
        },
        "recognitions": ["smart_workshop_provincial_demo", "cloud_star_5"],
    },
    {
        "date": "2025-03-01",
        "enterprise": {
            "region": "320412",
            "industry": "I",
            "revenue_cny": 300_000_000,
            "revenue_increase_cny": 12_000_000,
            "holds": TARGETS[::5],
        },
        "investments": {
            "equipment_cny": 8_000_000,
            "rd_cny": 2_000_000,
            "innovation_product_purchase_cny": 700_000,
        },
        "recognitions": TARGETS[1::3],
        "products": [
            {
                "name": "高速主轴",
                "unit_price_cny": 1_500_000,
                "sales_cny": 9_000_000,
                "recognitions": TARGETS[::2],
            },
            {"unit_price_cny": 200_000, "sales_cny": 100_000, "recognitions": TARGETS[1::2]},
        ],
        "provider": {"local_contract_cny": 6_000_000, "local_enterprises": 25, "invoiced_cny": 5_500_000},
    },
    {"date": "2026-12-01", "enterprise": {"region": "320412", "industry": "C"}, "recognitions": []},
    {
        "date": "2021-06-01",
        "enterprise": {"region": "320583", "industry": "C"},
        "recognitions": TARGETS[2::3],
    },
    {  # the higher amount only (就高不重复) and exclusive in the same year (同年互斥)
        "date": "2021-06-01",
        "enterprise": {"region": "320585", "industry": "C", "strategic_emerging": True, "sme_level": 2},
        "investments": {"equipment_cny": 8_000_000, "it_cny": 1_200_000, "robots_cny": 600_000},
        "recognitions": TARGETS[1::3],
        "provider": {"local_contract_cny": 6_000_000, "local_enterprises": 25, "invoiced_cny": 5_500_000},
    },
]


@pytest.mark.parametrize("index", range(len(PLANS)))
def test_every_verdict_and_reason_reads_as_pinned(index: int) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[index]
    catalogue = load_catalogue()
    plan = parse_plan(PLANS[index], catalogue)
    result = evaluate(plan, catalogue)
    said = {
        line.clause_id: [
            explain_zh(line, result, plan, catalogue),
            line_reason_zh(line, result, plan, catalogue),
        ]
        for line in result.lines
    }
    assert said == expected["lines"]
    assert zero_reason_zh(result, plan, catalogue) == expected["zero"]


def test_the_pinned_plans_reach_every_status() -> None:
    catalogue = load_catalogue()
    statuses = {
        line.status for raw in PLANS for line in evaluate(parse_plan(raw, catalogue), catalogue).lines
    }
    assert statuses == {"paid", "not_eligible", "out_of_force", "not_computable", "superseded", "excluded"}


def test_no_plan_path_or_english_unit_in_the_pinned_chinese() -> None:
    texts = [
        text
        for case in json.loads(GOLDEN.read_text(encoding="utf-8"))
        for pair in case["lines"].values()
        for text in pair
    ]
    assert [t for t in texts if re.search(r"[a-z]+\.[a-z_0-9]+|[A-Za-z]{2,} [A-Za-z]{2,}", t)] == []
