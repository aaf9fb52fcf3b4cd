"""Subsidy sizing: the cited policy catalogue and a pure engine that explains every yuan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.subsidy.catalogue import CatalogueError, build_catalogue, load_catalogue
from scoring.subsidy.engine import STATUSES, Line, SubsidyResult, best_selection, evaluate, fen_to_cny
from scoring.subsidy.model import Catalogue, Clause, Policy, Region, Target
from scoring.subsidy.plan import Plan, PlanError
from scoring.subsidy.plan import parse_plan as _parse_plan
from scoring.subsidy.whatif import Change, WhatIfResult, what_if

__all__ = [
    "STATUSES",
    "Catalogue",
    "CatalogueError",
    "Change",
    "Clause",
    "Line",
    "Plan",
    "PlanError",
    "Policy",
    "Region",
    "SubsidyResult",
    "Target",
    "WhatIfResult",
    "best_selection",
    "build_catalogue",
    "evaluate",
    "fen_to_cny",
    "list_targets",
    "load_catalogue",
    "parse_plan",
    "what_if",
]


def parse_plan(raw: Mapping[str, Any], catalogue: Catalogue | None = None) -> Plan:
    """Validate a plan dict against the catalogue's targets and regions; raises PlanError(.field)."""
    cat = catalogue or load_catalogue()
    return _parse_plan(raw, cat.targets, cat.regions)


def list_targets(catalogue: Catalogue | None = None) -> list[Target]:
    """Every target id with its Chinese name, sorted by id."""
    cat = catalogue or load_catalogue()
    return sorted(cat.targets.values(), key=lambda t: t.id)
