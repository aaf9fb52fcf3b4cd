"""A provider's year under Changzhou 常工信综合〔2021〕62号 clause 7, from the platform's own order records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.subsidy import Catalogue, Line, evaluate, parse_plan
from scoring.supervision.records import OrderRecord

CLAUSE_ID = "cz62-7-provider"
LISTED = "smart_manufacturing_solution_provider"


@dataclass(frozen=True)
class ProviderYear:
    """What clause 7 measures: local contracts (fen), distinct local enterprises, invoiced sales (fen)."""

    provider_id: int
    year: int
    local_contract_fen: int
    local_enterprises: int
    invoiced_fen: int
    orders: int


def provider_year(
    orders: Sequence[OrderRecord], provider_id: int, year: int, is_local: Callable[[int], bool]
) -> ProviderYear:
    """Sum one provider's local orders of the year: contracts by assignment date, invoices by acceptance date."""
    mine = [o for o in orders if o.provider_id == provider_id and is_local(o.enterprise_id)]
    # 当年服务本地企业合同订单金额: an order becomes a contract when assigned; cancelled ones never count.
    contracted = [o for o in mine if o.status != "cancelled" and o.assigned_on and o.assigned_on.year == year]
    # 上述订单形成的开票销售金额: the platform invoices a diagnosis once the bureau accepts it.
    invoiced = [
        o for o in contracted if o.status == "accepted" and o.accepted_on and o.accepted_on.year == year
    ]
    return ProviderYear(
        provider_id=provider_id,
        year=year,
        local_contract_fen=sum(o.fee_fen for o in contracted),
        local_enterprises=len({o.enterprise_id for o in contracted}),
        invoiced_fen=sum(o.fee_fen for o in invoiced),
        orders=len(contracted),
    )


def _yuan(amount_fen: int) -> str:
    return str(Decimal(amount_fen) / 100)


def subsidy_plan(figures: ProviderYear, region_code: str, *, listed: bool) -> dict[str, Any]:
    """The subsidy engine's plan for the provider's year; `listed` = on the city's solution-provider list."""
    return {
        "date": f"{figures.year}-12-31",
        "enterprise": {"region": region_code, "industry": "I", "holds": [LISTED] if listed else []},
        "provider": {
            "local_contract_cny": _yuan(figures.local_contract_fen),
            "local_enterprises": figures.local_enterprises,
            "invoiced_cny": _yuan(figures.invoiced_fen),
        },
    }


def clause7_line(figures: ProviderYear, region_code: str, catalogue: Catalogue, *, listed: bool) -> Line:
    """The engine's verdict on clause 7 for this provider's year (status, amount in fen, explanation)."""
    plan = parse_plan(subsidy_plan(figures, region_code, listed=listed), catalogue)
    return evaluate(plan, catalogue).line(CLAUSE_ID)
