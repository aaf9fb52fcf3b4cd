"""What-if: re-evaluate a plan with changed amounts and report the marginal subsidy per extra unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from scoring.subsidy.engine import SubsidyResult, evaluate, fen_to_cny
from scoring.subsidy.model import Catalogue
from scoring.subsidy.plan import NUMERIC_PATHS, Plan, PlanError


@dataclass(frozen=True)
class Change:
    """One field change: new value = old + delta (relative) or = value (absolute)."""

    field: str
    value: Decimal
    relative: bool = True


@dataclass(frozen=True)
class WhatIfResult:
    """Base and changed results, the total delta and the marginal subsidy per unit changed."""

    base: SubsidyResult
    changed: SubsidyResult
    input_delta: Decimal
    delta_fen: int
    marginal_per_unit: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: totals, delta, marginal rate and the lines whose amount changed."""
        moved = [
            {
                "clause_id": new.clause_id,
                "before_cny": fen_to_cny(old.amount_fen),
                "after_cny": fen_to_cny(new.amount_fen),
                "status_before": old.status,
                "status_after": new.status,
            }
            for old, new in zip(self.base.lines, self.changed.lines, strict=True)
            if old.amount_fen != new.amount_fen or old.status != new.status
        ]
        marginal = None if self.marginal_per_unit is None else str(self.marginal_per_unit)
        return {
            "base_total_cny": fen_to_cny(self.base.total_fen),
            "new_total_cny": fen_to_cny(self.changed.total_fen),
            "delta_cny": fen_to_cny(self.delta_fen),
            "input_delta": str(self.input_delta),
            "marginal_per_unit": marginal,
            "changed_lines": moved,
        }


def apply_change(plan: Plan, change: Change) -> tuple[Plan, Decimal]:
    """Return the plan with one numeric field changed and the change in that field."""
    if change.field not in NUMERIC_PATHS or change.field.startswith("product."):
        raise PlanError(change.field, "what-if needs a numeric plan field, e.g. investments.equipment_cny")
    section, name = change.field.split(".", 1)
    part = getattr(plan, section)
    old: Decimal = getattr(part, name)
    new = old + change.value if change.relative else change.value
    if new < 0:
        raise PlanError(change.field, "would become negative")
    if NUMERIC_PATHS[change.field] == "count" and new != new.to_integral_value():
        raise PlanError(change.field, "must be a non-negative integer")
    return replace(plan, **{section: replace(part, **{name: new})}), new - old


def what_if(plan: Plan, catalogue: Catalogue, changes: Mapping[str, Decimal] | list[Change]) -> WhatIfResult:
    """Evaluate plan and plan+changes; a mapping means relative deltas {field: +amount}."""
    items = [Change(k, v) for k, v in changes.items()] if isinstance(changes, Mapping) else list(changes)
    changed_plan, input_delta = plan, Decimal(0)
    for item in items:
        changed_plan, delta = apply_change(changed_plan, item)
        input_delta += delta
    base, changed = evaluate(plan, catalogue), evaluate(changed_plan, catalogue)
    delta_fen = changed.total_fen - base.total_fen
    # Marginal subsidy per unit of input (yuan per yuan for money fields), exact Decimal.
    marginal = (Decimal(delta_fen) / 100 / input_delta) if input_delta else None
    return WhatIfResult(base, changed, input_delta, delta_fen, marginal)
