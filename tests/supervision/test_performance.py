"""Provider performance: golden cases under tests/cases/supervision/, batch budgets, clause 7 provider subsidy."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.subsidy import load_catalogue
from scoring.supervision import (
    BatchRecord,
    FeeCap,
    OrderRecord,
    OutcomeRecord,
    batch_use,
    clause7_line,
    league_table,
    provider_year,
)

CASES = sorted((Path(__file__).parents[1] / "cases" / "supervision").glob("performance_*.json"))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _order(raw: dict[str, Any]) -> OrderRecord:
    dates = {k: _date(raw.get(k)) for k in ("assigned_on", "due_date", "submitted_on", "accepted_on")}
    rest = {k: v for k, v in raw.items() if k not in dates and k != "return_reasons"}
    return OrderRecord(**rest, **dates, return_reasons=tuple(raw.get("return_reasons", ())))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_performance(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    orders = [_order(o) for o in case["orders"]]
    outcomes = [
        OutcomeRecord(o["enterprise_id"], o["kind"], _date(o["on_date"]), o["source"])
        for o in case["outcomes"]
    ]  # type: ignore[arg-type]
    caps = {k: FeeCap(k, v, "003 clause (六)") for k, v in case["caps"].items()}
    start, end = (dt.date.fromisoformat(x) for x in case["period"])
    rows = league_table(orders, outcomes, caps, start, end)
    assert [r.provider_id for r in rows] == [e["provider_id"] for e in case["expected"]]
    for row, expected in zip(rows, case["expected"], strict=True):
        got = {
            **{k: getattr(row, k) for k in expected if k not in ("return_reasons", "over_cap")},
            "return_reasons": [list(x) for x in row.return_reasons],
            "over_cap": [c.order_id for c in row.over_cap],
        }
        for key in ("avg_delivery_days", "avg_rating", "outcome_share"):
            got[key] = str(getattr(row, key))
        assert got == expected


def test_batch_budget_use() -> None:
    orders = [
        OrderRecord(1, 1, 11, "factory", 15_000_000, "accepted", batch_id=7),
        OrderRecord(2, 1, 12, "factory", 15_000_000, "assigned", batch_id=7),
        OrderRecord(3, 2, 13, "factory", 15_000_000, "cancelled", batch_id=7),
    ]
    (use,) = batch_use(orders, [BatchRecord(7, "2026年第一批", 20_000_000)])
    assert (use.committed_fen, use.billed_fen, use.remaining_fen, use.over_budget) == (
        30_000_000,
        15_000_000,
        -10_000_000,
        True,
    )


def _contracts(count: int, fee_fen: int, year: int = 2025) -> list[OrderRecord]:
    day = dt.date(year, 3, 1)
    return [
        OrderRecord(
            i,
            1,
            100 + i,
            "factory",
            fee_fen,
            "accepted",
            assigned_on=day,
            accepted_on=day + dt.timedelta(days=30),
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("count", "fee_fen", "listed", "status", "amount_fen"),
    [
        # 000 clause 7: ≥ 8,000,000 yuan (含) of local contracts with ≥ 5 enterprises → 15% of invoiced, cap 3,000,000.
        (5, 160_000_000, True, "paid", 120_000_000),  # exactly 8M over 5 enterprises: 15% × 8M = 1.2M
        (4, 200_000_000, True, "not_eligible", 0),  # 8M but only 4 enterprises
        (5, 159_999_900, True, "not_eligible", 0),  # 5 fen short of 8M
        (10, 250_000_000, True, "paid", 300_000_000),  # 25M invoiced: 3.75M capped at 3M
        (5, 160_000_000, False, "not_eligible", 0),  # not on the city's solution-provider list
    ],
)
def test_provider_subsidy_clause7(
    count: int, fee_fen: int, listed: bool, status: str, amount_fen: int
) -> None:
    figures = provider_year(_contracts(count, fee_fen), 1, 2025, lambda _e: True)
    assert figures.local_enterprises == count
    line = clause7_line(figures, "320412", load_catalogue(), listed=listed)
    assert (line.status, line.amount_fen) == (status, amount_fen)
    assert line.source_file == "000_cf5f4b7ee4e36642.txt"


def test_provider_year_counts_only_local_and_uncancelled_orders_of_the_year() -> None:
    orders = [
        *_contracts(3, 1_000_000),
        OrderRecord(50, 1, 999, "factory", 5_000_000, "accepted", assigned_on=dt.date(2025, 5, 1)),
        OrderRecord(51, 1, 150, "factory", 7_000_000, "cancelled", assigned_on=dt.date(2025, 5, 1)),
        OrderRecord(52, 1, 151, "factory", 9_000_000, "accepted", assigned_on=dt.date(2024, 5, 1)),
    ]
    figures = provider_year(orders, 1, 2025, lambda enterprise_id: enterprise_id != 999)
    assert (figures.local_contract_fen, figures.local_enterprises, figures.invoiced_fen) == (
        3_000_000,
        3,
        3_000_000,
    )
    assert Decimal(figures.local_contract_fen) / 100 == Decimal("30000")
